"""What a training step costs against depth: a Yat stack and a ReLU stack of the same widths, side by side.

Both networks are the configured models (``model=yat`` and ``model=relu`` with ``model.hidden`` set to
``depth`` layers of ``width``: Yat layers with no activation, Linear → ReLU blocks; both end in a Linear
readout) on the bundled MNIST digits (784 inputs, 10 classes), built by :func:`yatbench.run.execute.build_model`
and trained with the optimizer and loss ``yatbench run`` would use. A step is one mini-batch of ``batch``
digits (the next in turn): forward, loss, backward, optimizer step.

Timing is :func:`yatbench.bench.layer.interleaved`: the contenders alternate within every repeat, each
sample runs enough steps to last ``min_sample_s``, and the ratio reported is the median of the per-repeat
ratios — robust to a machine whose load drifts, which plain medians of separately measured times are not.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

from yatbench.bench.layer import interleaved
from yatbench.config.compose import compose_config
from yatbench.config.spec import validate
from yatbench.run.execute import build_model
from yatbench.train.device import resolve_device
from yatbench.train.objective import loss_function, loss_target
from yatbench.train.trainer import make_optimizer

__all__ = ["depth_benchmark"]

BASELINE = "relu"
CONTENDERS = (BASELINE, "yat")


def _training_step(net: torch.nn.Module, spec: Any, batches: list[tuple[torch.Tensor, torch.Tensor]],
                   criterion: torch.nn.Module) -> Callable[[], None]:
    optimizer = make_optimizer(net.parameters(), spec.trainer)
    turn = itertools.cycle(batches)

    def step() -> None:
        x, y = next(turn)
        loss = criterion(net(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def depth_benchmark(depths: list[int], width: int = 64, batch: int = 64, repeats: int = 5, device: str = "cpu",
                    clock: str = "wall", min_sample_s: float = 0.02, seed: int = 0) -> list[dict[str, Any]]:
    """Seconds per training step of the Yat and the ReLU stack at every depth, and their paired ratio.

    One row per (depth, contender): ``median_s`` (median seconds per step), and for ``yat`` the median of
    the per-repeat ratios to ``relu`` with its quartiles (``ratio``, ``ratio_q1``, ``ratio_q3``).
    ``clock`` is ``wall`` or ``cpu`` (this thread's CPU time: meaningful with one torch thread)."""
    torch_device = resolve_device(device)
    now = time.thread_time if clock == "cpu" else time.perf_counter

    def sync() -> None:
        if torch_device.type == "cuda":
            torch.cuda.synchronize(torch_device)

    splits = None
    rows: list[dict[str, Any]] = []
    for depth in depths:
        steps = {}
        for name in CONTENDERS:
            hidden = ",".join([str(width)] * depth)
            # The Yat stack ends in a Linear readout, as the ReLU stack does (MNIST's Yat default has none).
            readout = ["model.readout=linear"] if name == "yat" else []
            spec = validate(compose_config(["dataset=mnist", "dataset.source=bundled", f"model={name}", *readout,
                                            f"model.hidden=[{hidden}]", f"device={device}", f"seed={seed}",
                                            "trainer.progress=false"]))
            if splits is None:  # the same digits for every depth and both networks
                splits = spec.dataset.load(spec.seed)
                x = splits.x_train.to(torch_device)
                y = loss_target(splits.y_train.to(torch_device), splits)
                rows_per = min(batch, len(x))
                batches = [(x[i:i + rows_per], y[i:i + rows_per]) for i in range(0, len(x) - rows_per + 1, rows_per)]
            steps[name] = _training_step(build_model(spec, splits, torch_device), spec, batches,
                                         loss_function(splits))
        samples, inner = interleaved(steps, repeats, min_sample_s, now, sync)
        ratios = sorted(y / r for y, r in zip(samples["yat"], samples[BASELINE], strict=True))
        for name in CONTENDERS:
            row = {"depth": depth, "width": width, "batch": batch, "contender": name,
                   "median_s": statistics.median(samples[name]), "repeats": repeats, "inner": inner}
            if name != BASELINE:
                row.update(ratio=statistics.median(ratios), ratio_q1=ratios[len(ratios) // 4],
                           ratio_q3=ratios[(3 * len(ratios)) // 4])
            rows.append(row)
    return rows
