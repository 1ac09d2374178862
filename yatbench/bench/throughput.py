"""Does the trainer cost anything? Its throughput against a minimal hand-written PyTorch loop.

Both loops train the same freshly initialised model on the same in-memory tensors with
the same optimizer, batch size and number of epochs; they are interleaved repeat by
repeat so that machine noise hits both alike. The trainer also evaluates the test set on
its schedule and records history, and that cost is counted against it. Both run on the torch threads
``yatbench run`` would use for the configuration (one for a run trained stacked, see yatbench/run/execute.py).
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from typing import Any

import torch

from yatbench.config.compose import compose_config
from yatbench.config.spec import validate
from yatbench.run.execute import build_model
from yatbench.train.device import intra_op_threads, resolve_device
from yatbench.train.objective import loss_function, loss_target
from yatbench.train.trainer import make_optimizer, stackable, train


def hand_written_loop(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, batch_size: int,
                      optimizer: torch.optim.Optimizer, criterion: torch.nn.Module, seed: int) -> None:
    """The loop a researcher would write by hand: shuffle, slice, forward, backward, ``optimizer.step()`` (of
    ``torch.optim``'s own class; the trainer's Adam is yatbench's, the same numbers: yatbench/train/adam.py)."""
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for index in torch.randperm(len(x), generator=order).to(x.device).split(batch_size):
            loss = criterion(model(x[index]), y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()


def trainer_throughput(dataset: str, model: str, overrides: list[str], repeats: int = 5,
                       device: str = "cpu") -> dict[str, Any]:
    """Median training samples/s of ``yatbench.train.trainer.train`` and of the hand-written loop."""
    spec = validate(compose_config([f"dataset={dataset}", f"model={model}", f"device={device}",
                                    "trainer.progress=false", *overrides]))
    torch_device = resolve_device(spec.device)
    splits = spec.dataset.load(spec.seed)
    x, y = splits.x_train.to(torch_device), loss_target(splits.y_train.to(torch_device), splits)
    # Every epoch trained, as the hand-written loop does: a patience longer than the budget never stops a run early.
    cfg = dataclasses.replace(spec.trainer, patience=spec.trainer.epochs + 1)
    batch_size = cfg.batch_size if 0 < cfg.batch_size < len(x) else len(x)
    samples = cfg.epochs * len(x)

    def timed(fn: Any) -> float:
        if torch_device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if torch_device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    trainer_s, hand_s = [], []
    # Both loops on the threads `yatbench run` gives this configuration: one for a run it trains stacked.
    threads = 1 if stackable(build_model(spec, splits, torch_device), splits, cfg) else None
    with intra_op_threads(threads):
        for _ in range(repeats):
            net = build_model(spec, splits, torch_device)
            trainer_s.append(timed(lambda net=net: train([net], splits, cfg, torch_device, [spec.seed])))
            net = build_model(spec, splits, torch_device)
            optimizer = make_optimizer(net.parameters(), cfg, lean=False)  # torch.optim's own, as written by hand
            hand_s.append(timed(lambda net=net, opt=optimizer: hand_written_loop(
                net, x, y, cfg.epochs, batch_size, opt, loss_function(splits), spec.seed)))
    trainer_median, hand_median = statistics.median(trainer_s), statistics.median(hand_s)
    paired = sorted(h / t for h, t in zip(hand_s, trainer_s, strict=True))  # interleaved pairs: the spread
    return {
        "dataset": dataset, "model": model, "device": str(torch_device), "source": splits.source,
        "epochs": cfg.epochs, "batch_size": batch_size, "repeats": repeats, "threads": torch.get_num_threads()
        if threads is None else threads,
        "trainer_samples_per_s": samples / trainer_median, "hand_loop_samples_per_s": samples / hand_median,
        "throughput_ratio": hand_median / trainer_median,  # = the ratio of the two samples/s printed beside it
        "ratio_min": paired[0], "ratio_max": paired[-1],
        "trainer_s_median": trainer_median, "hand_loop_s_median": hand_median,
    }
