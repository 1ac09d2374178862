"""Every table the CLI prints at 80 columns (issue 23): the values that tell rows apart appear whole, on one
line, and no line is wider than the terminal; `list` fits a screen; help texts name every option in conf/."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from rich.markup import escape

from tests.test_report import fabricate
from yatbench.config.confdir import config_dir
from yatbench.core.narrow import Col, fit_table
from yatbench.sweep.grid import build_grid
from yatbench.sweep.jobs import RunReport

WIDTH = 80


def render(*parts, width: int = WIDTH) -> str:
    console = Console(width=width, record=True, force_terminal=False, color_system=None)
    for part in parts:
        console.print(part)
    return console.export_text()


def assert_fits(text: str, width: int = WIDTH) -> None:
    assert max(len(line.rstrip()) for line in text.splitlines()) <= width, text


def lines_with(text: str, value: str) -> list[str]:
    return [line for line in text.splitlines() if value in line]


def test_fit_table_keeps_keys_and_words_whole_at_any_width() -> None:
    """Random tables at widths 30–140: no line too wide, every key cell and every settings word printed
    whole on one line (rows keep apart), extras dropped only when they do not fit (and named)."""
    rng = random.Random(23)
    alphabet = "abcdefghijklmnop=[]0123456789.,"
    for case in range(60):
        width = rng.randint(30, 140)
        n_rows = rng.randint(1, 6)

        def word(lo: int = 2, hi: int = 14) -> str:
            return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))

        columns = [Col("model"), Col("settings", "words"), Col("n", justify="right"), Col("extra one", "extra"),
                   Col("note", "text")]
        rows = [[f"m{case}x{i}", " ".join(f"k{i}{word()}" for _ in range(rng.randint(1, 5))), str(rng.randint(1, 99)),
                 word(1, 30), " ".join(word() for _ in range(rng.randint(0, 12)))] for i in range(n_rows)]
        cells = [[escape(cell) for cell in row] for row in rows]  # cells are rich markup: brackets escaped
        text = render(fit_table(columns, cells, width, title="t"), width=width)
        assert_fits(text, width)
        for row in rows:
            assert lines_with(text, row[0]), (row[0], text)
            for token in row[1].split():
                assert lines_with(text, token), (token, text)
        if "extra one" not in text:
            assert "left out" in text or not any(line.startswith("┃") for line in text.splitlines())


def test_sweep_summary_and_dry_run_keep_settings_apart_at_80(tmp_path: Path) -> None:
    from yatbench.sweep.summary import print_comparison, print_plan

    grid = build_grid("xor", ["model=yat,relu", "model.hidden=[1]", "seed=range(3)", "trainer.lr=0.03,0.003",
                              "dataset.encoding=pm1,binary", f"results_dir={tmp_path}"])
    specs = grid.specs
    reports = [RunReport(s.run_id, "ok", record={"params": 6, "metrics": {"headline": "accuracy",
                                                                            "test_accuracy": 0.75 + 0.01 * s.seed,
                                                                            "solved": s.seed > 0}}) for s in specs]
    console = Console(width=WIDTH, record=True, color_system=None)
    print_comparison(console, reports, specs)
    print_plan(console, specs, set())
    text = console.export_text()
    assert_fits(text)
    for lr in ("lr=0.03", "lr=0.003"):
        for encoding in ("encoding=pm1", "encoding=binary"):
            assert lines_with(text, lr) and lines_with(text, encoding)
    assert "…" not in text
    configurations = {s.seedless_key for s in specs if s.resolved["trainer"]["lr"] == 0.003}
    assert len(lines_with(text, "lr=0.003")) == 2 * len(configurations)  # each once, in both tables


def test_report_verdicts_and_compare_tables_at_80(tmp_path: Path) -> None:
    from yatbench.report import build_report
    from yatbench.report.compare import compare_folders
    from yatbench.report.console import comparison_tables

    results, other = tmp_path / "a", tmp_path / "b"
    for seed in range(3):
        for lr, hidden in (("0.01", "[16,16]"), ("0.001", "[16,16]"), ("0.01", "[8]")):
            for folder, mse in ((results, 1.0 + seed), (other, 2.0 + seed)):
                fabricate(folder, "compositional", "relu", seed, {"test_mse": mse, "test_r2": 0.9},
                          f"trainer.lr={lr}", f"model.hidden={hidden}", weights=False)
    result = compare_folders(results, other, tmp_path / "cmp")
    text = render(*comparison_tables(result, WIDTH))
    assert_fits(text)
    assert len([line for line in text.splitlines() if re.search(r"lr=0\.01\b", line)]) == 2
    assert lines_with(text, "lr=0.001") and lines_with(text, "hidden=[16,16]") and "+1.000" in text
    report = build_report(results, tmp_path / "page")
    from yatbench.report.console import print_report

    recorded = Console(width=WIDTH, record=True, color_system=None)
    print_report(report, recorded)
    text = recorded.export_text()
    assert_fits(text)
    assert lines_with(text, "lr=0.01") and lines_with(text, "lr=0.001")
    for claim in report.claims:  # every verdict is printed whole
        assert claim.verdict.split()[0] in text


def test_bench_tables_keep_the_contender_at_80() -> None:
    from yatbench.bench.layer import layer_benchmark
    from yatbench.bench.table import format_table

    frame = layer_benchmark([(16, 8, 8)], repeats=3, min_sample_s=0.001)
    text = render(format_table(frame, width=WIDTH))
    assert_fits(text)
    for contender in frame["contender"]:
        assert lines_with(text, str(contender)), (contender, text)
    assert "…" not in text


def test_throughput_table_keeps_dataset_model_and_ratio_at_80() -> None:
    import pandas as pd

    from yatbench.bench.table import throughput_table
    from yatbench.bench.throughput import trainer_throughput

    frame = pd.DataFrame([trainer_throughput("xor", model, ["trainer.epochs=20"], repeats=1)
                          for model in ("yat", "relu")])
    text = render(throughput_table(frame, WIDTH))
    assert_fits(text)
    for _, row in frame.iterrows():
        assert [line for line in lines_with(text, f" {row['model']} ") if f"{row['throughput_ratio']:.3f}" in line]


def yatbench(*args: str, cwd: Path, columns: int = WIDTH) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "yatbench", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": str(columns)})


def test_list_fits_a_screen_and_list_group_gives_every_option_whole(tmp_path: Path) -> None:
    overview = yatbench("list", cwd=tmp_path)
    assert overview.returncode == 0, overview.stderr
    assert len(overview.stdout.splitlines()) <= 24
    for group in ("dataset", "model", "sweep", "executor"):
        for name in sorted(p.stem for p in (config_dir() / group).glob("*.yaml")):
            assert re.search(rf"\b{re.escape(name)}\b", overview.stdout), name
    detail = yatbench("list", "model", cwd=tmp_path)
    assert detail.returncode == 0 and "…" not in detail.stdout
    assert_fits(detail.stdout)
    assert lines_with(detail.stdout, "kernel=yat") and lines_with(detail.stdout, "readout=linear")
    bad = yatbench("list", "nope", cwd=tmp_path)
    assert bad.returncode != 0 and bad.stderr.count("\n") == 1


@pytest.mark.parametrize(("command", "group"), [("sweep", "sweep"), ("run", "dataset"), ("run", "model")])
def test_help_names_every_option_of_its_group(tmp_path: Path, command: str, group: str) -> None:
    done = yatbench(command, "--help", cwd=tmp_path, columns=400)
    assert done.returncode == 0
    names = sorted(p.stem for p in (config_dir() / group).glob("*.yaml"))
    assert "claims" in names or group != "sweep"
    for name in names:
        assert re.search(rf"\b{re.escape(name)}\b", done.stdout), (name, done.stdout)


def test_compare_writes_where_out_says_and_by_default_inside_neither_folder(tmp_path: Path) -> None:
    a, b = tmp_path / "runs_a", tmp_path / "runs_b"
    for folder in (a, b):
        for seed in range(3):
            fabricate(folder, "compositional", "relu", seed, {"test_mse": 1.0 + seed, "test_r2": 0.9}, weights=False)
    given = yatbench("report", "--compare", "runs_a", "runs_b", "--out", "mine", cwd=tmp_path)
    assert given.returncode == 0, given.stderr
    assert (tmp_path / "mine" / "compare.csv").is_file()
    default = yatbench("report", "--compare", "runs_a", "runs_b", cwd=tmp_path)
    assert default.returncode == 0, default.stderr
    assert (tmp_path / "compare-runs_a-vs-runs_b" / "index.html").is_file()
    assert not (a / "compare").exists() and not (b / "compare").exists()
    assert_fits(default.stdout)
