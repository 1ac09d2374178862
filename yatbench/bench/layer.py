"""Layer benchmark: what a Yat layer costs next to Linear+ReLU, in time and in memory kept for backward.

For each shape (batch, in, out) and position the contenders run forward + backward on the same
input with the same random output gradient, and ``set_to_none`` gradients between steps. As a
``hidden`` layer the input requires grad (every contender does one GEMM forward and two backward);
as a ``first`` layer it does not (one GEMM backward: Linear then keeps x but not W for backward,
while a Yat layer keeps W too — it is the parameter itself, so ``saved_ratio_no_params`` is the
figure that counts memory). The contenders:

- ``linear_relu`` — ``nn.Linear`` followed by ReLU: the baseline every ratio is relative to;
- ``yat`` — this project's :class:`yatbench.nn.YatLayer` on the path the kernel setting picks
  (``YATBENCH_KERNEL``, ``yatbench/nn/kernel_impl.py``; the ``path`` column says which ran): the fused
  numba kernels or the eager custom autograd.Function;
- ``yat_eager`` / ``yat_numba`` — the same layer forced onto the other path, when that one is available,
  so that both paths are timed side by side in one run;
- ``yat_reference`` — the same formula through plain autograd (:func:`yatbench.nn.yat_reference`);
- ``nmn`` — ``nmn.torch.nmn.YatNMN`` when ``nmn`` is installed (skipped otherwise);
- ``yat_compiled`` — ``torch.compile`` of the YatLayer, only when asked (``compile=True``); a row
  with a note is reported instead if compiling fails.

Timing: the contenders are interleaved within every repeat (the order rotates), each timing
sample runs ``inner`` steps (calibrated so a baseline sample lasts ≳ 20 ms), CUDA is synchronised
around every sample, and the reported ratio is the median over repeats of the per-repeat ratio to
the baseline — robust to a machine whose load drifts.

Memory: the tensors autograd saves for backward are counted with
``torch.autograd.graph.saved_tensors_hooks``, one count per unique storage (a transposed view of the
weight counts once), identically for every contender. ``saved_ratio`` counts everything saved;
``saved_ratio_no_params`` leaves out the storages of the module's own parameters, which any layer
keeps alive anyway.

The result's table and CSV file: :mod:`yatbench.bench.table`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from yatbench.core.errors import UserError
from yatbench.measures.onchip import saved_tensor_bytes
from yatbench.nn.kernel_impl import numba_available, path_name, use_kernel_impl
from yatbench.nn.yat import YatLayer, yat_reference

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_SHAPES",
    "layer_benchmark",
    "saved_tensor_bytes",
]

DEFAULT_SHAPES: list[tuple[int, int, int]] = [(256, 784, 256), (4096, 64, 64), (1024, 784, 512)]
POSITIONS = ("hidden", "first")
BASELINE = "linear_relu"
COLUMNS = [
    "batch",
    "in_features",
    "out_features",
    "layer",
    "contender",
    "median_ms",
    "time_ratio",
    "time_ratio_q1",
    "time_ratio_q3",
    "saved_bytes",
    "saved_ratio",
    "saved_ratio_no_params",
    "device",
    "path",
    "threads",
    "clock",
    "repeats",
    "inner",
    "note",
]


class _ReferenceYat(nn.Module):
    """The plain-autograd formula, holding the same parameters as a YatLayer."""

    def __init__(self, layer: YatLayer) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x: Tensor) -> Tensor:
        lay = self.layer
        return yat_reference(x, lay.weight, lay.bias, lay.alpha, lay.epsilon, lay.bias_mode)


class _OnPath(nn.Module):
    """A YatLayer run on a chosen kernel path (``eager`` or ``numba``); backward follows its forward's path."""

    def __init__(self, layer: YatLayer, impl: str) -> None:
        super().__init__()
        self.layer, self.impl = layer, impl

    def forward(self, x: Tensor) -> Tensor:
        with use_kernel_impl(self.impl):
            return self.layer(x)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def interleaved(steps: dict[str, Callable[[], None]], repeats: int, min_sample_s: float,
                now: Callable[[], float] = time.perf_counter,
                sync: Callable[[], None] = lambda: None) -> tuple[dict[str, list[float]], int]:
    """Seconds per step of every contender, ``repeats`` samples each, and the steps per sample.

    The first contender is the baseline: its fastest of five single steps sets how many steps a sample
    runs. Every contender is warmed up first; within a repeat the order rotates, so none always runs
    right after another."""
    for step in steps.values():
        for _ in range(3):
            step()
    sync()
    first = next(iter(steps.values()))
    once = math.inf
    for _ in range(5):
        started = now()
        first()
        sync()
        once = min(once, max(now() - started, 1e-6))
    inner = max(1, math.ceil(min_sample_s / once))
    names = list(steps)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        for name in names[repeat % len(names):] + names[:repeat % len(names)]:
            step = steps[name]
            sync()
            started = now()
            for _ in range(inner):
                step()
            sync()
            samples[name].append((now() - started) / inner)
    return samples, inner


