"""``yatbench report`` end to end: read the runs, write tables, figures, claims and the index page.

Never needs training data: it reads run folders (metrics.json, config.yaml, history.csv,
model.pt) and regenerates only the synthetic XOR and compositional data from their configs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from yatbench.core.narrow import seed_range
from yatbench.report.claims import CONTRADICTED, NOT_ENOUGH, SUPPORTED, Claim, all_claims, claims_frame, verdict_counts
from yatbench.report.context import Context
from yatbench.report.figures import Figure, all_figures, page_sections
from yatbench.report.guard import ERRORS_FILE, Failure, attempt, write_errors
from yatbench.report.load import REPORT_DIR, RunTable, load_runs, main_variants
from yatbench.report.output import check_target, staged, write_parquet
from yatbench.report.page import (
    Block,
    bullets,
    claim_anchor,
    heading,
    para,
    untested_block,
    verdict_table,
    write_page,
)
from yatbench.report.provenance import provenance_table, version_warnings
from yatbench.report.runlog import cfg_anchor, run_links, run_sections
from yatbench.report.stats import METHODS
from yatbench.report.subset import Condition, apply_where, where_text
from yatbench.report.sweepview import SweepPoints, sweep_points
from yatbench.report.tables import Table, all_tables, write_table
from yatbench.sweep.grid import expand, load_preset

DEFAULT_PRESET = "default"  # the sweep every report expects; the other presets add to it


def expected_runs(preset: str = DEFAULT_PRESET) -> dict[str, list[str]]:
    """Dataset → the models a preset's grid (``conf/sweep/<preset>.yaml``) runs on it, in grid order."""
    loaded = load_preset(preset)
    expected: dict[str, list[str]] = {}
    for point in expand(loaded.axes, loaded.entries):
        models = expected.setdefault(point["dataset"], [])
        if point["model"] not in models:
            models.append(point["model"])
    return expected


@dataclass
class Report:
    """What a report run produced, for the terminal summary and the tests."""

    out_dir: Path
    index_md: Path
    index_html: Path
    table: RunTable
    tables: list[Table]
    figures: list[Figure]
    claims: list[Claim]
    missing: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    where: list[Condition] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # configurations whose runs were made by different code
    notes: list[str] = field(default_factory=list)  # what was not written, and why (e.g. runs.parquet)
    failures: list[Failure] = field(default_factory=list)  # figures, claims, tables that could not be made


def missing_runs(table: RunTable) -> list[str]:
    """Plain lines naming the datasets and models with no runs, each with the command that adds them."""
    runs = table.runs
    lines = []
    for dataset, models in expected_runs().items():
        present = set(runs[runs["dataset"] == dataset]["model"]) if not runs.empty else set()
        if not present:
            lines.append(f"no {dataset} runs — `yatbench sweep {DEFAULT_PRESET} dataset={dataset}`")
            continue
        absent = [m for m in models if m not in present]
        if absent:
            lines.append(f"{dataset}: no runs of {', '.join(absent)} — "
                         f"`yatbench sweep {DEFAULT_PRESET} dataset={dataset} model={','.join(absent)}`")
    if not runs.empty:
        for (dataset, model, label), frame in runs.groupby(["dataset", "model", "variant_label"], sort=False):
            if frame["seed"].nunique() < 3:
                lines.append(f"{dataset} · {model}{' · ' + label if label else ''}: only "
                             f"{frame['seed'].nunique()} seed(s) — no spread or verdict from fewer than 3")
    return lines


