"""How a sweep's cost grows with its work, measured: seeds (runs) and worker processes.

    python -m yatbench.bench.scaling                          # 10 → 1 000 XOR runs, 1 and 2 workers
    python -m yatbench.bench.scaling --runs 10,100,1000,10000 --workers 1,2

Each point is one real ``yatbench sweep xor model=yat,linear seed='range(S)'`` (10 configurations ×
S seeds: the ``xor`` preset's Yat kernels and linear models, both encodings) in a subprocess, into a
fresh results folder under ``--out`` that is removed afterwards. Measured: wall time, and CPU time of
the sweep and all its workers (the process tree's ``/proc`` times, read while it runs: the workers
are children of a fork server, which the usual rusage of waited children misses). The growth is the
slope of a least-squares line through (log runs, log seconds): 1 is linear, under 1 means fixed
costs (start-up, imports, one composition per configuration) are still being paid off. The table
is printed as Markdown (the README's) and written to ``<out>/scaling.csv``.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from yatbench.core.errors import UserError
from yatbench.core.safe_paths import remove_tree
from yatbench.rundir.results import ensure_writable

CONFIGURATIONS = 10  # xor preset, model=yat,linear: 3 Yat kernels + 2 linear models, × 2 encodings
SWEEP = ["sweep", "xor", "model=yat,linear"]
POLL_S = 0.1


@dataclass
class Point:
    """One measured sweep."""

    runs: int
    workers: int
    wall_s: float
    cpu_s: float

    @property
    def runs_per_s(self) -> float:
        return self.runs / self.wall_s


def _clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def _tree_cpu(root: int, seen: dict[int, float]) -> None:
    """Update ``seen`` (pid → CPU seconds so far) with every live process descended from ``root``."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / _clock_ticks()  # utime + stime
    ours = {root}
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in ours and pid not in ours:
                ours.add(pid)
                changed = True
    for pid in ours & times.keys():
        seen[pid] = max(seen.get(pid, 0.0), times[pid])


def measure(runs: int, workers: int, scratch: Path) -> Point:
    """Run one sweep of ``runs`` XOR runs on ``workers`` workers into a new folder under ``scratch``."""
    seeds = max(1, runs // CONFIGURATIONS)
    folder = Path(tempfile.mkdtemp(prefix="scaling-", dir=scratch))
    command = [sys.executable, "-m", "yatbench", *SWEEP, f"seed=range({seeds})", f"results_dir={folder}",
               "--workers", str(workers)]
    seen: dict[int, float] = {}
    started = time.perf_counter()
    process = None
    # stderr to a file, not a pipe: a sweep that says more than a pipe holds (≈ 64 KiB) would block on it
    with tempfile.TemporaryFile("w+", dir=scratch) as errors:
        try:
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, text=True,
                                       start_new_session=True)
            while process.poll() is None:
                _tree_cpu(process.pid, seen)
                time.sleep(POLL_S)
            wall = time.perf_counter() - started
            if process.returncode != 0:
                errors.seek(0)
                raise UserError(f"the sweep of {runs} runs failed: {errors.read().strip()[-300:]}")
        finally:
            if process is not None and process.poll() is None:  # interrupted: its sweep goes before its folder
                os.killpg(process.pid, signal.SIGTERM)
                process.wait()
            remove_tree(folder)
    return Point(seeds * CONFIGURATIONS, workers, wall, sum(seen.values()))


def growth(points: list[Point], value: str = "wall_s") -> float:
    """The slope of log(``value``) against log(runs): the fitted exponent of cost ∝ runs^k."""
    xs = [math.log(p.runs) for p in points]
    ys = [math.log(getattr(p, value)) for p in points]
    if len(set(xs)) < 2:
        return math.nan
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum((x - mean_x) ** 2 for x in xs)


def table(points: list[Point]) -> str:
    """The Markdown table: one row per point, then the fitted growth per worker count and the speed-up."""
    lines = ["| runs | workers | wall s | CPU s | runs/s | CPU ms/run |", "|---:|---:|---:|---:|---:|---:|"]
    for p in points:
        lines.append(f"| {p.runs:,} | {p.workers} | {p.wall_s:.1f} | {p.cpu_s:.1f} | {p.runs_per_s:.0f} | "
                     f"{1000 * p.cpu_s / p.runs:.1f} |")
    lines.append("")
    for workers in sorted({p.workers for p in points}):
        mine = [p for p in points if p.workers == workers]
        if len({p.runs for p in mine}) < 2:
            continue  # one size: no growth to fit
        lines.append(f"- {workers} worker(s): wall ∝ runs^{growth(mine):.2f}, CPU ∝ runs^{growth(mine, 'cpu_s'):.2f}"
                     f" (log-log fit over {len(mine)} sizes)")
    counts = sorted({p.workers for p in points})
    if len(counts) > 1:
        for runs in sorted({p.runs for p in points}):
            by = {p.workers: p.wall_s for p in points if p.runs == runs}
            if counts[0] in by and counts[-1] in by:
                ratio = by[counts[-1]] / by[counts[0]]
                lines.append(f"- {runs:,} runs: {counts[0]} → {counts[-1]} workers, wall ×{ratio:.2f}")
    return "\n".join(lines)


def parse_counts(text: str, what: str) -> list[int]:
    """``10,100,1000`` → [10, 100, 1000]; one :class:`UserError` line for anything else."""
    try:
        counts = [int(item) for item in text.split(",")]
    except ValueError:
        raise UserError(f"{what} {text!r} must be comma-separated whole numbers, e.g. 10,100,1000") from None
    if not counts or any(c < 1 for c in counts):
        raise UserError(f"{what} {text!r} must hold positive numbers")
    return counts


def main(argv: list[str] | None = None) -> list[Point]:
    """Measure every (runs, workers) point, print the table, write ``scaling.csv``."""
    parser = argparse.ArgumentParser(prog="python -m yatbench.bench.scaling", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="10,100,1000", help="XOR runs per sweep, e.g. 10,100,1000,10000 "
                        f"(rounded down to a multiple of {CONFIGURATIONS} configurations)")
    parser.add_argument("--workers", default="1,2", help="worker processes, e.g. 1,2")
    parser.add_argument("--out", type=Path, default=Path("results/bench"), help="folder for scaling.csv")
    args = parser.parse_args(argv)
    sizes, workers = parse_counts(args.runs, "--runs"), parse_counts(args.workers, "--workers")
    ensure_writable(args.out, "--out")
    args.out.mkdir(parents=True, exist_ok=True)
    points = []
    for count in workers:
        for runs in sizes:
            point = measure(runs, count, args.out)
            print(f"{point.runs} runs, {count} workers: {point.wall_s:.1f} s wall, {point.cpu_s:.1f} s CPU",
                  file=sys.stderr, flush=True)
            points.append(point)
    with (args.out / "scaling.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*asdict(points[0]), "runs_per_s"])
        writer.writeheader()
        writer.writerows({**asdict(p), "runs_per_s": round(p.runs_per_s, 2)} for p in points)
    print(table(points))
    return points


if __name__ == "__main__":
    try:
        main()
    except UserError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_code)
