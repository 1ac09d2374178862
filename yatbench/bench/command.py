"""``yatbench bench`` end to end: check the arguments, time the layers, measure the trainer's throughput.

The arguments are checked before torch and pandas are imported, so that bad input is answered at
once; the layer timing is :mod:`yatbench.bench.layer` (its table and CSV :mod:`yatbench.bench.table`),
the trainer against a hand-written loop :mod:`yatbench.bench.throughput`; with ``--scaling``, cost against
work and its fitted growth instead (:mod:`yatbench.bench.scaling`).
"""

from __future__ import annotations

import os
from pathlib import Path

from yatbench.bench.scaling import markdown, parse_scaling, run_scaling
from yatbench.config.limits import Limits
from yatbench.core.errors import UserError
from yatbench.core.progress import progress_line
from yatbench.rundir.results import ensure_writable

# Long enough to be stable: on a quiet 2-core machine 2 epochs × 3 repeats gave ratios of 0.39 (MNIST) and 0.75
# (XOR) where 5 × 5 gives 0.98–0.99 and 0.97–1.11; the spread of the paired per-repeat ratios is printed.
THROUGHPUT_CASES = [("mnist", "yat", ["trainer.epochs=5"]), ("xor", "yat", ["trainer.epochs=500"])]
THROUGHPUT_REPEATS = 5
LAYERS = ("hidden", "first", "both")
CLOCKS = ("wall", "cpu")
MAX_REPEATS = 1001  # a median of more is no steadier; more only makes the command run for hours


def parse_shapes(text: str) -> list[tuple[int, int, int]]:
    """``--shapes`` as (batch, in, out) triples; one :class:`UserError` line for a malformed or too large one."""
    shapes = []
    for item in text.split(","):
        parts = item.lower().split("x")
        if len(parts) != 3 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
            raise UserError(f"--shapes item {item!r} is not BATCHxINxOUT with positive integers, e.g. 256x784x256")
        batch, fan_in, fan_out = (int(p) for p in parts)
        shapes.append((batch, fan_in, fan_out))
    limit = Limits().max_bytes
    for batch, fan_in, fan_out in shapes:
        # input, weight, output and their gradients, for both contenders: about 8 fp32 copies
        needed = 8 * 4 * (batch * fan_in + fan_in * fan_out + batch * fan_out)
        if needed > limit:
            raise UserError(f"--shapes {batch}x{fan_in}x{fan_out} needs about {needed / 2**30:.0f} GiB, over half "
                            f"this machine's memory ({limit / 2**30:.1f} GiB); choose smaller shapes")
    return shapes


def _check_out_folder(out: Path) -> None:
    """``--out`` must be a folder that exists or can be created (checked before minutes of timing)."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder for the CSV files")
    ensure_writable(out, "--out")  # also refuses the root, the home folder and system folders


def run_bench(device: str, shapes: str, repeats: int, threads: int, compile_layer: bool, throughput: bool,
              out: Path, layer: str, clock: str = "wall", scaling: list[str] | None = None) -> None:
    """Check the arguments, then print and write the layer table and (with ``throughput``) the trainer's;
    with ``scaling`` (``--scaling`` items) the cost-against-work tables instead (:mod:`yatbench.bench.scaling`)."""
    if device not in ("cpu", "cuda"):
        raise UserError(f"--device {device!r} is not valid; choose cpu or cuda")
    shape_list = parse_shapes(shapes)
    if repeats > MAX_REPEATS:
        raise UserError(f"--repeats {repeats} is over {MAX_REPEATS}; a median of more repeats is no steadier")
    cores = os.cpu_count() or 1
    if threads > max(cores, 2):  # 2, the default, stays valid on a one-core machine
        raise UserError(f"--threads {threads} is more than this machine's {cores} cores; a timing with more threads "
                        "than cores measures the scheduler, not the layer")
    if layer not in LAYERS:
        raise UserError(f"--layer {layer!r} is not valid; choose hidden, first or both")
    positions = ("hidden", "first") if layer == "both" else (layer,)
    if clock not in CLOCKS:
        raise UserError(f"--clock {clock!r} is not valid; choose wall or cpu")
    if clock == "cpu" and (threads != 1 or device != "cpu"):
        raise UserError("--clock cpu needs --threads 1 and --device cpu: it counts this thread's CPU time, which "
                        "misses the work of other threads and of a GPU")
    grids = parse_scaling(scaling) if scaling else None
    _check_out_folder(out)
    from yatbench.nn.kernel_impl import kernel_impl

    kernel_impl()  # a bad YATBENCH_KERNEL is answered now, in one line, not after minutes of timing
    # Imported only now that the arguments are known to be good: bad input is answered at once.
    import pandas as pd
    import torch
    from rich.console import Console

    from yatbench.bench.layer import layer_benchmark
    from yatbench.bench.table import format_table, throughput_table, write_csv
    from yatbench.bench.throughput import trainer_throughput
    from yatbench.train.device import resolve_device

    try:
        resolve_device(device)
    except UserError as exc:
        if device == "cuda":
            raise UserError("--device cuda was asked for but torch sees no CUDA GPU; use --device cpu",
                            exc.exit_code) from None
        raise
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=140)  # a file or a pipe: keep the table's columns readable (COLUMNS overrides)
    torch.set_num_threads(threads)
    if grids is not None:
        with progress_line("measuring cost against work") as say:
            rows = run_scaling(grids, device, repeats, threads, clock, out, say)
        print(markdown(rows))
        console.print(f"scaling table: {out / 'scaling.csv'}")
        return
    with progress_line("timing the layers") as say:
        parts = []
        for index, shape in enumerate(shape_list):
            say(f"layer timing: shape {index + 1} of {len(shape_list)} {shape}, {repeats} repeats")
            parts.append(layer_benchmark([shape], device=device, repeats=repeats, threads=threads,
                                         compile=compile_layer, positions=positions, clock=clock))
        table = pd.concat(parts, ignore_index=True)
    console.print(format_table(table, title=f"Yat layer vs Linear+ReLU · {device} · {threads} threads · {clock} "
                                            "clock · time ratio: median of interleaved per-repeat ratios (IQR)",
                               width=console.width))
    console.print(f"layer table: {write_csv(table, out / 'layer.csv')}")
    if throughput:
        rows = []
        with progress_line("trainer throughput") as say:
            for dataset, model, extra in THROUGHPUT_CASES:
                say(f"trainer throughput: {dataset} · {model}, {THROUGHPUT_REPEATS} repeats")
                rows.append(trainer_throughput(dataset, model, extra, repeats=THROUGHPUT_REPEATS, device=device))
        frame = pd.DataFrame(rows)
        console.print(throughput_table(frame, console.width))
        console.print(f"throughput table: {write_csv(frame, out / 'throughput.csv')}")