def build_report(results_dir: Path, out_dir: Path | None = None, where: list[Condition] | None = None,
                 step: Callable[[str], None] = lambda _: None,
                 figures_wanted: Callable[[str], bool] = lambda name: True) -> Report:
    """Read every run under ``results_dir`` (those matching ``where``, see :mod:`yatbench.report.subset`) and
    write the report into ``out_dir`` (default results/report). ``step`` hears what is being done now;
    ``figures_wanted`` picks figure makers by name (:func:`yatbench.report.figures.figure_makers`; default all).

    The report is built in a temporary sibling and swapped in whole (:mod:`yatbench.report.output`):
    an existing ``out_dir`` is replaced only when it is an earlier yatbench report. A figure, claim
    family, table, runs.parquet, the provenance table, the version check or a sweep view that raises is
    left out and recorded (:mod:`yatbench.report.guard`); the rest is still written.
    """
    out_dir = out_dir or results_dir / REPORT_DIR
    check_target(out_dir)  # before reading the runs: a wrong --out fails at once
    step(f"reading run folders in {results_dir}")
    table = load_runs(results_dir)
    total = len(table.runs)
    table = apply_where(table, where or [])
    with staged(out_dir) as work:
        ctx = Context(table, main_variants(table.runs), work)
        step(f"summarising {len(table.runs)} runs")
        tables = all_tables(table, ctx.failures) if not table.empty else []
        for tab in tables:
            write_table(tab, work)
        notes: list[str] = []
        provenance = None
        if not table.empty:
            table.runs.to_csv(work / "runs.csv", index=False)
            parquet = work / "runs.parquet"
            said = attempt("table", "runs.parquet", lambda: write_parquet(table.runs, parquet), ctx.failures,
                           cleanup=lambda: parquet.unlink(missing_ok=True))  # no half-written file is left
            notes += [said] if said else []
            provenance = attempt("table", "provenance", lambda: provenance_table(table.runs), ctx.failures)
            if provenance is not None:
                provenance.to_csv(work / "provenance.csv", index=False)
        warnings = attempt("check", "version_warnings", lambda: version_warnings(table.runs), ctx.failures) or []
        sweeps = sweep_views(table.runs, ctx.failures)
        step("drawing figures")
        figures = all_figures(ctx, figures_wanted)
        step("deciding claims")
        claims = all_claims(ctx)
        claims_frame(claims).to_csv(work / "claims.csv", index=False)
        missing = missing_runs(table)
        step("writing the page")
        write_errors(ctx.failures, work)
        blocks = page_blocks(ctx, tables, figures, claims, missing, sweeps=sweeps, provenance=provenance)
        if warnings:
            blocks.insert(0, para("**Warning: runs of one configuration made with different code.** "
                                  + " ".join(f"{line}." for line in warnings)
                                  + " See the provenance table under “Runs behind every number”."))
        if where:
            blocks.insert(0, para(f"**Subset:** only the runs with {where_text(where)} — {len(table.runs)} of the "
                                  f"{total} runs in the folder (`yatbench report --where`). Verdicts, tables and "
                                  "figures below use these runs alone."))
        md, html_path = write_page(blocks, work, "yatbench report: Yat-product neurons vs dot-product networks")
    for fig in figures:  # the files now live in out_dir
        fig.path = out_dir / fig.path.name
    return Report(out_dir, out_dir / md.name, out_dir / html_path.name, table, tables, figures, claims, missing,
                  ctx.skipped, where or [], warnings, notes, ctx.failures)


def sweep_views(runs: pd.DataFrame, failures: list[Failure]) -> list[SweepPoints]:
    """Per swept dataset, the configurations the page's interactive view draws. Independent of the sweep
    figures: a figure that cannot be drawn does not take the view with it; a dataset whose points cannot be
    gathered is recorded in ``failures`` and costs only its own view."""
    views = []
    for dataset in (dict.fromkeys(runs["dataset"]) if not runs.empty else []):
        made = attempt("view", f"sweep_view {dataset}", lambda d=str(dataset): sweep_points(runs, d), failures)
        if made is not None:
            views.append(made)
    return views


def _inventory(table: RunTable) -> pd.DataFrame:
    rows = []
    for (dataset, model, label), frame in table.runs.groupby(["dataset", "model", "variant_label"], sort=False):
        rows.append({"dataset": dataset, "model": model, "setting": label or "—", "runs": len(frame),
                     "seeds": seed_range(frame["seed"].tolist()),
                     "status": ", ".join(f"{k} {v}" for k, v in frame["status"].value_counts().items()),
                     "data source": ", ".join(sorted(set(map(str, frame["source"].dropna())))),
                     "device": ", ".join(sorted(set(map(str, frame["device"].dropna())))),
                     "variant id": f"[{frame['variant'].iloc[0]}](#{cfg_anchor(frame['variant'].iloc[0])})"})
        tags = sorted({t for text in frame.get("tags", pd.Series(dtype=object)).dropna() for t in str(text).split(",")
                       if t})
        rows[-1]["tags"] = ", ".join(tags)
    inventory = pd.DataFrame(rows)
    if "tags" in inventory.columns and not inventory["tags"].astype(bool).any():
        inventory = inventory.drop(columns="tags")  # no run is tagged: no empty column
    return inventory


