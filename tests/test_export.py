"""Exports for researchers' tools, on tiny real runs: TensorBoard event files read back by tensorboard's own
reader and HParams backend, events.jsonl of a finished run, runs.parquet, and the Python API."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.tiny import tiny_runs, tiny_spec
from yatbench.report.load import load_runs
from yatbench.report.output import parquet_ready, write_parquet
from yatbench.run.execute import execute

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 configurations × 2 seeds: yat and linear at lr 0.01, yat at lr 0.03; one run tagged."""
    folder = tmp_path_factory.mktemp("export") / "results"
    tiny_runs(folder, ("yat", "linear"), (0, 1))
    tiny_runs(folder, ("yat",), (0, 1), "trainer.lr=0.03", "tags=[fast]")
    return folder


def _yatbench(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yatbench", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd)


def _history(folder: Path) -> list[dict[str, str]]:
    with (folder / "history.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_tensorboard_export_reads_back_with_tensorboard(results: Path, tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import api_pb2, backend_context, list_session_groups

    out = tmp_path / "tb"
    done = _yatbench("export", "--tensorboard", str(out), "-r", str(results))
    assert done.returncode == 0, done.stderr
    assert "6 runs (3 configurations)" in done.stdout
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(out))
    multiplexer.Reload()
    table = load_runs(results)
    run_ids = set(table.runs["run_id"])
    assert set(multiplexer.Runs()) == run_ids | {"."}  # "." holds the HParams experiment
    for run_id in run_ids:  # the scalar history, value for value, and the final metrics
        accumulator = multiplexer.GetAccumulator(run_id)
        rows = _history(results / run_id)
        for name in ("train_loss", "test_accuracy"):
            events = accumulator.Tensors(name)
            assert [e.step for e in events] == [int(r["step"]) for r in rows]
            read = [float(e.tensor_proto.float_val[0]) for e in events]
            assert read == pytest.approx([float(r[name]) for r in rows], rel=1e-6)
        final = accumulator.Tensors("final/test_accuracy")[-1].tensor_proto.float_val[0]
        assert final == pytest.approx(table.records[run_id].metrics["test_accuracy"], rel=1e-6)
    # The HParams plugin's own backend: one session group per configuration, its seeds as sessions.
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(out))
    backend = backend_context.Context(base_plugin.TBContext(data_provider=provider, logdir=str(out),
                                                            multiplexer=multiplexer))
    request = api_pb2.ListSessionGroupsRequest(start_index=0, slice_size=100, include_metrics=True,
                                               allowed_statuses=[api_pb2.STATUS_UNKNOWN, api_pb2.STATUS_SUCCESS])
    groups = list_session_groups.Handler(context.RequestContext(), backend, "", request).run().session_groups
    assert {g.name for g in groups} == set(table.runs["variant"])
    assert all(len(g.sessions) == 2 for g in groups)
    lrs = {g.hparams["trainer.lr"].number_value for g in groups}
    assert lrs == {0.01, 0.03} and {g.hparams["model"].string_value for g in groups} == {"yat", "linear"}
    assert all("final/test_accuracy" in {m.name.tag for m in g.metric_values} for g in groups)
    experiment = backend.experiment_from_metadata(context.RequestContext(), "", True,
                                                  backend.hparams_metadata(context.RequestContext(), ""), None)
    infos = {h.name: h for h in experiment.hparam_infos}
    assert {v.number_value for v in infos["trainer.lr"].domain_discrete.values} == {0.01, 0.03}
    assert "seed" not in infos and "final/test_accuracy" in {m.name.tag for m in experiment.metric_infos}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # the staging folder is gone


