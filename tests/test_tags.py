"""Tags are labels, not identity: recorded in the run folder, added to finished runs without training
them again (by naming the config again or by `yatbench tag`), usable in `--where`; `+tag=x` is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.tiny import tiny_runs, tiny_spec
from yatbench.config.compose import compose_config
from yatbench.config.spec import validate
from yatbench.core.errors import UserError
from yatbench.report.load import load_runs
from yatbench.report.subset import apply_where, parse_where
from yatbench.run.execute import execute
from yatbench.rundir.tags import TAGS_FILE


def test_tags_do_not_change_the_run_and_are_added_to_a_finished_one(tmp_path: Path) -> None:
    results = tmp_path / "results"
    tagged = tiny_spec(results, "yat", 0, "tags=[baseline,v2]")
    assert tagged.run_id == tiny_spec(results, "yat", 0).run_id == tiny_spec(results, "yat", 0, "tags=[x]").run_id
    first = execute(tagged)
    folder = first.run_dir
    assert not first.skipped and json.loads((folder / TAGS_FILE).read_text()) == ["baseline", "v2"]
    assert "tags" not in yaml.safe_load((folder / "config.yaml").read_text())  # labels are not the config
    weights = (folder / "model.pt").stat().st_mtime_ns
    again = execute(tiny_spec(results, "yat", 0, "tags=[v3,baseline]"))
    assert again.skipped and (folder / "model.pt").stat().st_mtime_ns == weights  # not trained again
    assert json.loads((folder / TAGS_FILE).read_text()) == ["baseline", "v2", "v3"]
    assert again.messages == [f"{folder.name}: finished run, tags now baseline, v2, v3"]
    plain = execute(tiny_spec(results, "yat", 0))
    assert plain.skipped and plain.messages == [] and json.loads((folder / TAGS_FILE).read_text())[-1] == "v3"


def test_tag_command_and_where_tags(tmp_path: Path) -> None:
    results = tmp_path / "results"
    ids = tiny_runs(results, ("linear",), (0, 1, 2))

    def tag(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "yatbench", "tag", *args, "-r", str(results)],
                              capture_output=True, text=True, timeout=120)

    done = tag(ids[0], str(results / ids[1]), "--add", "baseline", "--add", "draft")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"{ids[0]}: baseline, draft", f"{ids[1]}: baseline, draft"]
    assert tag(ids[1], "--remove", "draft").stdout.strip() == f"{ids[1]}: baseline"
    assert tag(ids[2]).stdout.strip() == f"{ids[2]}: (no tags)"  # no --add / --remove: shows them
    table = load_runs(results)
    assert dict(zip(table.runs["run_id"], table.runs["tags"], strict=True)) == {
        ids[0]: "baseline,draft", ids[1]: "baseline", ids[2]: ""}
    assert set(apply_where(table, parse_where(["tags=baseline"])).runs["run_id"]) == {ids[0], ids[1]}
    assert set(apply_where(table, parse_where(["tags=draft,nothing"])).runs["run_id"]) == {ids[0]}
    assert set(apply_where(table, parse_where(["tags!=draft"])).runs["run_id"]) == {ids[1], ids[2]}
    for args, words in (((ids[0], "--add", "a b"), "is not a tag"), (("nope-s0-1234",), "is not a finished run"),
                        ((str(tmp_path / "nowhere" / "x"),), "is not a finished run")):
        bad = tag(*args)
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and words in bad.stderr, bad.stderr
    assert json.loads((results / ids[0] / TAGS_FILE).read_text()) == ["baseline", "draft"]  # a refusal changes nothing


@pytest.mark.parametrize("override, words", [("+tag=baseline", r"unknown setting 'tag'.*labels go in tags=\[\.\.\.\]"),
                                             ("tags=[a,b c]", "is not a tag"), ("+foo=1", "unknown setting 'foo'")])
def test_a_tag_that_would_be_dropped_is_refused(override: str, words: str) -> None:
    with pytest.raises(UserError, match=words):
        validate(compose_config(["dataset=xor", override]))


def test_sweep_tags_new_runs_and_finished_ones(tmp_path: Path) -> None:
    from yatbench.sweep.runner import run_sweep

    results = tmp_path / "results"
    args = ["seed=range(2)", "model=linear", "dataset.encoding=pm1", "trainer.epochs=20", "device=cpu",
            f"results_dir={results}"]
    assert run_sweep("xor", [*args, "tags=[sweep1]"], executor="inprocess").exit_code == 0
    tags = {p.name: json.loads((p / TAGS_FILE).read_text()) for p in results.iterdir() if p.name[0] != "."}
    assert len(tags) == 4 and all(t == ["sweep1"] for t in tags.values())  # raw and sum_product × 2 seeds
    run_sweep("xor", [*args, "tags=[sweep2]"], executor="inprocess", dry_run=True)  # a dry run writes nothing
    assert all(json.loads((results / n / TAGS_FILE).read_text()) == ["sweep1"] for n in tags)
    result = run_sweep("xor", [*args, "tags=[sweep2]"], executor="inprocess")
    assert len(result.already_done) == 4 and not result.ran
    assert all(json.loads((results / n / TAGS_FILE).read_text()) == ["sweep1", "sweep2"] for n in tags)


def test_tags_and_events_are_never_written_through_a_linked_run_folder(tmp_path: Path) -> None:
    results = tmp_path / "results"
    (run_id,) = tiny_runs(results, ("linear",), (0,))
    target = tmp_path / "someone-else"  # a finished run folder moved away and linked back: not yatbench's to write
    (results / run_id).rename(target)
    (results / run_id).symlink_to(target)
    before = sorted(p.name for p in target.iterdir())
    done = subprocess.run([sys.executable, "-m", "yatbench", "tag", run_id, "--add", "x", "-r", str(results)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "is a symbolic link" in done.stderr, done.stderr
    again = execute(tiny_spec(results, "linear", 0, "tags=[x]", "export=jsonl"))  # finished: no training, no write
    assert again.skipped and len(again.messages) == 2
    assert "tags not added" in again.messages[0] and "no events.jsonl written" in again.messages[1]
    assert all("symbolic link" in m for m in again.messages)
    assert sorted(p.name for p in target.iterdir()) == before  # no tags.json, events.jsonl or temporary file


def test_tags_json_nested_too_deep_is_no_tags(tmp_path: Path) -> None:
    results = tmp_path / "results"
    (run_id,) = tiny_runs(results, ("linear",), (0,))
    (results / run_id / TAGS_FILE).write_text("[" * 200_000)  # json raises RecursionError, not ValueError
    table = load_runs(results)
    assert list(table.runs["run_id"]) == [run_id] and list(table.runs["tags"]) == [""] and not table.broken
    done = subprocess.run([sys.executable, "-m", "yatbench", "tag", run_id, "--add", "fixed", "-r", str(results)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == f"{run_id}: fixed", done.stderr
    assert json.loads((results / run_id / TAGS_FILE).read_text()) == ["fixed"]
    assert sorted(p.name for p in (results / run_id).iterdir() if p.name.startswith(".")) == []