def _drawn_configurations(ctx: Context) -> list[str]:
    """Per (dataset, model): the configuration figures draw (linked, with seeds) and those they leave out."""
    runs = ctx.table.runs
    lines = []
    for (dataset, model), key in ctx.variants.items():
        frame = runs[runs["variant"] == key]
        label = str(frame["variant_label"].iloc[0]) or "the only configuration"
        others = runs[(runs["dataset"] == dataset) & (runs["model"] == model) & (runs["variant"] != key)]
        hidden = list(dict.fromkeys(others["variant_label"]))
        line = (f"{dataset} · {model}: [{label}](#{cfg_anchor(key)}), seeds {seed_range(frame['seed'].tolist())}")
        if hidden:
            line += f"; not drawn: {len(hidden)} other configuration(s) — " + "; ".join(f"`{h}`" for h in hidden[:6])
            line += " …" if len(hidden) > 6 else ""
        lines.append(line)
    return lines


OVERVIEW_TEXT = (
    "Each claim from the seed texts that these runs (or the formula) can test; the full measurement, decision "
    "rule and numbers are in the Claims section at the end. **Convergence**: whether every run a row used "
    "stopped by the early-stopping rule on its validation split (converged), or was cut off by its maximum "
    "budget while still improving (unconverged — then the verdict is not read: the row says *unconverged* and "
    "the override that gets there); *not recorded* for runs made before early stopping. **Budget-robust**: the "
    "same verdict when every claim is decided again on the runs as they stood at half the budget each used "
    "(their best validation evaluation up to half their epochs); n/a for the formula and for measures taken "
    "only at the end of training. Tuned rows and rows about nmn's variant of the formula are shown, labelled, "
    "and not counted in the tally above.")


def tally_text(counts: dict[str, int], claims: list[Claim]) -> str:
    """``3 supported, 2 contradicted, 4 without enough data, …`` and the rows left out of the tally."""
    words = {NOT_ENOUGH: "without enough data"}
    parts = [f"{n} {words.get(v, v)}" for v, n in counts.items() if n or v in (SUPPORTED, CONTRADICTED, NOT_ENOUGH)]
    left_out = sum(not c.counts_in_tally for c in claims)
    return ", ".join(parts) + (f" ({left_out} tuned or nmn-variant row(s) shown but not counted)" if left_out else "")


