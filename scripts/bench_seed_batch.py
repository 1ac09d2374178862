"""Seed batching benchmark: S seeds of each XOR model trained together vs one by one, same work.

    .venv/bin/python scripts/bench_seed_batch.py                 # the xor preset's 5 models, 100 seeds
    .venv/bin/python scripts/bench_seed_batch.py --seeds 1000 --device cuda
    .venv/bin/python scripts/bench_seed_batch.py --threads 2     # torch threads (sweep workers use 1)

The models are those of the ``xor`` sweep preset (conf/sweep/xor.yaml). Prints one row per model:
training seconds for S seeds together (``yatbench.train.trainer.train`` with S models), for one seed
alone (the same call with one), the extrapolated one-by-one time of all S, their ratios and the time
per step. Only training is timed (no data loading, no run folders).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable
from typing import Any

import torch

from yatbench.run.execute import build_model
from yatbench.sweep.grid import build_grid, with_seed
from yatbench.train.device import resolve_device
from yatbench.train.trainer import train


def bench(seeds: int, steps: int, encoding: str, single_seeds: int, device: str) -> list[dict[str, Any]]:
    """One row per model of the xor preset: S seeds together vs one seed alone."""
    torch_device = resolve_device(device)

    def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
        if torch_device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        out = fn()
        if torch_device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start, out

    grid = build_grid("xor", ["seed=0", f"dataset.encoding={encoding}", f"trainer.epochs={steps}"])
    rows = []
    for spec in grid.specs:
        splits = spec.dataset.load(0)
        cfg = spec.trainer
        warm = [build_model(with_seed(spec, s), splits, torch_device) for s in range(2)]
        train(warm, splits, dataclasses.replace(cfg, epochs=10), torch_device, [0, 1])
        built = [build_model(with_seed(spec, s), splits, torch_device) for s in range(seeds)]
        together, results = timed(lambda built=built, splits=splits, cfg=cfg: train(
            built, splits, cfg, torch_device, list(range(seeds))))
        single = [timed(lambda s=s, spec=spec, splits=splits, cfg=cfg: train(
            [build_model(with_seed(spec, s), splits, torch_device)], splits, cfg, torch_device, [s]))[0]
            for s in range(single_seeds)]
        one_seed = sum(single) / len(single)
        hidden = getattr(spec.model, "hidden", None)
        rows.append({"model": f"{spec.model.name} {hidden or ''}".strip(), "seeds": seeds, "steps": steps,
                     "batched_s": round(together, 3), "one_seed_s": round(one_seed, 3),
                     "one_by_one_s": round(one_seed * seeds, 2),
                     "batched_vs_one_seed": round(together / one_seed, 2),
                     "speedup": round(one_seed * seeds / together, 1),
                     "batched_ms_per_step": round(1e3 * together / steps, 3),
                     "single_ms_per_step": round(1e3 * one_seed / steps, 3),
                     "solved": sum(bool(r.metrics.get("solved")) for r in results)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--encoding", default="pm1", choices=["pm1", "binary"])
    parser.add_argument("--single-seeds", type=int, default=3, help="seeds timed one by one (then extrapolated)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = bench(args.seeds, args.steps, args.encoding, args.single_seeds, args.device)
    columns = list(rows[0])
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row[c]) for c in columns))
    total_b = sum(r["batched_s"] for r in rows)
    total_s = sum(r["one_by_one_s"] for r in rows)
    print(f"all models: {args.seeds} seeds each, together {total_b:.2f} s, one by one ≈ {total_s:.1f} s "
          f"({total_s / total_b:.0f}× faster); torch threads {torch.get_num_threads()}, device {args.device}")


if __name__ == "__main__":
    main()
