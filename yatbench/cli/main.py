"""The ``yatbench`` command line: run, sweep, list, report and bench, with their options and help.

Only typer is imported at start-up so that ``--help`` answers at once; torch, Hydra and
pandas are imported inside the command that needs them. How a command ends (one error line,
an exit code, signals) is :mod:`yatbench.cli.errors`; the bench command's body is
:mod:`yatbench.bench.command`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from yatbench.cli.errors import OneLineGroup, run_guarded
from yatbench.config.confdir import packaged_names
from yatbench.core.errors import UserError


def _options(group: str) -> str:
    """The options yatbench ships for a config group, for help texts (read from conf/, never listed by hand)."""
    return ", ".join(packaged_names(group))


app = typer.Typer(
    cls=OneLineGroup,
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
    dataset: Annotated[str, typer.Argument(help=f"Dataset: {_options('dataset')} (`yatbench list dataset`)")],
    overrides: OverridesArg = None,
    model: Annotated[str, typer.Option("--model", "-m", help=f"Model: {_options('model')}")] = "yat",
    force: Annotated[bool, typer.Option("--force", help="Rerun even if this exact run is already complete")] = False,
    config_dir: ConfigDirOption = None,
) -> None:
    """Train one model on one dataset and write its run folder under results/.

    Examples:

      yatbench run xor --model yat

      yatbench run mnist --model relu model.hidden=[128] trainer.epochs=3

      yatbench run compositional -m attention model.experts=3 seed=4 device=cpu
    """
    from yatbench.run.known import recall, recall_command, remember, remember_words

    words = [f"dataset={dataset}", f"model={model}", *(overrides or [])]
    # A finished run, recognised from this command line as it was composed before (no Hydra, no torch) ...
    known = None if force else recall_command(words, config_dir)
    if known is not None:
        print_run(known.record, known.run_dir, True, known.messages)
        return
    from yatbench.config.compose import check_choice_overrides, compose_config

    check_choice_overrides(overrides or [], {"dataset": dataset, "model": model},
                           {"dataset": "the command's dataset argument", "model": "--model"})
    cfg = compose_config(words, config_dir)
    known = None if force else recall(cfg)  # ... or from its composed config (no torch)
    if known is not None:
        remember_words(cfg, known.run_dir.name, known.run_dir.parent, words, config_dir)
        print_run(known.record, known.run_dir, True, known.messages)
        return
    from yatbench.config.spec import validate  # imports the config dataclasses, and with them torch
    from yatbench.run.execute import execute

    spec = validate(cfg)
    outcome = execute(spec, force=force)
    remember(cfg, spec, words, config_dir)
    print_run(outcome.record, outcome.run_dir, outcome.skipped, outcome.messages)


def print_run(record: dict[str, Any], run_dir: Path, skipped: bool, messages: list[str] | None = None) -> None:
    """A short table of one run's metrics."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for note in record.get("notes", []):
        console.print(f"[yellow]note:[/] {note}")
    for message in messages or []:
        console.print(message, highlight=False)
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
    preset: Annotated[str, typer.Argument(help=f"Sweep preset: {_options('sweep')} (conf/sweep/; see "
                                          "`yatbench list sweep`)")] = "default",
    overrides: Annotated[list[str] | None, typer.Argument(
        help="Hydra overrides and sweep syntax: model=yat,relu seed='range(20)' trainer.epochs=5; "
             "executor.KEY=VALUE sets the executor (executor.partition=gpu)", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Rerun runs that are already complete")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the grid's configurations (parameters, seeds, "
                       "done, to run); run nothing")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="With --dry-run: also every run id")] = False,
    executor: Annotated[str | None, typer.Option("--executor", "-e", help=f"{_options('executor')} (conf/executor/; "
                        "default: local, worker processes)", show_default=False)] = None,
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


@app.command("list")
def list_configs(
    group: Annotated[str | None, typer.Argument(help="A group to show in full (descriptions and options): "
                                                "dataset, model, device, trainer, sweep, executor")] = None,
    config_dir: ConfigDirOption = None,
) -> None:
    """List the datasets, models, devices, trainers, sweep presets and executors; a GROUP in full.

    Examples: yatbench list      yatbench list model
    """
    from rich.console import Console

    from yatbench.cli.catalog import GROUPS, details, overview

    if group is not None and group not in GROUPS:
        raise UserError(f"unknown group {group!r}; valid groups: {', '.join(GROUPS)}")
    console = Console()
    for part in details(group, config_dir) if group else overview(config_dir):
        console.print(part)


WHERE_HELP = ("Only runs meeting KEY OP VALUE, OP one of = != < <= > >= (all --where must hold); KEY is any "
              "column of runs.csv: config key, metric, params, tags, provenance. = and != take lists: "
              "--where model=yat,relu --where 'model!=linear' --where 'params<1000' --where tags=baseline")