def page_blocks(ctx: Context, tables: list[Table], figures: list[Figure], claims: list[Claim],
                missing: list[str], sweeps: list[SweepPoints] | None = None,
                provenance: pd.DataFrame | None = None) -> list[Block]:
    """The page, top to bottom: verdicts, what was run, tables and figures by topic, claims in full.
    ``sweeps``: the interactive views (:func:`sweep_views`); ``provenance``: the provenance table, or None
    when it could not be made (the failure is listed at the top)."""
    table = ctx.table
    runs = table.runs
    by_name = {t.name: t for t in tables}
    by_section: dict[str, list[Figure]] = {}
    for fig in figures:
        by_section.setdefault(fig.section, []).append(fig)
    counts = verdict_counts(claims)
    blocks: list[Block] = []
    n_runs = len(runs)
    datasets = ", ".join(dict.fromkeys(runs["dataset"])) if n_runs else "none"
    blocks.append(para(f"Results folder `{table.results_dir}`: **{n_runs} runs** ({datasets}). "
                       f"Claims tested: {tally_text(counts, claims)}. Every number below names its runs and seeds; "
                       "all runs with their config columns are in [runs.csv](runs.csv)."))
    blocks.append(heading("Verdicts at a glance"))
    blocks.append(para(OVERVIEW_TEXT))
    blocks.append(Block("frame", verdict_table(claims)))
    if ctx.failures:
        blocks.append(heading("What could not be made"))
        blocks.append(para(f"{len(ctx.failures)} part(s) of this report failed and are left out; everything else "
                           f"was written. The full tracebacks are in [{ERRORS_FILE}]({ERRORS_FILE}) — please "
                           "include it when reporting the problem."))
        blocks.append(bullets([f"`{f.kind} {f.name}`: {f.error}" + (f" (`{f.where}`)" if f.where else "")
                               for f in ctx.failures]))
    if missing or table.broken:
        blocks.append(heading("What is missing"))
        if missing:
            blocks.append(bullets(missing))
        if table.broken:
            blocks.append(para(f"{len(table.broken)} run folder(s) could not be read and were skipped:"))
            blocks.append(bullets([f"`{name}`: {reason}" for name, reason in table.broken]))
    blocks.append(heading("How to read the numbers"))
    blocks.append(para(METHODS + " Rows group runs that differ only by seed; 'setting' names what sets a "
                       "configuration apart from the others of the same dataset and model. Figures and "
                       "comparisons use one configuration per model: the dataset and training settings shared "
                       "by most runs, and the parameter-matched default sizes where those were run."))
    if "summary" in by_name:
        blocks.append(heading("Who wins: headline metric by dataset and model"))
        summary = by_name["summary"]
        blocks.append(para(f"{summary.caption} One table per dataset; click a column to sort, type in the box to "
                           f"filter. All rows: [summary.csv](summary.csv)."))
        for dataset in dict.fromkeys(summary.display["dataset"]):
            rows = summary.display[summary.display["dataset"] == dataset].drop(columns="dataset")
            blocks.append(heading(f"Who wins on {dataset}", 3))
            blocks.append(Block("frame", rows))
    drawn = _drawn_configurations(ctx)
    if drawn:
        blocks.append(heading("What the figures draw"))
        blocks.append(para("Figures that show one configuration per model draw these (tables and claims use "
                           "every configuration). Configurations not drawn are named with what sets them apart; "
                           "`yatbench report --where KEY=VALUE` draws the figures for another subset."))
        blocks.append(bullets(drawn))
    for section in page_sections(figures):  # declared by the figure modules; none of their figures left off
        figs = by_section.get(section.key, [])
        tabs = [by_name[n] for n in section.tables if n in by_name]
        views = (sweeps or []) if section.key == "sweep" else []
        if not figs and not tabs and not views:
            continue
        blocks.append(heading(section.title))
        if section.intro:
            blocks.append(para(section.intro))
        for tab in tabs:
            blocks.append(Block("table", tab))
        for fig in figs:
            blocks.append(Block("figure", fig))
        blocks += [Block("sweepview", sweep) for sweep in views]  # every configuration, one per swept dataset
    if n_runs:
        blocks.append(heading("Runs behind every number"))
        blocks.append(para("Each configuration, the seeds it was run with, and where its data came from. "
                           "Per-run values: [runs.csv](runs.csv); run folders: "
                           "`<results>/<dataset>-<model>-s<seed>-<hash>/`. Each configuration id links to its "
                           "runs below: config, metrics and the recorded history of every run."))
        blocks.append(Block("frame", _inventory(table)))
        if provenance is not None:
            blocks.append(heading("Provenance", 3))
            blocks.append(para("Where each configuration's runs came from: source commit (dirty: the tree had "
                               "uncommitted changes), library versions, host, CPU, torch threads and device; "
                               "several values are joined with |. Per run: the provenance columns of "
                               "[runs.csv](runs.csv); this table: [provenance.csv](provenance.csv)."))
            blocks.append(Block("frame", provenance))
        blocks.append(heading("Every run", 3))
        blocks.append(Block("runs", run_sections(table)))
    if ctx.skipped:
        blocks.append(para("Skipped while drawing: " + "; ".join(ctx.skipped)))
    blocks.append(heading("Claims"))
    blocks.append(para("Verdicts are decided by the stated numerical rule on 95% intervals, never by wording: "
                       "**supported** when the interval lies on the claimed side, **contradicted** when it lies on "
                       "the other side, **not enough data** when runs are missing, fewer than 3 seeds exist, or the "
                       "interval straddles the threshold; **unconverged** when a run it used was cut off by its "
                       "maximum budget while still improving (the verdict at that budget is in the card's note); "
                       "**premise not met** when the seed's premise does not hold in these runs (measured in the "
                       "result). Claims about the formula itself are checked in float64."))
    for index, claim in enumerate(claims):
        keys = [k for k in claim.config.split(" vs ") if k]
        blocks.append(Block("claim", claim, anchor=claim_anchor(index), extra=run_links(runs, keys)))
    blocks.append(heading("Claims these runs cannot test", 3))
    blocks.append(untested_block())
    return blocks
