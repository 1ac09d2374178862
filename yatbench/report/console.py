"""What ``yatbench report`` prints: the comparison table, the verdicts, what is missing, where the page is."""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console
from rich.markup import escape

from yatbench.core.narrow import Col, fit_table
from yatbench.report.build import Report
from yatbench.report.claims import CONTRADICTED, NOT_ENOUGH, PREMISE_NOT_MET, SUPPORTED, UNCONVERGED, Claim
from yatbench.report.compare import Comparison
from yatbench.report.guard import ERRORS_FILE
from yatbench.report.page import OVERVIEW, overview_frame
from yatbench.report.registry import SUBJECT
from yatbench.report.subset import where_text

VERDICT_MARKUP = {SUPPORTED: "[bold green]✔ supported[/]", CONTRADICTED: "[bold red]✘ contradicted[/]",
                  NOT_ENOUGH: "[dim]? not enough data[/]", UNCONVERGED: "[bold yellow]⧗ unconverged[/]",
                  PREMISE_NOT_MET: "[dim]∅ premise not met[/]"}
# The page's opening table: verdict and claim always, the others while the terminal is wide enough.
OVERVIEW_COLUMNS = {"verdict": Col("verdict"), "claim": Col("claim", "text"),
                    "convergence": Col("convergence", "extra"), "budget-robust": Col("budget-robust", "extra"),
                    "which part of ⵟ earns it": Col("earned by", "extra"),
                    "what was measured": Col("what was measured", "extra"),
                    "seed's words": Col("seed's words", "extra", style="dim")}


def claims_table(claims: list[Claim], width: int):
    """The page's opening table for the terminal (columns in the page's order, as many as fit)."""
    frame = overview_frame(claims)
    names = [name for name in OVERVIEW if name in OVERVIEW_COLUMNS]
    order = ["verdict", "claim", *(n for n in names if n not in ("verdict", "claim"))]
    rows = []
    for claim, (_, row) in zip(claims, frame.iterrows(), strict=True):
        rows.append([VERDICT_MARKUP[claim.verdict] if n == "verdict" else escape(str(row[n])) for n in order])
    return fit_table([OVERVIEW_COLUMNS[n] for n in order], rows, width,
                     title="Claims from the seed texts (rules and numbers on the page; all columns in claims.csv)",
                     header_style="bold")


def print_report(report: Report, console: Console | None = None) -> None:
    """A rich table dataset × model (n, params, headline mean ± std, 95% CI), the verdicts, the page's path."""
    console = console or Console()
    if report.where:
        console.print(f"[bold]subset:[/] {where_text(report.where).replace('`', '')} "
                      f"({len(report.table.runs)} runs)")
    if report.claims:  # the report opens with the claims' table, as the page does
        console.print(claims_table(report.claims, console.width))
    summary = next((t for t in report.tables if t.name == "summary"), None)
    if summary is not None and not summary.numeric.empty:
        numeric, display = summary.numeric, summary.display
        console.print("[bold]Who wins[/]: test metric per dataset and model, mean ± std over seeds "
                      "(bold: best mean among configurations with ≥ 2 seeds)")
        for dataset in dict.fromkeys(display["dataset"]):
            rows = [i for i in range(len(display)) if display.iloc[i]["dataset"] == dataset]
            regression = numeric.iloc[rows[0]]["metric"] == "test_mse"
            title = f"{dataset} — " + ("test MSE, lower is better" if regression else "test accuracy, higher is better")
            table = _fitting_table(console.width, title, display.iloc[rows], numeric, rows, regression)
            console.print(table)
    more = [(claim, claim.command) for claim in report.claims if claim.command]
    if more:
        console.print("[bold]More data[/] for the claims that lack it:")
        for claim, command in more:
            console.print(f"  • {escape(claim.short or claim.key)}: [dim]{escape(command)}[/]", highlight=False)
    if report.missing:
        console.print("[yellow]missing:[/]")
        for line in report.missing:
            console.print(f"  • {line.replace('`', '')}")
    if report.table.broken:
        console.print(f"[yellow]skipped {len(report.table.broken)} unreadable run folder(s):[/]")
        for name, reason in report.table.broken:
            console.print(f"  • {name}: {reason}")
    for line in report.warnings:
        console.print(f"[bold yellow]warning:[/] {line}", highlight=False)
    for line in report.notes:
        console.print(f"[yellow]note:[/] {line}", highlight=False)
    if report.failures:  # one line each on stderr: the page was written without them
        errors = Console(stderr=True)
        for failure in report.failures:  # escaped: an error message may hold [brackets]
            errors.print(f"[red]report:[/] {escape(failure.line())}", highlight=False, soft_wrap=True)
        errors.print(f"[red]report:[/] {len(report.failures)} part(s) left out; tracebacks in "
                     f"{escape(str(report.out_dir / ERRORS_FILE))}", highlight=False, soft_wrap=True)
    console.print(f"report: {report.index_html}  (also {report.index_md.name}, "
                  f"{len(report.figures)} figures, {len(report.tables) + 2} tables as CSV + Markdown)")


