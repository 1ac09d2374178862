"""What a sweep prints at the end: counts and time, the failures, and a compact comparison.

The comparison is deliberately small (one headline metric per configuration, mean ± std over
seeds with n); ``yatbench report`` reads every run folder and writes the full tables and figures.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from yatbench.config.spec import RunSpec
from yatbench.core.errors import UserError
from yatbench.core.narrow import Col, fit_table, seed_range
from yatbench.sweep.grid import Grid
from yatbench.sweep.jobs import FAILED_DIR, RunReport
from yatbench.sweep.params import spec_param_count

HIDDEN_KEYS = ("seed", "results_dir", "trainer.progress", "trainer.seed_batching")


@dataclass
class SweepResult:
    """Every run of the grid with what happened to it in this sweep."""

    grid: Grid
    executor: str
    already_done: list[RunReport] = field(default_factory=list)
    ran: list[RunReport] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def failures(self) -> list[RunReport]:
        return [r for r in [*self.already_done, *self.ran] if r.status != "ok"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0


def print_summary(console: Console, result: SweepResult) -> None:
    """Runs in the grid, skipped, run now by status, wall time and time spent training."""
    ran = result.ran
    by_status = {s: sum(r.status == s for r in ran) for s in ("ok", "diverged", "failed")}
    train_s = sum(r.record.get("train_time_s") or 0.0 for r in ran)
    table = Table(title=f"sweep {result.grid.preset.name}", title_justify="left", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    table.add_row("runs in the grid", str(len(result.grid.specs)))
    table.add_row("already done (skipped)", str(len(result.already_done)))
    table.add_row("run now: ok / diverged / failed", " / ".join(str(by_status[s]) for s in by_status))
    table.add_row("wall time", f"{result.wall_s:.1f} s")
    table.add_row("training time, summed over runs", f"{train_s:.1f} s")
    table.add_row("executor", result.executor)
    console.print(table)


def print_failures(console: Console, failures: list[RunReport]) -> None:
    """One row per run that raised or diverged; details of raised runs are under results/.failed/."""
    if not failures:
        return
    rows = [[escape(report.run_id), report.status, escape(report.message[:300])] for report in failures]
    table = fit_table([Col("run"), Col("status"), Col("message", "text")], rows, console.width,
                      title=f"[bold red]{len(failures)} runs failed or diverged[/]")
    console.print(table)
    if any(r.status == "failed" for r in failures):
        console.print(f"tracebacks: <results_dir>/{FAILED_DIR}/<run>.json; failed runs are retried by the next sweep")


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        elif key != "_target_":
            flat[f"{prefix}{key}"] = str(value)
    return flat


def settings_labels(group_spec: dict[str, RunSpec]) -> dict[str, str]:
    """Per seedless key, the settings that set it apart from the other configurations of its dataset and model."""
    flats = {key: _flat(spec.resolved) for key, spec in group_spec.items()}
    labels = {}
    for key, spec in group_spec.items():
        siblings = [k for k, s in group_spec.items() if (s.dataset.name, s.model.name) == (spec.dataset.name,
                                                                                          spec.model.name)]
        varying = sorted({name for k in siblings for name, value in flats[k].items()
                          if any(flats[o].get(name) != value for o in siblings)} - set(HIDDEN_KEYS))
        labels[key] = " ".join(f"{name.split('.', 1)[-1]}={flats[key].get(name)}" for name in varying)
    return labels


def print_plan(console: Console, specs: list[RunSpec], done: set[str], verbose: bool = False) -> None:
    """``sweep --dry-run``: one row per configuration (trainable parameters, seeds, done / to run); ``verbose``:
    every run id too."""
    group_spec: dict[str, RunSpec] = {}
    members: dict[str, list[RunSpec]] = {}
    for spec in specs:
        group_spec.setdefault(spec.seedless_key, spec)
        members.setdefault(spec.seedless_key, []).append(spec)
    labels = settings_labels(group_spec)
    rows = []
    for key, runs in members.items():
        spec = group_spec[key]
        finished = sum(r.run_id in done for r in runs)
        try:
            params = str(spec_param_count(spec))
        except UserError:  # data that cannot be read here (no files, no network): the run will say so
            params = "?"
        rows.append([spec.dataset.name, spec.model.name, escape(labels[key]) or "—", params,
                     seed_range([r.seed for r in runs]), str(finished), str(len(runs) - finished)])
    columns = [Col("dataset"), Col("model"), Col("settings", "words"), Col("params", "extra", "right"),
               Col("seeds"), Col("done", justify="right"), Col("to run", justify="right")]
    table = fit_table(columns, rows, console.width,
                      title="runs by configuration (-v: every run id)",
                      constant=("dataset", "model"))
    console.print(table)
    if verbose:
        for spec in specs:
            console.print(f"  {'done   ' if spec.run_id in done else 'to run '} {spec.run_id}", highlight=False)


def print_comparison(console: Console, reports: list[RunReport], specs: list[RunSpec]) -> None:
    """Dataset × model (× what else differs): n, parameters, headline metric mean ± std over seeds,
    and for XOR-style data how many seeds solved it (every test point right)."""
    by_id = {spec.run_id: spec for spec in specs}
    groups: dict[str, list[dict[str, Any]]] = {}
    group_spec: dict[str, RunSpec] = {}
    for report in reports:
        spec = by_id.get(report.run_id)
        if spec is None or report.status != "ok" or not report.record.get("metrics"):
            continue
        key = spec.seedless_key
        groups.setdefault(key, []).append(report.record)
        group_spec.setdefault(key, spec)
    if not groups:
        return
    order = {spec.seedless_key: i for i, spec in reversed(list(enumerate(specs)))}
    labels = settings_labels(group_spec)
    rows = []
    for key in sorted(groups, key=order.__getitem__):
        records, spec = groups[key], group_spec[key]
        settings = labels[key]
        headline = records[0]["metrics"].get("headline", "accuracy")
        values = [r["metrics"].get(f"test_{headline}") for r in records]
        values = [float(v) for v in values if isinstance(v, (int, float))]
        spread = f"{statistics.mean(values):.4f} ± {statistics.stdev(values) if len(values) > 1 else 0.0:.4f}" \
            if values else "-"
        params = "/".join(str(p) for p in sorted({r.get("params") for r in records}))
        solved = [r["metrics"]["solved"] for r in records if r["metrics"].get("solved") is not None]
        solved_text = f"{sum(solved)}/{len(solved)}" if solved else ""
        rows.append([spec.dataset.name, spec.model.name, settings, str(len(records)), params, headline, spread,
                     solved_text])
    columns = [Col("dataset"), Col("model"), Col("settings", "words"), Col("n", justify="right"),
               Col("params", "extra", "right"), Col("test", "extra"), Col("mean ± std", justify="right"),
               Col("solved", justify="right")]
    optional = ("settings", "solved")
    keep = [i for i, column in enumerate(columns) if column.name not in optional or any(row[i] for row in rows)]
    table = fit_table([columns[i] for i in keep], [[escape(row[i]) for i in keep] for row in rows], console.width,
                      title="over seeds (more: yatbench report)", constant=("dataset", "test"))
    console.print(table)
