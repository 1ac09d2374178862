"""The ``yatbench`` command line: run, list (and sweep, report, bench as they land).

Only typer is imported at start-up so that ``--help`` answers at once; torch, Hydra and
pandas are imported inside the command that needs them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from yatbench.errors import Interrupted, UserError


class _Stopped(Exception):
    """Carries Ctrl-C / a termination signal past typer, which would turn it into a silent exit 130."""

    def __init__(self, interrupt: KeyboardInterrupt) -> None:
        super().__init__(str(interrupt))
        self.interrupt = interrupt


def _is_usage_error(exc: Exception) -> bool:
    """Click's own errors (typer vendors click, so match the class by name, not by import)."""
    return any(cls.__name__ == "ClickException" for cls in type(exc).__mro__)


class _OneLineGroup(TyperGroup):
    """Command-line usage errors (``--workers 0``, a missing argument) as one ``error:`` line, exit 2."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            raise _Stopped(exc) from None
        except Exception as exc:
            if not _is_usage_error(exc):
                raise
            command = f"yatbench {ctx.invoked_subcommand}" if ctx.invoked_subcommand else "yatbench"
            message = " ".join(exc.format_message().split()).rstrip(".")
            raise UserError(f"{message}; see `{command} --help`", exc.exit_code) from None


app = typer.Typer(
    cls=_OneLineGroup,
    help="Yat-product (ⵟ) neurons beside dot-product networks: runs, sweeps and reports.\n\n"
    "Example: yatbench run xor --model yat",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

def _version(value: bool) -> None:
    if value:
        from yatbench import __version__

        typer.echo(f"yatbench {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print yatbench's version and exit")] = False,
) -> None:
    """Yat-product (ⵟ) neurons beside dot-product networks: runs, sweeps and reports.

    Example: yatbench run xor --model yat
    """


ConfigDirOption = Annotated[
    Path | None,
    typer.Option("--config-dir", help="Your own config folder, searched before yatbench's "
                 "(add conf/dataset/*.yaml, conf/model/*.yaml, ...). Also YATBENCH_CONFIG_DIR."),
]
OverridesArg = Annotated[
    list[str] | None,
    typer.Argument(help="Hydra overrides, e.g. trainer.epochs=5 model.hidden=[32] seed=3 device=cpu",
                   show_default=False),
]


@app.command(context_settings={"ignore_unknown_options": True})
def run(
    dataset: Annotated[str, typer.Argument(help="Dataset: xor, compositional, mnist, fashion_mnist, inversion, "
                                           "poisson1d, poisson1d_multiscale, poisson2d, burgers (`yatbench list`)")],
    overrides: OverridesArg = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Model: linear, relu, attention, yat, tanh, sin")] = "yat",
    force: Annotated[bool, typer.Option("--force", help="Rerun even if this exact run is already complete")] = False,
    config_dir: ConfigDirOption = None,
) -> None:
    """Train one model on one dataset and write its run folder under results/.

    Examples:

      yatbench run xor --model yat

      yatbench run mnist --model relu model.hidden=[128] trainer.epochs=3

      yatbench run compositional -m attention model.experts=3 seed=4 device=cpu
    """
    from yatbench.compose import compose_config
    from yatbench.config import validate
    from yatbench.run import execute

    spec = validate(compose_config([f"dataset={dataset}", f"model={model}", *(overrides or [])], config_dir))
    outcome = execute(spec, force=force)
    print_run(outcome.record, outcome.run_dir, outcome.skipped)


def print_run(record: dict[str, Any], run_dir: Path, skipped: bool) -> None:
    """A short table of one run's metrics."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for note in record.get("notes", []):
        console.print(f"[yellow]note:[/] {note}")
    title = f"{record['dataset']} · {record['model']} · seed {record['seed']} · {record['params']} params"
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("status", record["status"] + (f" (epoch {record['diverged_epoch']})"
                                                if record.get("diverged_epoch") else ""))
    for key, value in record["metrics"].items():
        if key == "headline" or (key.endswith("_loss") and not key.startswith(("train", "test"))):
            continue
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    table.add_row("device", record["device"])
    table.add_row("train time", f"{record['train_time_s']:.2f} s")
    console.print(table)
    verb = "already complete, skipped (use --force to rerun)" if skipped else "written"
    console.print(f"run folder {verb}: {run_dir}")


