"""The fast paths: commands that answer without torch, a finished run recognised without it, and the
run-folder writers that are fast and still write the very bytes they replaced (issue 22)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from tests.tiny import tiny_spec
from yatbench.config.compose import compose_config
from yatbench.config.spec import validate
from yatbench.run import known as known_runs
from yatbench.run.known import KNOWN_DIR, recall, remember
from yatbench.rundir.results import config_text, write_history

# Runs the CLI's main in a fresh interpreter, then says which heavy modules it imported.
PROBE = """
import sys
from yatbench.cli.main import main
try:
    main()
except SystemExit as exc:
    code = exc.code
print("\\nIMPORTED", sorted(m for m in ("torch", "torch._dynamo", "pandas", "matplotlib") if m in sys.modules))
"""


def cli_imports(*args: str, cwd: Path) -> tuple[list[str], str]:
    """Which of torch, torch._dynamo, pandas and matplotlib ``yatbench ARGS`` imported, and its output."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200"}, timeout=120)
    out = done.stdout + done.stderr
    line = next(line for line in out.splitlines() if line.startswith("IMPORTED"))
    return json.loads(line.removeprefix("IMPORTED ").replace("'", '"')), out


def cfg_for(results: Path, seed: int = 0, *overrides: str):
    """The composed (not validated) config of the XOR run that :func:`tests.tiny.tiny_spec` validates, as
    ``yatbench run xor --model yat`` composes it from :func:`run_args`."""
    return compose_config(["dataset=xor", "model=yat", *run_args(results, seed, *overrides)[4:]])


def run_args(results: Path, seed: int = 0, *overrides: str) -> list[str]:
    """The command line of :func:`tests.tiny.tiny_spec`'s run."""
    return ["run", "xor", "--model", "yat", f"seed={seed}", f"results_dir={results}", "trainer.progress=false",
            "trainer.epochs=20", "device=cpu", *overrides]


@pytest.mark.parametrize("args", [["--help"], ["list"], ["list", "model"], ["run", "--help"], ["sweep", "--help"]])
def test_help_and_list_answer_without_torch(tmp_path: Path, args: list[str]) -> None:
    imported, out = cli_imports(*args, cwd=tmp_path)
    assert imported == [], out
    assert "yatbench" in out or "xor" in out


def test_a_finished_run_is_recognised_without_torch_and_a_new_one_is_not(tmp_path: Path) -> None:
    from yatbench.run.execute import execute

    results = tmp_path / "results"
    spec = tiny_spec(results)
    execute(spec)
    remember(cfg_for(results), spec)  # what `yatbench run` does after its first, validating, time
    imported, out = cli_imports(*run_args(results), cwd=tmp_path)
    assert imported == [], out
    assert "already complete, skipped" in out and spec.run_id in out.replace("\n", "")
    # Another seed, never run: the command validates (torch: here in-process, where it is loaded), trains
    # and remembers it; the second time it needs no torch.
    from typer.testing import CliRunner

    from yatbench.cli.main import app

    first = CliRunner().invoke(app, run_args(results, 1))
    assert first.exit_code == 0 and "written" in first.output, first.output
    imported, out = cli_imports(*run_args(results, 1), cwd=tmp_path)
    assert imported == [] and "already complete, skipped" in out, out