def _contenders(
    n_in: int, n_out: int, device: torch.device, compile_yat: bool, path: str
) -> tuple[dict[str, nn.Module], dict[str, str]]:
    """Modules to compare, all in fp32 on ``device``, Yat contenders sharing one set of parameters.

    ``path`` is the kernel path ``yat`` takes; the other path, where it can run, is added beside it."""
    notes: dict[str, str] = {}
    yat = YatLayer(n_in, n_out).to(device)
    mods: dict[str, nn.Module] = {
        BASELINE: nn.Sequential(nn.Linear(n_in, n_out), nn.ReLU()).to(device),
        "yat": yat,
    }
    if path == "numba":
        mods["yat_eager"] = _OnPath(yat, "eager")
    elif device.type == "cpu" and numba_available():
        mods["yat_numba"] = _OnPath(yat, "numba")
    mods["yat_reference"] = _ReferenceYat(yat)
    try:
        from nmn.torch.nmn import YatNMN
    except Exception:  # nmn is an optional test oracle, not a dependency
        notes["nmn"] = "nmn not installed"
    else:
        ref = YatNMN(n_in, n_out).to(device)
        ref.load_state_dict(yat.state_dict())
        mods["nmn"] = ref
    if compile_yat:
        try:
            mods["yat_compiled"] = torch.compile(yat)
        except Exception as exc:  # pragma: no cover - depends on the installation
            notes["yat_compiled"] = f"torch.compile unavailable: {type(exc).__name__}: {exc}"
    return mods, notes