@app.command(context_settings={"ignore_unknown_options": True})
def sweep(
    preset: Annotated[str, typer.Argument(help="Sweep preset: default, xor, param_budget, paper, pinn, pinn_tuned "
                                          "(conf/sweep/; see `yatbench list sweep`)")] = "default",
    overrides: Annotated[list[str] | None, typer.Argument(
        help="Hydra overrides and sweep syntax: model=yat,relu seed='range(20)' trainer.epochs=5; "
             "executor.KEY=VALUE sets the executor (executor.partition=gpu)", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Rerun runs that are already complete")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the grid's configurations (parameters, seeds, "
                       "done, to run); run nothing")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="With --dry-run: also every run id")] = False,
    executor: Annotated[str | None, typer.Option("--executor", "-e", help="inprocess, local (default: worker "
                        "processes), slurm, submitit_local (conf/executor/)", show_default=False)] = None,
    workers: Annotated[int | None, typer.Option("--workers", "-j", min=1, help="Worker processes of the local "
                       "executor (default: number of cores)", show_default=False)] = None,
    config_dir: ConfigDirOption = None,
) -> None:
    """Run a grid of runs: a preset, narrowed or widened by Hydra sweep syntax, in parallel.

    Complete runs are skipped: run the same command again after an interruption and it finishes the rest.

    A run that fails is recorded and the sweep goes on; it ends with a table of failures and exit code 1.

    Examples:

      yatbench sweep            (the default preset, 60 runs: what `make demo` runs)

      yatbench sweep xor seed='range(20)'

      yatbench sweep dataset=xor,compositional model=yat,relu --dry-run

      yatbench sweep param_budget --executor slurm executor.partition=gpu executor.gpus_per_node=1 device=cuda
    """
    from yatbench.sweep.runner import run_sweep

    arguments = list(overrides or [])
    if "=" in preset:  # `yatbench sweep model=yat`: no preset named, the first word is an override
        arguments, preset = [preset, *arguments], "default"
    result = run_sweep(preset, arguments, force=force, dry_run=dry_run, executor=executor, workers=workers,
                       user_dir=config_dir, verbose=verbose)
    raise typer.Exit(result.exit_code)


GROUPS = {"dataset": "datasets", "model": "models", "device": "devices", "trainer": "trainers",
          "sweep": "sweep presets", "executor": "sweep executors"}


@app.command("list")
def list_configs(
    group: Annotated[str | None, typer.Argument(help="Only this group: dataset, model, device, trainer, sweep, "
                                                "executor")] = None,
    config_dir: ConfigDirOption = None,
) -> None:
    """List the datasets, models, devices, trainers, sweep presets and executors, with their options.

    Example: yatbench list model
    """
    from rich.console import Console
    from rich.table import Table

    from yatbench.catalog import list_group

    if group is not None and group not in GROUPS:
        raise UserError(f"unknown group {group!r}; valid groups: {', '.join(GROUPS)}")
    console = Console()
    for name in [group] if group else GROUPS:
        table = Table(title=f"{GROUPS[name]} ({name}=NAME)", show_lines=False, title_justify="left")
        table.add_column("name", style="bold")
        table.add_column("what it is")
        table.add_column("options (defaults)")
        for entry in list_group(name, config_dir):
            options = "  ".join(f"{k}={v}" for k, v in entry.options.items())
            table.add_row(entry.name, entry.description, options)
        console.print(table)


