"""Seed batching benchmark: S seeds of each XOR model trained together vs one by one, same work.

    .venv/bin/python scripts/bench_seed_batch.py                 # the xor preset's 5 models, 100 seeds
    .venv/bin/python scripts/bench_seed_batch.py --seeds 1000 --device cuda
    .venv/bin/python scripts/bench_seed_batch.py --threads 2     # torch threads (sweep workers use 1)

Prints one row per model: training seconds for S seeds together, for one seed alone, the
extrapolated one-by-one time of all S, their ratios and the time per step
(``yatbench.seed_batch.bench_seed_batch``). Only training is timed.
"""

from __future__ import annotations

import argparse

import torch

from yatbench.seed_batch import bench_seed_batch


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
    rows = bench_seed_batch(args.seeds, args.steps, encoding=args.encoding, single_seeds=args.single_seeds,
                            device=args.device)
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