def layer_benchmark(
    shapes: list[tuple[int, int, int]] | None = None,
    device: str = "cpu",
    repeats: int = 21,
    threads: int | None = 2,
    compile: bool = False,
    min_sample_s: float = 0.02,
    seed: int = 0,
    positions: tuple[str, ...] = POSITIONS,
    clock: str = "wall",
    contenders: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Time forward+backward and count saved-for-backward bytes of Yat contenders vs Linear+ReLU.

    Args:
        shapes: (batch, in_features, out_features) triples; default :data:`DEFAULT_SHAPES`.
        device: torch device string ("cpu", "cuda", "cuda:1", ...).
        repeats: timing samples per contender (interleaved); the median is reported.
        threads: ``torch.set_num_threads`` for the run (restored afterwards); None leaves it.
        compile: also time ``torch.compile(YatLayer)`` (a failure becomes a note, not an error).
        min_sample_s: calibrate the steps per sample so a baseline sample lasts about this long.
        seed: seeds parameters, inputs and output gradients.
        positions: ``hidden`` (input requires grad) and/or ``first`` (input without grad).
        clock: ``wall`` (elapsed time) or ``cpu`` (the calling thread's CPU time, ``time.thread_time``: time
            spent descheduled on a loaded machine is not counted; meaningful only with one thread on a CPU,
            where PyTorch runs forward, backward and its kernels on the calling thread).
        contenders: time only these besides the baseline (e.g. ``("yat", "yat_numba")``); None: all of them.

    Returns:
        One row per (shape, contender) with the columns in :data:`COLUMNS`; the baseline's
        ratios are 1. Time ratios are medians over repeats of the per-repeat ratio to the baseline.
    """
    import pandas as pd

    if clock not in ("wall", "cpu"):
        raise UserError(f"clock {clock!r} is not valid; choose wall or cpu")
    dev = torch.device(device)
    shapes = list(shapes) if shapes is not None else list(DEFAULT_SHAPES)
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))
    rows: list[dict[str, Any]] = []
    try:
        for batch, n_in, n_out in shapes:
            for position in positions:
                rows.extend(_bench_shape(batch, n_in, n_out, dev, max(1, repeats), compile, min_sample_s, seed,
                                         position, time.thread_time if clock == "cpu" else time.perf_counter,
                                         contenders))
    finally:
        torch.set_num_threads(old_threads)
    for row in rows:
        row["threads"] = torch.get_num_threads() if threads is None else int(threads)
        row["clock"] = clock
    return pd.DataFrame(rows, columns=COLUMNS)


def _bench_shape(
    batch: int,
    n_in: int,
    n_out: int,
    dev: torch.device,
    repeats: int,
    compile_yat: bool,
    min_sample_s: float,
    seed: int,
    position: str = "hidden",
    now: Callable[[], float] = time.perf_counter,
    only: tuple[str, ...] | None = None,
) -> list[dict[str, Any]]:
    torch.manual_seed(seed)
    path = path_name(dev.type)
    mods, notes = _contenders(n_in, n_out, dev, compile_yat, path)
    if only is not None:  # the baseline always: every ratio is relative to it
        mods = {name: mod for name, mod in mods.items() if name == BASELINE or name in only}
        notes = {name: note for name, note in notes.items() if name in only}
    paths = {"yat": path, "yat_eager": "eager", "yat_numba": "numba", "yat_reference": "autograd"}
    x = torch.randn(batch, n_in, device=dev, requires_grad=position == "hidden")
    g = torch.randn(batch, n_out, device=dev)

    def make_step(mod: nn.Module) -> Callable[[], None]:
        params = [p for p in mod.parameters() if p.requires_grad]

        def step() -> None:
            mod(x).backward(g)
            x.grad = None
            for p in params:
                p.grad = None

        return step

    steps = {name: make_step(mod) for name, mod in mods.items()}
    # Warm up (and compile) every contender; a failing one is dropped with a note.
    for name in list(steps):
        try:
            for _ in range(3):
                steps[name]()
            _sync(dev)
        except Exception as exc:
            notes[name] = f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
            del steps[name]

    steps = {BASELINE: steps[BASELINE], **{n: s for n, s in steps.items() if n != BASELINE}}  # baseline first
    samples, inner = interleaved(steps, repeats, min_sample_s, now, lambda: _sync(dev))
    names = list(steps)

    base_t = samples[BASELINE]
    saved: dict[str, tuple[int, int]] = {}
    for name in names:
        mod = mods[name]
        if name == "yat_compiled":  # dynamo would trace the counting hooks themselves
            notes[name] = "saved bytes not counted under torch.compile"
            continue
        saved[name] = (
            saved_tensor_bytes(lambda mod=mod: mod(x)),
            saved_tensor_bytes(lambda mod=mod: mod(x), exclude=list(mod.parameters())),
        )

    rows = []
    for name in [*names, *[n for n in notes if n not in names]]:
        row: dict[str, Any] = {
            "batch": batch,
            "in_features": n_in,
            "out_features": n_out,
            "layer": position,
            "contender": name,
            "device": str(dev),
            "path": paths.get(name, ""),
            "repeats": repeats,
            "inner": inner,
            "note": notes.get(name, ""),
        }
        if name in samples:
            ratios = [t / b for t, b in zip(samples[name], base_t, strict=True)]
            ordered = sorted(ratios)
            row.update(median_ms=_median(samples[name]) * 1e3, time_ratio=_median(ratios),
                       time_ratio_q1=ordered[len(ordered) // 4], time_ratio_q3=ordered[(3 * len(ordered)) // 4])
        if name in saved:
            row.update(
                saved_bytes=saved[name][0],
                saved_ratio=saved[name][0] / saved[BASELINE][0],
                saved_ratio_no_params=saved[name][1] / saved[BASELINE][1],
            )
        rows.append(row)
    return rows


def _median(values: list[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else 0.5 * (s[mid - 1] + s[mid])