@app.command()
def report(
    results_dir: Annotated[Path, typer.Option("--results-dir", "-r", help="Folder holding the run folders")] = Path(
        "results"),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where the report goes: a new or empty "
                                             "folder, or an earlier report, replaced whole when the new one is "
                                             "complete [default: <results-dir>/report, or <A>/compare with "
                                             "--compare]")] = None,
    where: Annotated[list[str] | None, typer.Option("--where", "-w", help="Only runs whose recorded KEY has one of "
                     "the VALUES: --where trainer.lr=0.01 --where model=yat,relu (all must hold)",
                     show_default=False)] = None,
    compare: Annotated[tuple[Path, Path] | None, typer.Option("--compare", help="Two results folders A B side by "
                       "side: configurations matched by seedless key, B − A with 95% intervals",
                       show_default=False)] = None,
) -> None:
    """Read every run under results/ and write tables, figures and an index page to results/report/.

    The page (index.html, self-contained; index.md) shows who wins by how much, with n and
    95% intervals, and tests the claims of the seed texts. Never needs training data.

    Examples:

      yatbench report --results-dir results

      yatbench report --where trainer.lr=0.01 --where model=yat,relu --out lr001

      yatbench report --compare results_v1 results_v2
    """
    from yatbench.report.subset import parse_where

    conditions = parse_where(where or [])
    for folder in compare or (results_dir,):
        if not folder.is_dir():
            raise UserError(f"results directory {folder} does not exist; run `yatbench sweep default` first "
                            "(or pass --results-dir)", 2)
    from yatbench.progress import progress_line

    if compare:
        from yatbench.report.compare import compare_folders
        from yatbench.report.console import print_comparison

        with progress_line(f"comparing {compare[0]} with {compare[1]}"):
            result = compare_folders(compare[0], compare[1], out or compare[0] / "compare", conditions)
        print_comparison(result)
        return
    from yatbench.report import build_report
    from yatbench.report.console import print_report

    with progress_line("reading run folders") as say:
        built = build_report(results_dir, out, conditions, step=say)
    print_report(built)


# Long enough to be stable: on a quiet 2-core machine 2 epochs × 3 repeats gave ratios of 0.39 (MNIST) and 0.75
# (XOR) where 5 × 5 gives 0.98–0.99 and 0.97–1.11; the spread of the paired per-repeat ratios is printed.
THROUGHPUT_CASES = [("mnist", "yat", ["trainer.epochs=5"]), ("xor", "yat", ["trainer.epochs=500"])]
THROUGHPUT_REPEATS = 5


def _parse_shapes(text: str) -> list[tuple[int, int, int]]:
    shapes = []
    for item in text.split(","):
        parts = item.lower().split("x")
        if len(parts) != 3 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
            raise UserError(f"--shapes item {item!r} is not BATCHxINxOUT with positive integers, e.g. 256x784x256")
        batch, fan_in, fan_out = (int(p) for p in parts)
        shapes.append((batch, fan_in, fan_out))
    from yatbench.limits import Limits

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
    from yatbench.results import ensure_writable

    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder for the CSV files")
    ensure_writable(out)


