"""What ``yatbench report`` prints: the comparison table, the verdicts, what is missing, where the page is."""

from __future__ import annotations

import math

import pandas as pd

from yatbench.report.build import Report
from yatbench.report.claims import CONTRADICTED, NOT_ENOUGH, SUPPORTED
from yatbench.report.compare import Comparison
from yatbench.report.guard import ERRORS_FILE
from yatbench.report.page import claim_name
from yatbench.report.subset import where_text

VERDICT_MARKUP = {SUPPORTED: "[bold green]✔ supported[/]", CONTRADICTED: "[bold red]✘ contradicted[/]",
                  NOT_ENOUGH: "[dim]? not enough data[/]"}


def print_report(report: Report) -> None:
    """A rich table dataset × model (n, params, headline mean ± std, 95% CI), the verdicts, the page's path."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if report.where:
        console.print(f"[bold]subset:[/] {where_text(report.where).replace('`', '')} "
                      f"({len(report.table.runs)} runs)")
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
    claims = Table(title="Claims from shared/seeds (rules and numbers on the page)", title_justify="left",
                   header_style="bold", show_lines=False)
    claims.add_column("verdict", no_wrap=True)
    claims.add_column("claim (source)")
    claims.add_column("more data from", style="dim")
    for claim in report.claims:
        source = claim.source.split(" (")[0]
        more = claim.command if claim.verdict == NOT_ENOUGH else ""
        claims.add_row(VERDICT_MARKUP[claim.verdict], f"{claim_name(claim)} [dim]({source})[/]", more)
    console.print(claims)
    if report.missing:
        console.print("[yellow]missing:[/]")
        for line in report.missing:
            console.print(f"  • {line.replace('`', '')}")
    if report.table.broken:
        console.print(f"[yellow]skipped {len(report.table.broken)} unreadable run folder(s):[/]")
        for name, reason in report.table.broken:
            console.print(f"  • {name}: {reason}")
    if report.failures:  # one line each on stderr: the page was written without them
        from rich.markup import escape

        errors = Console(stderr=True)
        for failure in report.failures:  # escaped: an error message may hold [brackets]
            errors.print(f"[red]report:[/] {escape(failure.line())}", highlight=False, soft_wrap=True)
        errors.print(f"[red]report:[/] {len(report.failures)} part(s) left out; tracebacks in "
                     f"{escape(str(report.out_dir / ERRORS_FILE))}", highlight=False, soft_wrap=True)
    console.print(f"report: {report.index_html}  (also {report.index_md.name}, "
                  f"{len(report.figures)} figures, {len(report.tables) + 2} tables as CSV + Markdown)")


# Columns of a dataset's table by priority: the first four always stay (they tell rows apart and give the
# number); the others are added while the table still fits the terminal's width.
REQUIRED = [("model", "left"), ("setting", "left"), ("n", "right"), ("mean ± std", "right")]
OPTIONAL = [("95% CI", "right"), ("params", "right"), ("R² (mean ± std)", "right")]
SETTING_MIN = 24  # the setting column wraps, but never below this width (or its longest text)


def _cell(row: pd.Series, name: str) -> str:
    if name == "setting":
        return "" if row["setting"] == "—" else row["setting"].replace("model.", "").replace("dataset.", "")
    return str(row[name])


def _fitting_table(width: int, title: str, display: pd.DataFrame, numeric: pd.DataFrame, rows: list[int],
                   regression: bool):
    """The dataset's rich table with as many optional columns as fit in ``width``; wide settings wrap."""
    from rich.table import Table

    names = [n for n, _ in REQUIRED]
    optional = [(n, j) for n, j in OPTIONAL if regression or not n.startswith("R²")]
    longest = {n: max([len(n), *(len(_cell(r, n)) for _, r in display.iterrows())]) for n, _ in REQUIRED + optional}
    used = sum(min(longest[n], SETTING_MIN) if n == "setting" else longest[n] for n in names) + 3 * len(names) + 1
    chosen = list(REQUIRED)
    for name, justify in optional:
        if used + longest[name] + 3 <= width:
            chosen.append((name, justify))
            used += longest[name] + 3
    table = Table(title=title, title_justify="left", header_style="bold", title_style="bold")
    for name, justify in chosen:
        label = "R²" if name.startswith("R²") else name
        if name == "setting":
            table.add_column(label, justify=justify, min_width=min(longest[name], SETTING_MIN), overflow="fold")
        else:
            table.add_column(label, justify=justify, no_wrap=True)
    for position, index in enumerate(rows):
        row = display.iloc[position]
        cells = []
        for name, _ in chosen:
            text = _cell(row, name)
            if name == "mean ± std" and _is_best(numeric, index):
                text = f"[bold]{text}[/]"
            if name == "model" and text == "yat":
                text = f"[bold blue]{text}[/]"
            cells.append(text)
        table.add_row(*cells)
    dropped = [n for n, _ in optional if (n, _) not in chosen]
    if dropped:
        table.caption = f"(narrow terminal: {', '.join(dropped)} left out; all columns in summary.csv)"
    return table


def print_comparison(result: Comparison) -> None:
    """``--compare``: matched configurations, A and B with n, and B − A with its interval."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"A = {result.a}  ·  B = {result.b}  (matched by seedless key)", title_justify="left",
                  header_style="bold")
    names = ("dataset", "model", "setting", "metric", "A", "B", "B − A", "95% CI (Welch)")
    for name in names:
        table.add_column(name, overflow="fold", no_wrap=name in ("dataset", "model", "B − A", "metric"))
    for _, row in result.display.iterrows():
        table.add_row(*(str(row[name]) for name in names))
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