def test_a_memo_is_trusted_only_for_its_config_its_code_and_a_sound_folder(tmp_path: Path, monkeypatch) -> None:
    from yatbench.run.execute import execute

    results = tmp_path / "results"
    spec = tiny_spec(results)
    execute(spec)
    cfg = cfg_for(results)
    assert recall(cfg) is None  # nothing remembered yet
    remember(cfg, spec)
    known = recall(cfg)
    assert known is not None and known.run_dir == spec.run_dir and known.record["run_id"] == spec.run_id
    assert recall(cfg_for(results, 0, "trainer.lr=0.02")) is None  # another config: another key
    monkeypatch.setattr(known_runs, "_CODE", ["other code"])
    assert recall(cfg) is None  # the code changed: validate again
    monkeypatch.undo()
    # A memo pointing at another run (edited by hand, or a stale one) is not believed.
    other = tiny_spec(results, "yat", 1)
    execute(other)
    (memo,) = (results / KNOWN_DIR).iterdir()
    memo.write_text(json.dumps({"run_id": other.run_id}))
    assert recall(cfg) is None
    # ... nor one pointing at the same dataset, model and seed trained with another learning rate.
    relearned = validate(cfg_for(results, 0, "trainer.lr=0.02"))
    execute(relearned)
    memo.write_text(json.dumps({"run_id": relearned.run_id}))
    assert recall(cfg) is None
    memo.write_text(json.dumps({"run_id": "../../etc"}))
    assert recall(cfg) is None
    memo.write_text("{not json")
    assert recall(cfg) is None
    # A damaged folder is left to the ordinary path, which says so and reruns it.
    memo.write_text(json.dumps({"run_id": spec.run_id}))
    assert recall(cfg) is not None
    (spec.run_dir / "config.yaml").write_text("seed: 99\n")
    assert recall(cfg) is None


def test_tags_on_a_recognised_run_are_added_as_the_ordinary_path_adds_them(tmp_path: Path) -> None:
    from yatbench.run.execute import execute

    results = tmp_path / "results"
    spec = tiny_spec(results, "yat", 0, "tags=[first]")
    execute(spec)
    cfg = cfg_for(results, 0, "tags=[first,second]")
    remember(cfg, tiny_spec(results, "yat", 0, "tags=[first,second]"))
    known = recall(cfg)
    assert known is not None and known.messages == [f"{spec.run_id}: finished run, tags now first, second"]
    assert recall(cfg).messages == []  # already there: nothing to say


# --- the writers -----------------------------------------------------------------------------------

ASCII = st.text(st.sampled_from([chr(c) for c in range(0x20, 0x7f)] + ["\n"]), max_size=12)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40),
                    st.floats(allow_nan=False, allow_infinity=False, width=32),
                    st.sampled_from(["true", "no", "1e3", "0x10", "null", "~", "3", "-0.5", ".inf", "yes", "",
                                     "a: b", "#x", "'q'", "multi\nline", " lead", "trail ", "- x", "[1]", "{a}"]),
                    ASCII, ASCII, st.text(max_size=6))
KEYS = st.one_of(st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=8), ASCII)
CONFIGS = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(KEYS, inner, max_size=4)), max_leaves=20)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(KEYS, CONFIGS, max_size=6))
def test_config_text_is_byte_for_byte_what_omegaconf_writes(resolved: dict) -> None:
    """Plain ASCII configs (what yatbench writes) go through libyaml, any other through PyYAML: both equal."""
    assume("${" not in json.dumps(resolved))  # a resolved config holds no interpolation (OmegaConf refuses one)
    assert config_text(resolved) == OmegaConf.to_yaml(OmegaConf.create(resolved))


def test_config_text_of_real_configs_is_what_omegaconf_writes(spec_for) -> None:
    for dataset, model in (("xor", "yat"), ("mnist", "attention"), ("poisson2d", "relu"), ("burgers", "yat")):
        resolved = spec_for(dataset, model).resolved
        assert config_text(resolved) == OmegaConf.to_yaml(OmegaConf.create(resolved))


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(KEYS, CONFIGS, max_size=5), st.integers(0, 6), st.lists(st.integers(-5, 2**33), min_size=1,
                                                                                max_size=4))
def test_config_text_of_every_seed_of_a_configuration_is_what_omegaconf_writes(resolved: dict, where: int,
                                                                              seeds: list[int]) -> None:
    """The seeds of one configuration share one dumped template (their seed line apart): each text is still the
    very bytes OmegaConf writes, wherever the seed key is and whatever else holds the same number."""
    assume("${" not in json.dumps(resolved))
    items = [(k, v) for k, v in resolved.items() if k != "seed"]
    for seed in seeds:
        config = dict([*items[:where], ("seed", seed), *items[where:]])
        assert config_text(config) == OmegaConf.to_yaml(OmegaConf.create(config))