@app.command()
def bench(
    device: Annotated[str, typer.Option(help="cpu or cuda")] = "cpu",
    shapes: Annotated[str, typer.Option(help="Comma-separated BATCHxINxOUT")] = "256x784x256,4096x64x64,1024x784x512",
    repeats: Annotated[int, typer.Option(min=3, help="Interleaved repeats per shape (median reported)")] = 21,
    threads: Annotated[int, typer.Option(min=1, help="torch threads of the layer timing")] = 2,
    compile_layer: Annotated[bool, typer.Option("--compile", help="Also time torch.compile of the Yat layer")] = False,
    throughput: Annotated[bool, typer.Option(help="Also compare the trainer with a hand-written loop")] = True,
    out: Annotated[Path, typer.Option(help="Folder for the CSV files")] = Path("results/bench"),
    layer: Annotated[str, typer.Option(help="hidden (input needs grad), first (it does not) or both")] = "both",
) -> None:
    """Measure the Yat layer against Linear+ReLU (time and bytes kept for backward) and the trainer's throughput.

    Ratios are medians of per-repeat ratios with the contenders interleaved in one process.

    Examples:

      yatbench bench

      yatbench bench --shapes 256x784x256 --repeats 31 --no-throughput --layer first

      yatbench bench --device cuda --compile
    """
    from rich.console import Console

    if device not in ("cpu", "cuda"):
        raise UserError(f"--device {device!r} is not valid; choose cpu or cuda")
    shape_list = _parse_shapes(shapes)
    if layer not in ("hidden", "first", "both"):
        raise UserError(f"--layer {layer!r} is not valid; choose hidden, first or both")
    positions = ("hidden", "first") if layer == "both" else (layer,)
    _check_out_folder(out)
    import pandas as pd
    import torch

    from yatbench.bench import format_table, layer_benchmark, write_csv
    from yatbench.device import resolve_device
    from yatbench.throughput import trainer_throughput

    try:
        resolve_device(device)
    except UserError as exc:
        if device == "cuda":
            raise UserError("--device cuda was asked for but torch sees no CUDA GPU; use --device cpu",
                            exc.exit_code) from None
        raise
    from yatbench.progress import progress_line

    console = Console()
    if not console.is_terminal:
        console = Console(width=140)  # a file or a pipe: keep the table's columns readable
    torch.set_num_threads(threads)
    with progress_line("timing the layers") as say:
        parts = []
        for index, shape in enumerate(shape_list):
            say(f"layer timing: shape {index + 1} of {len(shape_list)} {shape}, {repeats} repeats")
            parts.append(layer_benchmark([shape], device=device, repeats=repeats, threads=threads,
                                         compile=compile_layer, positions=positions))
        table = pd.concat(parts, ignore_index=True)
    console.print(format_table(table, title=f"Yat layer vs Linear+ReLU · {device} · {threads} threads · "
                                            "time ratio: median of interleaved per-repeat ratios (IQR)"))
    console.print(f"layer table: {write_csv(table, out / 'layer.csv')}")
    if throughput:
        rows = []
        with progress_line("trainer throughput") as say:
            for dataset, model, extra in THROUGHPUT_CASES:
                say(f"trainer throughput: {dataset} · {model}, {THROUGHPUT_REPEATS} repeats")
                rows.append(trainer_throughput(dataset, model, extra, repeats=THROUGHPUT_REPEATS, device=device))
        frame = pd.DataFrame(rows)
        shown = frame[["dataset", "model", "epochs", "repeats", "trainer_samples_per_s", "hand_loop_samples_per_s",
                       "throughput_ratio", "ratio_min", "ratio_max"]].round(3)
        console.print("trainer vs hand-written loop (ratio = hand-loop time / trainer time = the ratio of the two "
                      "samples/s; min–max over the paired repeats):")
        console.print(shown.to_string(index=False))
        console.print(f"throughput table: {write_csv(frame, out / 'throughput.csv')}")


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM/SIGHUP (SLURM, CI, a closed terminal) stop the command the way Ctrl-C does: cleanly."""
    raise Interrupted("terminated", 128 + signum)


def main() -> None:
    """Entry point: bad input ends in one line on stderr and a non-zero exit, never a traceback.

    Ctrl-C and termination signals end in one line too, after the sweep has stopped its workers.
    """
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _terminate)
    try:
        app()
    except UserError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except _Stopped as exc:
        _exit_interrupted(exc.interrupt)
    except KeyboardInterrupt as exc:
        _exit_interrupted(exc)


def _exit_interrupted(exc: KeyboardInterrupt) -> None:
    message, code = (exc.message, exc.exit_code) if isinstance(exc, Interrupted) else ("interrupted", 130)
    typer.echo(message, err=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
