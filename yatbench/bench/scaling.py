"""Cost against work, measured: ``yatbench bench --scaling``, four axes, each with its fitted growth.

    yatbench bench --scaling all                                   # every axis on its default grid
    yatbench bench --scaling runs=10,100,1000 --scaling width      # some axes; a grid after = replaces the default

The axes (:data:`AXES`, default grids there):

- ``runs`` — one real ``yatbench sweep xor model=yat,linear seed='range(S)'`` per point (10 configurations ×
  S seeds: the ``xor`` preset's Yat kernels and linear models, both encodings) in a subprocess, into a fresh
  folder under ``--out`` that is removed afterwards, on the largest ``workers`` count. Measured: wall time,
  and the CPU time of the sweep and all its workers (the process tree's ``/proc`` times, read while it runs:
  the workers are children of a fork server, which the usual rusage of waited children misses);
- ``workers`` — the same sweep at the largest ``runs`` size up to 1 000, on 1, 2, … worker processes;
- ``width`` — a hidden Yat layer against Linear+ReLU, batch 256, W → W, forward + backward
  (:func:`yatbench.bench.layer.layer_benchmark`: interleaved repeats, median of the per-repeat ratios);
- ``depth`` — one training step of a Yat stack and a ReLU stack of width 64 on MNIST digits, by number of
  layers (:func:`yatbench.bench.depth.depth_benchmark`, interleaved the same way).

For every axis and measured series the growth is fitted as cost ≈ c · work^k (:func:`yatbench.bench.growth.fit_growth`:
least squares on the log-log scale, with the exponent's 95 % interval): 1 is linear, under 1 means fixed
costs are still being paid off, a ratio's k near 0 means the Yat overhead does not grow with the work. The
tables are printed as Markdown (the README's) and written, one row per (axis, work, series) with the
series' fitted growth, to ``<out>/scaling.csv``. Each row records the 1-minute load average when its point
started: on a loaded machine the absolute times are inflated and only the interleaved ratios compare.
"""

from __future__ import annotations

import csv
import io
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from yatbench.bench.growth import Growth, fit_growth
from yatbench.core.errors import UserError
from yatbench.core.safe_paths import atomic_write_text, remove_tree

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


# The axes and their default grids, in the order they are measured and printed (the sweeps first: a bad
# --workers is answered by the sweep at once, before minutes of layer timing).
AXES: dict[str, tuple[int, ...]] = {
    "runs": (10, 100, 1000, 10000),
    "workers": (1, 2),
    "width": (64, 128, 256, 512, 1024, 2048, 4096),
    "depth": (1, 2, 4, 8, 16, 32),
}
WORKERS_AT_MOST = 1000  # the workers axis runs the largest `runs` size up to this many runs
DEFAULT_WORKERS = 2  # the runs axis's worker count when the workers axis is not asked for
LAYER_BATCH = 256  # the width axis: batch × W → W, the 256-row batch
STACK_WIDTH, STACK_BATCH = 64, 64  # the depth axis: layers of 64 units, mini-batches of 64 digits
MIN_SAMPLE_S = 0.05  # a timing sample lasts at least this long (the layer bench's own default is 0.02)
CSV_COLUMNS = ["axis", "work", "series", "value", "q1", "q3", "repeats", "load_1min", "growth", "growth_low",
               "growth_high", "fit_points", "setting"]


@dataclass
class Row:
    """One measured value: ``series`` (its unit in its name) at ``work`` on ``axis``; ``q1``–``q3`` the
    interquartile range of a paired ratio, ``load`` the 1-minute load average when the point started."""

    axis: str
    work: int
    series: str
    value: float
    setting: str
    repeats: int = 1
    load: float = math.nan
    q1: float = math.nan
    q3: float = math.nan


def parse_counts(text: str, what: str) -> list[int]:
    """``10,100,1000`` → [10, 100, 1000]; one :class:`UserError` line for anything else."""
    try:
        counts = [int(item) for item in text.split(",")]
    except ValueError:
        raise UserError(f"{what}: {text!r} is not comma-separated whole numbers, e.g. 10,100,1000") from None
    if any(c < 1 for c in counts):
        raise UserError(f"{what}: {text!r} must hold positive numbers")
    return counts


def parse_scaling(items: list[str]) -> dict[str, list[int]]:
    """``--scaling`` items (``all``, ``AXIS`` or ``AXIS=N,N,…``) as {axis: grid}, in :data:`AXES` order.

    Bad input is one :class:`UserError` line, before anything is measured: an unknown axis, an axis
    named twice, a grid that is not positive whole numbers, or a width or depth too large for this machine."""
    grids: dict[str, list[int]] = {}
    named: set[str] = set()
    for item in items:
        name, has_grid, text = item.strip().partition("=")
        name = name.strip().lower()
        if name == "all" and not has_grid:
            for axis, grid in AXES.items():
                grids.setdefault(axis, list(grid))
            continue
        if name not in AXES:
            raise UserError(f"--scaling {item!r}: {name!r} is not an axis; choose all, {', '.join(AXES)}, "
                            "each alone or with its grid, e.g. width=64,256,1024")
        if name in named:
            raise UserError(f"--scaling names {name} twice; give each axis once")
        named.add(name)
        grids[name] = sorted(set(parse_counts(text, f"--scaling {name}"))) if has_grid else list(AXES[name])
    _check_sizes(grids)
    return {axis: grids[axis] for axis in AXES if axis in grids}


