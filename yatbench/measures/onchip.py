"""The memory a layer needs: on chip while a GEMV/GEMM streams, and in training (seeds/004's cost objection).

seeds/004: a Yat layer "essentially doubles the amount of memory needed on-chip. Yat-Product GEMMV now
needs to store the running total of the inner product and the norm of the input vectors." What a
kernel keeps on chip while it walks the reduction dimension d is its *running state*: one running total
per (input row, output) of the tile of T outputs it owns, plus whatever else must be carried across the
walk. The chunks of x and W it stages are the same for both layers, and so are the per-output values
read once at the end (the bias; for Yat also ‖w‖², computed once per weight update like any folded
constant). :func:`streamed` computes a layer *that way* — tile by tile of ``tile`` outputs, streaming
d in chunks, holding only explicit running totals — and counts the bytes of the running state it holds;
its output is checked against ``nn.Linear`` / ``YatLayer`` by the callers, so each count belongs to a
computation that gives the layer's result. The Yat schemes (``SCHEMES``):

- ``seed`` — the seed's own: a running w·x per (row, output) and a running ‖x‖² per row, shared by the
  tile's outputs; ‖w‖² per output read at the end, D = ‖x‖² + ‖w‖² − 2 w·x (the expansion).
- ``direct`` — a running w·x and a running ‖w − x‖² per (row, output): what doubles.
- ``norms_first`` — ‖x‖² of each row in a pass over x before the GEMM (B·d reads), ‖w‖² at the end: the
  running state of the dot product itself.

This is a count of a computation's state, exact by construction; it is not a reading of a GPU kernel's
registers or shared memory (yatbench ships no fused kernel for that).

:func:`training_bytes` is the other memory a layer needs: its parameters plus what autograd keeps for
backward, each storage counted once (a weight saved for backward is the resident weight, not extra).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from yatbench.nn.yat import YatLayer, yat_reference

SCHEMES = {  # the Yat schemes (module doc), each as the report describes it
    "seed": "the seed's scheme (running w·x per output + running ‖x‖² per row; ‖w‖² read at the end)",
    "direct": "the direct distance (running w·x and running ‖w − x‖² per output)",
    "norms_first": "‖x‖² in a pass over x before the GEMM (running w·x only)",
}


@dataclass(frozen=True)
class Streamed:
    """A streamed layer's output and the most bytes of running state it held at once (one tile)."""

    out: Tensor
    state_bytes: int


def _bytes(*tensors: Tensor) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def streamed(x: Tensor, weight: Tensor, bias: Tensor | None, kind: str = "linear", tile: int = 1, chunk: int = 64,
             alpha: float = 1.0, epsilon: float = 1e-5) -> Streamed:
    """``x`` (B, d) through ``weight`` (m, d): ``kind`` "linear" (x Wᵀ + b) or one of :data:`SCHEMES` (ⵟ, bias
    inside the square, as YatLayer's default), ``tile`` outputs at a time, d streamed in ``chunk``s."""
    if kind != "linear" and kind not in SCHEMES:
        raise ValueError(f"unknown kind {kind!r}; choose linear or one of {', '.join(SCHEMES)}")
    batch, fan_in = x.shape
    outputs, peak = [], 0
    # Values known before the walk (not running state): ‖w‖² per output, and for norms_first ‖x‖² per row.
    w_norm = weight.square().sum(-1)
    x_norm = x.square().sum(-1) if kind == "norms_first" else None
    for lo in range(0, weight.shape[0], tile):
        w = weight[lo:lo + tile]
        dot = x.new_zeros(batch, len(w))  # the running w·x: every kind keeps it
        running = [dot]
        if kind == "seed":
            running.append(x.new_zeros(batch))  # running ‖x‖² per row, shared by the tile's outputs
        elif kind == "direct":
            running.append(x.new_zeros(batch, len(w)))  # running ‖w − x‖² per (row, output)
        peak = max(peak, _bytes(*running))
        for start in range(0, fan_in, chunk):
            xs, ws = x[:, start:start + chunk], w[:, start:start + chunk]
            dot += xs @ ws.T
            if kind == "seed":
                running[1] += xs.square().sum(-1)
            elif kind == "direct":
                running[1] += (xs[:, None, :] - ws[None, :, :]).square().sum(-1)
        b = bias[lo:lo + tile] if bias is not None else 0.0
        if kind == "linear":
            outputs.append(dot + b)
            continue
        if kind == "direct":
            distance = running[1]
        else:
            norm = running[1] if kind == "seed" else x_norm
            distance = norm[:, None] + w_norm[lo:lo + tile][None, :] - 2 * dot
        outputs.append(alpha * (dot + b).square() / (distance + epsilon))
    return Streamed(torch.cat(outputs, dim=1), peak)