@app.command()
def report(
    results_dir: Annotated[Path, typer.Option("--results-dir", "-r", help="Folder holding the run folders")] = Path(
        "results"),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where the report goes: a new or empty "
                                             "folder, or an earlier report, replaced whole when the new one is "
                                             "complete [default: <results-dir>/report; with --compare A B: "
                                             "compare-<A>-vs-<B> in the current folder, inside neither]")] = None,
    where: Annotated[list[str] | None, typer.Option("--where", "-w", help=WHERE_HELP, show_default=False)] = None,
    compare: Annotated[tuple[Path, Path] | None, typer.Option("--compare", help="Two results folders A B side by "
                       "side: configurations matched by seedless key, B − A with 95% intervals",
                       show_default=False)] = None,
    findings: Annotated[Path | None, typer.Option("--findings", help="Also put the claims' table between the "
                        "<!-- findings:start --> and <!-- findings:end --> lines of this Markdown file (the "
                        "README), replacing what was there; the rest of the file is kept", show_default=False)] = None,
) -> None:
    """Read every run under results/ and write tables, figures and an index page to results/report/.

    The page (index.html, self-contained; index.md) shows who wins by how much, with n and
    95% intervals, and tests the claims of the seed texts. Never needs training data.

    Examples:

      yatbench report --results-dir results

      yatbench report --where trainer.lr=0.01 --where model=yat,relu --out lr001

      yatbench report --where 'model!=linear' --where 'test_accuracy>=0.9' --where tags=baseline

      yatbench report --compare results_v1 results_v2

      yatbench report --findings README.md
    """
    from yatbench.report.subset import parse_where

    conditions = parse_where(where or [])
    if findings is not None:
        if compare:
            raise UserError("--findings takes the claims of one results folder; it cannot be used with --compare")
        from yatbench.report.findings import check_findings_file

        check_findings_file(findings)  # a wrong file fails before the report is built
    for folder in compare or (results_dir,):
        if not folder.is_dir():
            raise UserError(f"results directory {folder} does not exist; run `yatbench sweep default` first "
                            "(or pass --results-dir)", 2)
    from yatbench.core.progress import progress_line

    if compare:
        from yatbench.report.compare import compare_folders
        from yatbench.report.console import print_comparison

        with progress_line(f"comparing {compare[0]} with {compare[1]}"):
            result = compare_folders(compare[0], compare[1], out or default_compare_out(*compare), conditions)
        print_comparison(result)
        return
    from yatbench.report import build_report
    from yatbench.report.console import print_report

    with progress_line("reading run folders") as say:
        built = build_report(results_dir, out, conditions, step=say)
    print_report(built)
    if findings is not None:
        from rich.console import Console

        from yatbench.report.findings import findings_markdown, replace_findings
        from yatbench.report.subset import where_text

        subset = f"only the runs with {where_text(conditions)}" if conditions else ""
        replace_findings(findings, findings_markdown(built.claims, built.table.runs, results_dir, subset))
        Console().print(f"findings: the claims' table written between the markers of {findings}", highlight=False)


def default_compare_out(a: Path, b: Path) -> Path:
    """Where ``--compare A B`` writes without ``--out``: a folder named after both, in the current folder, so
    that neither results folder gets a comparison written into it."""
    import re

    def name(folder: Path) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", folder.resolve().name) or "results"

    return Path(f"compare-{name(a)}-vs-{name(b)}")


@app.command()
def tag(
    runs: Annotated[list[str], typer.Argument(help="Run folders or run ids (looked up in --results-dir)",
                                              show_default=False)],
    add: Annotated[list[str] | None, typer.Option("--add", "-a", help="Tag to add (repeat for more)",
                                                  show_default=False)] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Tag to remove (repeat for more)",
                                                     show_default=False)] = None,
    results_dir: Annotated[Path, typer.Option("--results-dir", "-r", help="Where run ids are looked up")] = Path(
        "results"),
) -> None:
    """Add or remove tags of finished runs (labels, not identity: nothing is trained again).

    With neither --add nor --remove, print the runs' tags. Running the same config again with
    tags=[...] adds those tags too.

    Examples:

      yatbench tag xor-yat-s0-24ba4d81 --add baseline

      yatbench tag results/xor-yat-s0-24ba4d81 results/xor-yat-s1-24ba4d81 --add v2 --remove draft
    """
    from yatbench.rundir.results import is_complete
    from yatbench.rundir.tags import check_tags, edit_tags

    added, removed = check_tags(add or [], "--add"), check_tags(remove or [], "--remove")
    folders = []
    for name in runs:
        folder = Path(name) if Path(name).is_dir() or Path(name).name != name else results_dir / name
        if not is_complete(folder):
            raise UserError(f"{name} is not a finished run (no {folder / 'metrics.json'}); give a run folder or "
                            f"the id of a run under --results-dir {results_dir}")
        folders.append(folder)
    for folder in folders:
        tags, _ = edit_tags(folder, added, removed)
        typer.echo(f"{folder.name}: {', '.join(tags) if tags else '(no tags)'}")