def _check_sizes(grids: dict[str, list[int]]) -> None:
    """A width or depth whose tensors would not fit in half this machine's memory is refused up front."""
    from yatbench.config.limits import Limits

    limit = Limits().max_bytes
    for width in grids.get("width", []):
        # input, weight, output and their gradients for both contenders, fp32: as `--shapes` counts them
        needed = 8 * 4 * (LAYER_BATCH * width + width * width + LAYER_BATCH * width)
        if needed > limit:
            raise UserError(f"--scaling width={width} needs about {needed / 2**30:.0f} GiB, over half this "
                            f"machine's memory ({limit / 2**30:.1f} GiB); choose smaller widths")
    for depth in grids.get("depth", []):
        # both stacks: weights, gradients, two Adam moments, and the activations kept for backward
        needed = 2 * depth * (16 * (STACK_WIDTH + 1) * STACK_WIDTH + 12 * STACK_BATCH * STACK_WIDTH)
        if needed > limit:
            raise UserError(f"--scaling depth={depth} needs about {needed / 2**30:.0f} GiB, over half this "
                            f"machine's memory ({limit / 2**30:.1f} GiB); choose fewer layers")


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:  # not every platform can say
        return math.nan


def _sweep_rows(grids: dict[str, list[int]], scratch: Path, say: Callable[[str], None]) -> list[Row]:
    """The ``runs`` and ``workers`` axes: one sweep per point, a point both axes share measured once."""
    workers = grids.get("workers", [DEFAULT_WORKERS])
    # a sweep runs whole seeds of every configuration: 10 configurations × S seeds, S ≥ 1
    sizes = sorted({max(1, runs // CONFIGURATIONS) * CONFIGURATIONS for runs in grids.get("runs", [])})
    at_most = [runs for runs in sizes if runs <= WORKERS_AT_MOST]
    workers_at = max(at_most) if at_most else min(sizes) if sizes else WORKERS_AT_MOST
    wanted = [("runs", runs, max(workers)) for runs in sizes]
    wanted += [("workers", workers_at, count) for count in grids.get("workers", [])]
    done: dict[tuple[int, int], tuple[Point, float]] = {}
    rows = []
    for axis, runs, count in wanted:
        if (runs, count) not in done:
            say(f"scaling: a sweep of {runs:,} XOR runs on {count} worker(s)")
            load = _load()
            done[runs, count] = measure(runs, count, scratch), load
        point, load = done[runs, count]
        work = point.runs if axis == "runs" else count
        setting = (f"yatbench sweep {' '.join(SWEEP[1:])}: {CONFIGURATIONS} configurations × seeds, "
                   + (f"{count} worker(s)" if axis == "runs" else f"{point.runs:,} runs"))
        rows += [Row(axis, work, "wall s", point.wall_s, setting, load=load),
                 Row(axis, work, "CPU s", point.cpu_s, setting, load=load)]
    return rows


def _width_rows(widths: list[int], device: str, repeats: int, threads: int, clock: str,
                say: Callable[[str], None]) -> list[Row]:
    """The ``width`` axis: a hidden layer, batch × W → W, Yat against Linear+ReLU, at every width.

    The Yat layer runs on the path the kernel setting picks and, where it can, on the other one beside it
    (eager and numba, :mod:`yatbench.nn.kernel_impl`); the plain-autograd reference and nmn are left out."""
    from yatbench.bench.layer import BASELINE, layer_benchmark

    setting = (f"hidden layer {LAYER_BATCH}×W→W, forward+backward, {device}, {threads} thread(s), {clock} clock, "
               "interleaved")
    rows = []
    for width in widths:
        say(f"scaling: layer width {width}, {repeats} repeats")
        load = _load()
        frame = layer_benchmark([(LAYER_BATCH, width, width)], device=device, repeats=repeats, threads=threads,
                                min_sample_s=MIN_SAMPLE_S, positions=("hidden",), clock=clock,
                                contenders=("yat", "yat_eager", "yat_numba"))
        timed = [r for r in frame.to_dict("records") if r["median_ms"] == r["median_ms"]]  # NaN: not timed
        base = next(r for r in timed if r["contender"] == BASELINE)
        rows.append(Row("width", width, "Linear+ReLU ms", base["median_ms"], setting, repeats, load))
        for r in sorted((r for r in timed if r["contender"] != BASELINE), key=lambda r: r["path"]):
            rows += [Row("width", width, f"Yat {r['path']} ms", r["median_ms"], setting, repeats, load),
                     Row("width", width, f"Yat {r['path']} ÷ Linear+ReLU", r["time_ratio"], setting, repeats, load,
                         r["time_ratio_q1"], r["time_ratio_q3"])]
    return rows


def _depth_rows(depths: list[int], device: str, repeats: int, threads: int, clock: str,
                say: Callable[[str], None]) -> list[Row]:
    """The ``depth`` axis: one training step of a Yat and a ReLU stack of width 64 at every depth."""
    import torch

    from yatbench.bench.depth import depth_benchmark
    from yatbench.nn.kernel_impl import path_name

    rows = []
    old_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for depth in depths:
            say(f"scaling: depth {depth}, {repeats} repeats")
            load = _load()
            measured = depth_benchmark([depth], STACK_WIDTH, STACK_BATCH, repeats, device, clock, MIN_SAMPLE_S)
            by = {r["contender"]: r for r in measured}
            setting = (f"MNIST 784 → {STACK_WIDTH}×depth → 10, batch {STACK_BATCH}, one Adam step, {device}, "
                       f"{threads} thread(s), {clock} clock, interleaved, Yat on the {path_name(device)} path")
            rows += [Row("depth", depth, "ReLU ms/step", 1e3 * by["relu"]["median_s"], setting, repeats, load),
                     Row("depth", depth, "Yat ms/step", 1e3 * by["yat"]["median_s"], setting, repeats, load),
                     Row("depth", depth, "Yat ÷ ReLU", by["yat"]["ratio"], setting, repeats, load,
                         by["yat"]["ratio_q1"], by["yat"]["ratio_q3"])]
    finally:
        torch.set_num_threads(old_threads)
    return rows


def growths(rows: list[Row]) -> dict[tuple[str, str], Growth]:
    """The fitted growth of every (axis, series) over its work values."""
    fits = {}
    for key in dict.fromkeys((r.axis, r.series) for r in rows):
        mine = [r for r in rows if (r.axis, r.series) == key]
        fits[key] = fit_growth([r.work for r in mine], [r.value for r in mine])
    return fits


def csv_text(rows: list[Row]) -> str:
    """``scaling.csv``: one line per row, with its series' fitted growth and interval beside it."""
    fits = growths(rows)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        fit = fits[r.axis, r.series]
        writer.writerow([r.axis, r.work, r.series, _num(r.value), _num(r.q1), _num(r.q3), r.repeats, _num(r.load),
                         _num(fit.exponent), _num(fit.low), _num(fit.high), fit.points, r.setting])
    return out.getvalue()


def _num(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.6g}"


def markdown(rows: list[Row]) -> str:
    """One Markdown table per axis: a line per work value, a column per series, and the fitted k last."""
    fits = growths(rows)
    parts = []
    for axis in dict.fromkeys(r.axis for r in rows):
        mine = [r for r in rows if r.axis == axis]
        series = list(dict.fromkeys(r.series for r in mine))
        loads = [r.load for r in mine if not math.isnan(r.load)]
        load = f"; load {min(loads):.1f}–{max(loads):.1f}" if loads else ""
        repeats = f"; {mine[0].repeats} repeats" if mine[0].repeats > 1 else ""
        lines = [f"**{axis}** — {mine[0].setting}{repeats}{load}", "",
                 f"| {axis} | {' | '.join(series)} |", "|---:|" + "---:|" * len(series)]
        for work in dict.fromkeys(r.work for r in mine):
            cells = {r.series: _cell(r) for r in mine if r.work == work}
            lines.append(f"| {work:,} | {' | '.join(cells.get(s, '') for s in series)} |")
        lines.append(f"| k in cost ∝ {axis}^k [95 % CI] | "
                     + " | ".join(fits[axis, s].text() for s in series) + " |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _cell(row: Row) -> str:
    if not math.isnan(row.q1):  # a paired ratio: its interquartile range beside it
        return f"{row.value:.2f} ({row.q1:.2f}–{row.q3:.2f})"
    return f"{row.value:,.1f}" if row.value >= 10 else f"{row.value:.3g}"


def run_scaling(grids: dict[str, list[int]], device: str, repeats: int, threads: int, clock: str, out: Path,
                say: Callable[[str], None] = lambda _: None) -> list[Row]:
    """Measure every axis of ``grids`` (from :func:`parse_scaling`), write ``<out>/scaling.csv``, return the rows."""
    rows: list[Row] = []
    if "runs" in grids or "workers" in grids:
        out.mkdir(parents=True, exist_ok=True)
        rows += _sweep_rows(grids, out, say)
    if "width" in grids:
        rows += _width_rows(grids["width"], device, repeats, threads, clock, say)
    if "depth" in grids:
        rows += _depth_rows(grids["depth"], device, repeats, threads, clock, say)
    atomic_write_text(out, "scaling.csv", csv_text(rows))
    return rows