def test_config_text_of_a_seed_found_elsewhere_in_its_config(spec_for) -> None:
    """A configuration whose other values hold the template's placeholder number, or the seed's own, or a nested
    ``seed:`` line, is written as OmegaConf writes it (the placeholder is not used there)."""
    from yatbench.rundir.results import _NO_SEED

    base = spec_for("xor", "yat").resolved
    for extra in ({"note": f"seed: {_NO_SEED}"}, {"inner": {"seed": 7}}, {"n": _NO_SEED}, {"seed_list": [7, 7]}):
        for seed in (0, 7, 4294967295):
            config = {**base, **extra, "seed": seed}
            assert config_text(config) == OmegaConf.to_yaml(OmegaConf.create(config))


def test_history_of_full_rows_is_the_bytes_dict_writer_wrote(tmp_path: Path) -> None:
    """Rows holding every column (the trainer's) take the one-getter path: same bytes, one column included."""
    for rows in ([{"epoch": 1, "step": 3, "train_loss": 0.1, "test_accuracy": 1.0},
                  {"epoch": 2, "step": 6, "train_loss": float("inf"), "test_accuracy": 0.75}],
                 [{"epoch": 1}, {"epoch": 2}], [{"a": "x,y", "b": None}]):
        write_history(tmp_path / "history.csv", rows)
        expected = io.StringIO(newline="")
        writer = csv.DictWriter(expected, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        assert (tmp_path / "history.csv").read_bytes() == expected.getvalue().encode()


def test_history_is_the_bytes_dict_writer_wrote(tmp_path: Path) -> None:
    rows = [{"epoch": 1, "step": 3, "train_loss": 0.1234567890123, "note": "a,b"},
            {"epoch": 2, "step": 6, "train_loss": float("nan"), "test_accuracy": 0.5, "x": None}, {"epoch": 3}]
    write_history(tmp_path / "history.csv", rows)
    expected = io.StringIO(newline="")
    writer = csv.DictWriter(expected, fieldnames=list(dict.fromkeys(k for row in rows for k in row)))
    writer.writeheader()
    writer.writerows(rows)
    assert (tmp_path / "history.csv").read_bytes() == expected.getvalue().encode()


# --- the scaling bench's arithmetic and its CPU reading ---------------------------------------------


def test_growth_is_the_exponent_of_a_power_law_and_the_table_says_it() -> None:
    from yatbench.bench.scaling import Point, growth, table

    for exponent in (0.5, 1.0, 1.3):
        points = [Point(runs, 2, 0.7 * runs ** exponent, 2.0 * runs ** exponent) for runs in (10, 100, 1000, 10000)]
        assert growth(points) == pytest.approx(exponent) and growth(points, "cpu_s") == pytest.approx(exponent)
    one = [Point(runs, 1, 2.0 * runs, 2.0 * runs) for runs in (10, 1000)]
    two = [Point(runs, 2, 1.1 * runs, 2.0 * runs) for runs in (10, 1000)]
    text = table([*one, *two])
    assert "1 worker(s): wall ∝ runs^1.00" in text and "1,000 runs: 1 → 2 workers, wall ×0.55" in text


def test_scaling_counts_are_checked_in_one_line() -> None:
    from yatbench.bench.scaling import parse_counts
    from yatbench.core.errors import UserError

    assert parse_counts("10,100", "--runs") == [10, 100]
    for bad in ("10,x", "0", "-5", ""):
        with pytest.raises(UserError):
            parse_counts(bad, "--runs")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_process_tree_cpu_counts_a_child_that_works() -> None:
    from yatbench.bench.scaling import _tree_cpu

    child = subprocess.Popen([sys.executable, "-c", "import time\nt = time.process_time()\n"
                              "while time.process_time() - t < 0.3: pass\ntime.sleep(5)"])
    try:
        seen: dict[int, float] = {}
        for _ in range(100):
            _tree_cpu(os.getpid(), seen)
            if seen.get(child.pid, 0.0) >= 0.25:
                break
            time.sleep(0.05)
        assert seen.get(child.pid, 0.0) >= 0.25 and os.getpid() in seen
    finally:
        child.kill()
        child.wait()