@app.command()
def export(
    tensorboard: Annotated[Path, typer.Option("--tensorboard", help="New or empty folder for TensorBoard event "
                           "files: scalar histories and the HParams table", show_default=False)],
    results_dir: Annotated[Path, typer.Option("--results-dir", "-r", help="Folder holding the run folders")] = Path(
        "results"),
    where: Annotated[list[str] | None, typer.Option("--where", "-w", help=WHERE_HELP, show_default=False)] = None,
) -> None:
    """Write the runs for researchers' own tools: TensorBoard event files (no TensorFlow needed).

    One TensorBoard run per run folder (its history by step, final metrics as final/<metric>, its config
    as hparams); the HParams dashboard shows one row per configuration. Then: tensorboard --logdir DIR

    Examples:

      yatbench export --tensorboard tb

      yatbench export --tensorboard tb_xor -r results --where dataset=xor
    """
    from yatbench.report.subset import parse_where

    conditions = parse_where(where or [])
    from yatbench.core.progress import progress_line, warn
    from yatbench.report.tensorboard import export_tensorboard

    with progress_line(f"writing TensorBoard event files into {tensorboard}"):
        done = export_tensorboard(results_dir, tensorboard, conditions)
    for line in done.notes:
        warn(line)
    typer.echo(f"{len(done.runs)} runs ({done.configurations} configurations) → {done.out_dir}: "
               f"{len(done.hparams)} hparams, {len(done.metrics)} final metrics; "
               f"view with: tensorboard --logdir {done.out_dir}")


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
    clock: Annotated[str, typer.Option(help="wall (elapsed time) or cpu (this thread's CPU time: steadier on a "
                                            "loaded machine; needs --threads 1)")] = "wall",
    scaling: Annotated[list[str] | None, typer.Option(
        help="Instead: cost against work, with the fitted growth: all, or one axis alone or with its grid "
             "(width, width=64,256,1024); repeat for more", show_default=False)] = None,
) -> None:
    """Measure the Yat layer against Linear+ReLU (time and bytes kept for backward) and the trainer's throughput.

    Ratios are medians of per-repeat ratios with the contenders interleaved in one process.

    Examples:

      yatbench bench

      yatbench bench --shapes 256x784x256 --repeats 31 --no-throughput --layer first

      yatbench bench --device cuda --compile

      YATBENCH_KERNEL=eager yatbench bench --threads 1 --clock cpu --no-throughput

      yatbench bench --scaling all --threads 1 --clock cpu --repeats 5
    """
    from yatbench.bench.command import run_bench  # lazy: torch and pandas only when the command runs

    run_bench(device, shapes, repeats, threads, compile_layer, throughput, out, layer, clock, scaling)


def main() -> None:
    """Entry point: bad input ends in one line on stderr and a non-zero exit, never a traceback.

    Ctrl-C and termination signals end in one line too, after the sweep has stopped its workers.
    """
    run_guarded(_app)


def _app() -> None:
    """The command line: a finished run answered at once, anything else parsed by typer; ends in SystemExit."""
    from yatbench.rundir.provenance import remember_command

    remember_command()  # recorded in every run this command (and its sweep workers) makes
    if answered_finished_run(sys.argv[1:]):
        raise SystemExit(0)  # as typer ends a command that succeeded
    app()


def answered_finished_run(argv: list[str]) -> bool:
    """``yatbench run DATASET [--model M] [KEY=VALUE …]`` of a run already finished, answered before typer
    parses the command line (parsing imports pydantic: a third of what a skipped run took). True when answered.

    Only that plain shape is read here (``--model``/``-m``, ``--config-dir``, overrides); anything else
    (``--force``, ``--help``, another option, a run not remembered) is False, and typer handles the command
    as it always has: the same command either way.
    """
    if not argv or argv[0] != "run":
        return False
    words, dataset, options = iter(argv[1:]), None, {"--model": "yat", "--config-dir": None}
    overrides = []
    for word in words:
        name, eq, value = word.partition("=")
        name = {"-m": "--model"}.get(name, name)
        if name in options:
            options[name] = value if eq else next(words, None)
            if options[name] is None or options[name].startswith("-"):
                return False
        elif word.startswith("-"):
            return False
        elif dataset is None:
            dataset = word
        elif "=" in word:
            overrides.append(word)
        else:
            return False
    if dataset is None or "=" in dataset:
        return False
    from yatbench.run.known import recall_command

    known = recall_command([f"dataset={dataset}", f"model={options['--model']}", *overrides], options["--config-dir"])
    if known is None:
        return False
    print_run(known.record, known.run_dir, True, known.messages)
    return True


if __name__ == "__main__":
    main()
