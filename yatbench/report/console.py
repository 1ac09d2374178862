"""What ``yatbench report`` prints: the comparison table, the verdicts, what is missing, where the page is."""

from __future__ import annotations

import math

import pandas as pd

from yatbench.report.build import Report
from yatbench.report.claims import CONTRADICTED, NOT_ENOUGH, SUPPORTED
from yatbench.report.page import claim_name

VERDICT_MARKUP = {SUPPORTED: "[bold green]✔ supported[/]", CONTRADICTED: "[bold red]✘ contradicted[/]",
                  NOT_ENOUGH: "[dim]? not enough data[/]"}


def print_report(report: Report) -> None:
    """A rich table dataset × model (n, params, headline mean ± std, 95% CI), the verdicts, the page's path."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    summary = next((t for t in report.tables if t.name == "summary"), None)
    if summary is not None and not summary.numeric.empty:
        numeric, display = summary.numeric, summary.display
        console.print("[bold]Who wins[/]: test metric per dataset and model, mean ± std over seeds "
                      "(bold: best mean among configurations with ≥ 2 seeds)")
        for dataset in dict.fromkeys(display["dataset"]):
            rows = [i for i in range(len(display)) if display.iloc[i]["dataset"] == dataset]
            regression = numeric.iloc[rows[0]]["metric"] == "test_mse"
            title = f"{dataset} — " + ("test MSE, lower is better" if regression else "test accuracy, higher is better")
            table = Table(title=title, title_justify="left", header_style="bold", title_style="bold")
            columns = [("model", "left", True), ("setting", "left", False), ("n", "right", True),
                       ("params", "right", True), ("mean ± std", "right", True), ("95% CI", "right", True)]
            if regression:
                columns.append(("R²", "right", True))
            for name, justify, nowrap in columns:
                table.add_column(name, justify=justify, no_wrap=nowrap)
            for index in rows:
                row = display.iloc[index]
                value = f"[bold]{row['mean ± std']}[/]" if _is_best(numeric, index) else row["mean ± std"]
                model = f"[bold blue]{row['model']}[/]" if row["model"] == "yat" else row["model"]
                setting = "" if row["setting"] == "—" else row["setting"].replace("model.", "").replace("dataset.", "")
                cells = [model, setting, row["n"], row["params"], value, row["95% CI"]]
                if regression:
                    cells.append(row["R² (mean ± std)"])
                table.add_row(*cells)
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
    console.print(f"report: {report.index_html}  (also {report.index_md.name}, "
                  f"{len(report.figures)} figures, {len(report.tables) + 2} tables as CSV + Markdown)")


def _is_best(numeric: pd.DataFrame, index: int) -> bool:
    """Whether row ``index`` has the best mean of its dataset among groups with at least 2 seeds."""
    row = numeric.iloc[index]
    if row["n_ok"] < 2 or (isinstance(row["mean"], float) and math.isnan(row["mean"])):
        return False
    same = numeric[(numeric["dataset"] == row["dataset"]) & (numeric["n_ok"] >= 2)]
    if row["metric"] == "test_mse":
        return row["mean"] <= same["mean"].min()
    return row["mean"] >= same["mean"].max()