# Columns of a dataset's table: model, setting (what tells configurations apart, wrapped between its words only),
# n and the mean stay; the others are added while the table still fits the terminal's width.
COLUMNS = [Col("model"), Col("setting", "words"), Col("n", justify="right"), Col("mean ± std", justify="right"),
           Col("95% CI", "extra", "right"), Col("params", "extra", "right"), Col("R² (mean ± std)", "extra", "right")]


def short_setting(text: str) -> str:
    """A configuration's setting without the group prefixes the column header already implies."""
    return "" if text in ("—", "") else text.replace("model.", "").replace("dataset.", "").replace("trainer.", "")


def _fitting_table(width: int, title: str, display: pd.DataFrame, numeric: pd.DataFrame, rows: list[int],
                   regression: bool):
    """The dataset's table with as many optional columns as fit in ``width`` (:func:`.narrow.fit_table`)."""
    columns = [c for c in COLUMNS if regression or not c.name.startswith("R²")]
    cells = []
    for position, index in enumerate(rows):
        row = display.iloc[position]
        line = []
        for column in columns:
            text = short_setting(str(row["setting"])) if column.name == "setting" else str(row[column.name])
            text = escape(text)
            if column.name == "mean ± std" and _is_best(numeric, index):
                text = f"[bold]{text}[/]"
            if column.name == "model" and text == SUBJECT:
                text = f"[bold blue]{text}[/]"
            line.append(text)
        cells.append(line)
    return fit_table(columns, cells, width, title=title, caption="(all columns in summary.csv)", header_style="bold",
                     title_style="bold")


def comparison_tables(result: Comparison, width: int) -> list:
    """``--compare``'s terminal view: one table per (dataset, metric); model and setting tell rows apart."""
    out = []
    display = result.display
    if display.empty:
        return out
    columns = [Col("model"), Col("setting", "words"), Col("B − A", justify="right"), Col("95% CI (Welch)"),
               Col("A", "extra", "right"), Col("B", "extra", "right")]
    for (dataset, metric), part in display.groupby(["dataset", "metric"], sort=False):
        rows = [[escape(str(row["model"])), escape(short_setting(str(row["setting"]))), str(row["B − A"]),
                 str(row["95% CI (Welch)"]), str(row["A"]), str(row["B"])] for _, row in part.iterrows()]
        out.append(fit_table(columns, rows, width, title=f"{dataset} — {metric}: B − A", header_style="bold"))
    return out


def print_comparison(result: Comparison, console: Console | None = None) -> None:
    """``--compare``: matched configurations, A and B with n, and B − A with its interval."""
    console = console or Console()
    console.print(f"[bold]A[/] = {escape(str(result.a))}  ·  [bold]B[/] = {escape(str(result.b))}  "
                  "(matched by seedless key)")
    for table in comparison_tables(result, console.width):
        console.print(table)
    console.print(f"comparison: {result.index_html}  (all numbers in {result.out_dir / 'compare.csv'})")


def _is_best(numeric: pd.DataFrame, index: int) -> bool:
    """Whether row ``index`` has the best mean of its dataset among groups with at least 2 seeds."""
    row = numeric.iloc[index]
    if row["n_ok"] < 2 or (isinstance(row["mean"], float) and math.isnan(row["mean"])):
        return False
    same = numeric[(numeric["dataset"] == row["dataset"]) & (numeric["n_ok"] >= 2)]
    if row["metric"] == "test_mse":
        return row["mean"] <= same["mean"].min()
    return row["mean"] >= same["mean"].max()