def training_bytes(module: nn.Module, x: Tensor) -> int:
    """Bytes a layer needs in training for one forward: its parameters plus the storages autograd keeps for
    backward that are not parameters (a saved weight is the resident weight, counted once)."""

    params = list(module.parameters())
    kept = saved_tensor_bytes(lambda: module(x), exclude=params)
    return sum(_bytes(p) for p in params) + kept


class _Reference(nn.Module):
    """The formula through plain autograd, with a YatLayer's parameters: what an unfused implementation keeps."""

    def __init__(self, layer: YatLayer) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lay = self.layer
        return yat_reference(x, lay.weight, lay.bias, lay.alpha, lay.epsilon, lay.bias_mode)


def scheme_ratios(gemv: tuple[int, int, int], tiles: tuple[int, ...]) -> dict[str, dict[int, float]]:
    """Running state of each Yat scheme ÷ the dot product's at the shape ``gemv`` (batch, in, out), per tile size in
    ``tiles``; every streamed output checked against the real layers (ValueError if one is not the layer's result)."""
    batch, fan_in, fan_out = gemv
    torch.manual_seed(0)
    layer, linear = YatLayer(fan_in, fan_out), nn.Linear(fan_in, fan_out)
    x = torch.randn(batch, fan_in)
    with torch.no_grad():
        want_yat, want_dot = layer(x), linear(x)
        w, b = layer.weight, layer.bias
        out: dict[str, dict[int, float]] = {}
        for scheme in SCHEMES:
            out[scheme] = {}
            for tile in tiles:
                got = streamed(x, w, b, scheme, tile, alpha=float(layer.alpha), epsilon=float(layer.epsilon))
                dot = streamed(x, linear.weight, linear.bias, "linear", tile)
                if not (torch.allclose(got.out, want_yat, rtol=1e-4, atol=1e-6)
                        and torch.allclose(dot.out, want_dot, rtol=1e-4, atol=1e-6)):
                    raise ValueError(f"the streamed {scheme} scheme does not give the layer's output")
                out[scheme][tile] = got.state_bytes / dot.state_bytes
    return out


def training_ratios(shape: tuple[int, int, int]) -> dict[str, dict[str, float]]:
    """:func:`training_bytes` ÷ Linear+ReLU's at ``shape`` (batch, in, out), per position (hidden: x needs grad;
    first: it does not), for the YatLayer and for the formula through plain autograd."""
    batch, fan_in, fan_out = shape
    torch.manual_seed(0)
    layer = YatLayer(fan_in, fan_out)
    out: dict[str, dict[str, float]] = {}
    for position in ("hidden", "first"):
        x = torch.randn(batch, fan_in, requires_grad=position == "hidden")
        base = training_bytes(nn.Sequential(nn.Linear(fan_in, fan_out), nn.ReLU()), x)
        out[position] = {"YatLayer": training_bytes(layer, x) / base,
                         "plain autograd": training_bytes(_Reference(layer), x) / base}
    return out


def saved_tensor_bytes(step: Callable[[], Tensor], exclude: list[Tensor] | None = None) -> int:
    """Bytes of the unique storages autograd saves for backward while ``step()`` builds its graph.

    ``step`` runs the forward pass and returns its output (kept alive until counting is done);
    storages shared with a tensor in ``exclude`` (e.g. the parameters) are not counted.
    """
    excluded = {_storage_key(t) for t in (exclude or [])}
    seen: dict[tuple[Any, ...], int] = {}

    def pack(t: Tensor) -> Tensor:
        key = _storage_key(t)
        if key not in excluded:
            seen[key] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = step()
    del out
    return sum(seen.values())


def _storage_key(t: Tensor) -> tuple[Any, ...]:
    return (t.device.type, t.device.index, t.untyped_storage().data_ptr())