def test_tensorboard_export_writes_only_into_a_new_or_empty_folder(results: Path, tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    from yatbench.core.errors import UserError
    from yatbench.report.subset import parse_where
    from yatbench.report.tensorboard import export_tensorboard

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    a_file = tmp_path / "file.txt"
    a_file.write_text("mine")
    before = sorted(p.name for p in tmp_path.iterdir())
    for target, words in ((Path("/"), "give a new or empty folder"), (a_file, "is a file"),
                          (busy, "is not empty (notes.txt)"), (results, "is the results folder"),
                          (Path.home(), "give a new or empty folder")):
        with pytest.raises(UserError, match=re.escape(words)):
            export_tensorboard(results, target)
    with pytest.raises(UserError, match="matches no run"):
        export_tensorboard(results, tmp_path / "new", parse_where(["model=nope"]))
    assert sorted(p.name for p in tmp_path.iterdir()) == before and a_file.read_text() == "mine"
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
    done = export_tensorboard(results, tmp_path / "new", parse_where(["tags=fast"]))
    assert len(done.runs) == 2 and len([p for p in (tmp_path / "new").iterdir() if p.is_dir()]) == 2
    refused = _yatbench("export", "--tensorboard", "/", "-r", str(results))  # the command: one line, exit 2
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "/ is /" in refused.stderr


def test_tensorboard_export_refuses_a_linked_or_system_folder(results: Path, tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    from yatbench.core.errors import UserError
    from yatbench.report.tensorboard import export_tensorboard

    target = tmp_path / "someone-else"
    target.mkdir()
    link = tmp_path / "tb"
    link.symlink_to(target)  # an empty folder behind a link: still not written through
    refused = _yatbench("export", "--tensorboard", str(link), "-r", str(results))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert "is a symbolic link" in refused.stderr and list(target.iterdir()) == [] and link.is_symlink()
    for system in (Path("/etc/tb"), Path("/usr")):
        with pytest.raises(UserError, match=r"--tensorboard .* is (inside )?the system folder"):
            export_tensorboard(results, system)
    assert not Path("/etc/tb").exists()


def test_an_oversized_or_unreadable_history_is_left_out_with_a_note(results: Path, tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    import yatbench

    copy = tmp_path / "results"
    shutil.copytree(results, copy)
    wide, big = sorted(p.name for p in copy.iterdir() if p.is_dir() and not p.name.startswith("."))[:2]
    rows = _history(copy / wide)
    with (copy / wide / "history.csv").open("a") as handle:  # one field over csv's 131072-character limit
        handle.write("x" * 200_000 + "\n")
    with (copy / big / "history.csv").open("a") as handle:  # over the report's 32 MiB limit
        line = "," * (len(rows[0]) - 1) + "\n"  # empty rows: cheap to write, still counted
        handle.write(line * (33 * 2**20 // len(line) + 1))
    assert (copy / big / "history.csv").stat().st_size > 32 * 2**20
    done = _yatbench("export", "--tensorboard", str(tmp_path / "tb"), "-r", str(copy))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    notes = done.stderr.splitlines()
    assert len(notes) == 2 and all(n.startswith("warning: ") and "history left out" in n for n in notes)
    assert wide in notes[0] + notes[1] and big in notes[0] + notes[1] and "over the report's limit" in done.stderr
    assert (tmp_path / "tb" / wide).is_dir()  # the run is still exported: its final metrics and hparams
    with pytest.warns(UserWarning, match="history left out") as caught:
        histories = yatbench.load_histories(copy)
    assert len(caught) == 2 and set(histories["run_id"]) == set(load_runs(copy).runs["run_id"]) - {wide, big}
    from yatbench.rundir.export import export_finished

    (copy / wide / "events.jsonl").unlink(missing_ok=True)
    said = export_finished("jsonl", copy / wide)
    assert said is not None and "no events.jsonl written" in said and not (copy / wide / "events.jsonl").exists()


def test_jsonl_export_of_a_finished_run_and_every_line_names_its_run(tmp_path: Path) -> None:
    folder = tmp_path / "results"
    outcome = execute(tiny_spec(folder, "yat", 0))
    path = outcome.run_dir / "events.jsonl"
    assert not path.exists()
    again = execute(tiny_spec(folder, "yat", 0, "export=jsonl"))  # finished: written from what it recorded
    assert again.skipped and path.is_file()
    assert again.messages == [f"{outcome.run_dir.name}: finished run, events.jsonl written from its recorded history"]
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert all(line["run_id"] == outcome.run_dir.name for line in lines)
    rows = _history(outcome.run_dir)
    scalars = [line for line in lines if line["type"] == "scalar"]
    assert len(scalars) == sum(1 for row in rows for k, v in row.items() if k not in ("step", "epoch") and v)
    assert lines[-1]["metrics"]["test_accuracy"] == outcome.record["metrics"]["test_accuracy"]
    assert execute(tiny_spec(folder, "yat", 0, "export=jsonl")).messages == [
        f"{outcome.run_dir.name}: events.jsonl is already there"]
    fresh = execute(tiny_spec(folder, "yat", 1, "export=jsonl"))  # written with the run: the same lines
    direct = [json.loads(line) for line in (fresh.run_dir / "events.jsonl").read_text().splitlines()]
    (fresh.run_dir / "events.jsonl").unlink()
    execute(tiny_spec(folder, "yat", 1, "export=jsonl"))
    rebuilt = [json.loads(line) for line in (fresh.run_dir / "events.jsonl").read_text().splitlines()]
    assert [{k: v for k, v in line.items() if k != "config"} for line in rebuilt] == [
        {k: v for k, v in line.items() if k != "config"} for line in direct]
    (fresh.run_dir / "events.jsonl").unlink()
    (fresh.run_dir / "history.csv").unlink()  # cannot be rebuilt: it says why, writes nothing
    said = execute(tiny_spec(folder, "yat", 1, "export=jsonl")).messages
    assert len(said) == 1 and "no events.jsonl written" in said[0] and not (fresh.run_dir / "events.jsonl").exists()


def test_runs_parquet_holds_runs_csv(results: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    runs = load_runs(results).runs
    assert write_parquet(runs, tmp_path / "runs.parquet") is None
    runs.to_csv(tmp_path / "runs.csv", index=False)
    parquet, text = pd.read_parquet(tmp_path / "runs.parquet"), pd.read_csv(tmp_path / "runs.csv")
    assert list(parquet.columns) == list(text.columns) and len(parquet) == len(text) == 6
    for column in ("run_id", "model", "seed", "params", "test_accuracy", "trainer.lr", "commit", "versions.torch"):
        assert parquet[column].tolist() == text[column].tolist() or column == "commit"
    assert set(parquet["tags"]) == {"", "fast"}
    frame = pd.DataFrame({"a": [1, "x", None], "b": [1.5, float("nan"), 2.0], "c": ["p", None, "q"]}, dtype=object)
    mixed = parquet_ready(frame)  # an int beside a text: text; one type (with gaps): as it was
    assert mixed["a"].tolist()[:2] == ["1", "x"] and pd.isna(mixed["a"].iloc[2]) and mixed["c"].tolist()[0] == "p"
    assert write_parquet(frame, tmp_path / "mixed.parquet") is None
    assert pd.read_parquet(tmp_path / "mixed.parquet")["a"].tolist()[:2] == ["1", "x"]


def test_python_api(results: Path) -> None:
    import yatbench

    runs = yatbench.load_runs(results)
    assert len(runs) == 6 and {"run_id", "test_accuracy", "trainer.lr", "tags", "commit"} <= set(runs.columns)
    assert set(yatbench.load_runs(results, where="trainer.lr>0.02")["tags"]) == {"fast"}
    histories = yatbench.load_histories(results, where=["model=yat"])
    assert set(histories["run_id"]) == set(runs[runs["model"] == "yat"]["run_id"])
    assert len(histories) == sum(len(_history(results / r)) for r in set(histories["run_id"]))
    assert list(histories.columns[:7]) == ["run_id", "dataset", "model", "seed", "variant", "variant_label", "tags"]
    one = runs["run_id"].iloc[0]
    assert set(yatbench.load_histories(results, runs=[one])["run_id"]) == {one}
    assert math.isclose(histories["train_loss"].iloc[0], float(_history(results / histories["run_id"].iloc[0])[0][
        "train_loss"]))


def test_import_yatbench_loads_neither_pandas_nor_torch() -> None:
    done = subprocess.run([sys.executable, "-c", "import sys, yatbench; print(sorted({'pandas', 'torch', 'numpy'} "
                           "& set(sys.modules)))"], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_readme_python_example_runs_as_written(results: Path) -> None:
    """The README's Python API example, run in a folder whose results/ holds tiny runs."""
    text = README.read_text()
    section = text[text.index("### Python API"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=results.parent, env={**os.environ, "COLUMNS": "120"})
    assert done.returncode == 0, done.stderr
    assert "yat" in done.stdout and "linear" in done.stdout
