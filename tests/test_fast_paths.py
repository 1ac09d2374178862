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
print("\\nIMPORTED", sorted(m for m in HEAVY if m in sys.modules))
"""
# What the fast paths must not import: torch and what it pulls in (its compiler, sympy), the report's
# libraries, and (for a finished run) what composes a config and what typer parses with.
TORCH = ("torch", "torch._dynamo", "sympy", "pandas", "matplotlib", "numba")
COMPOSING = ("hydra", "omegaconf", "pydantic")
HEAVY = TORCH + COMPOSING


def cli_imports(*args: str, cwd: Path) -> tuple[list[str], str]:
    """Which of :data:`HEAVY` ``yatbench ARGS`` imported, and its output."""
    done = subprocess.run([sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{PROBE}", *args], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, "COLUMNS": "200"}, timeout=300)
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
    assert not set(imported) & set(TORCH), out
    if "list" not in args:  # the help texts list options from the config folders' file names: no YAML read
        assert not {"hydra", "omegaconf"} & set(imported), out
    assert "yatbench" in out or "xor" in out


PRESETS = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "conf" / "sweep").glob("*.yaml"))


@pytest.mark.parametrize("preset", PRESETS)
def test_a_dry_run_answers_without_torch(tmp_path: Path, preset: str) -> None:
    """Every preset's plan, parameter counts included, from the configs alone: torch is never imported."""
    imported, out = cli_imports("sweep", preset, "--dry-run", f"results_dir={tmp_path / 'results'}", cwd=tmp_path)
    assert not set(imported) & set(TORCH), out
    assert "dry run: would run" in out and "params" in out, out
    rows = [line.split("│") for line in out.splitlines() if line.startswith("│")]
    assert rows and all("?" not in cell for row in rows for cell in row), out  # every count known
    assert not (tmp_path / "results").exists()  # a plan writes nothing


def test_a_sweeps_main_process_never_imports_torch(tmp_path: Path) -> None:
    """The workers train; the process that composes, schedules and summarises reads configs and records only (a
    record's versions are plain strings: torch's own TorchVersion would import torch where it is unpickled)."""
    results = tmp_path / "results"
    imported, out = cli_imports("sweep", "xor", "seed=range(2)", "model=linear,yat", "trainer.epochs=30",
                                f"results_dir={results}", cwd=tmp_path)
    assert not set(imported) & set(TORCH), out
    assert "run now: ok / diverged / failed" in out and len(list(results.glob("xor-*"))) == 20, out  # 10 × 2 seeds


def test_a_finished_run_is_recognised_without_torch_and_a_new_one_is_not(tmp_path: Path) -> None:
    from yatbench.run.execute import execute

    results = tmp_path / "results"
    spec = tiny_spec(results)
    execute(spec)
    remember(cfg_for(results), spec)  # what `yatbench run` does after its first, validating, time
    imported, out = cli_imports(*run_args(results), cwd=tmp_path)
    assert not set(imported) & set(TORCH), out  # composed (no command memo yet), recognised by its config
    assert "already complete, skipped" in out and spec.run_id in out.replace("\n", "")
    imported, again = cli_imports(*run_args(results), cwd=tmp_path)
    assert imported == [], again  # now by its command line: neither composed nor parsed by typer
    assert again.split("IMPORTED")[0] == out.split("IMPORTED")[0]  # the same answer
    # Another seed, never run: the command validates (torch: here in-process, where it is loaded), trains
    # and remembers it; the second time it needs no torch.
    from typer.testing import CliRunner

    from yatbench.cli.main import app

    first = CliRunner().invoke(app, run_args(results, 1))
    assert first.exit_code == 0 and "written" in first.output, first.output
    imported, out = cli_imports(*run_args(results, 1), cwd=tmp_path)
    assert imported == [] and "already complete, skipped" in out, out


def test_a_first_run_trains_without_torch_compiler_or_sympy(tmp_path: Path) -> None:
    """Eager training never uses torch._dynamo; importing it (and sympy) took as long as importing torch."""
    imported, out = cli_imports(*run_args(tmp_path / "results", 0, "model.hidden=[2]"), cwd=tmp_path)
    assert "written" in out and "torch" in imported, out
    assert not {"torch._dynamo", "sympy"} & set(imported), out


def test_once_torch_dynamo_is_imported_the_optimizers_are_torchs_own_again() -> None:
    """In a fresh interpreter: eager steps leave the compiler unloaded; after anything imports it, the
    guards torch put on the optimizer are the ones that run (the stand-in has removed itself)."""
    script = """
import sys
import torch
from yatbench.train.no_dynamo import _direct, plain_step
from yatbench.train.trainer import Phase, make_optimizer
w = torch.ones(3, requires_grad=True)
opt = make_optimizer([w], Phase("adam", 0.1, 1), lean=False)  # torch.optim.Adam itself
for _ in range(2):
    opt.zero_grad(set_to_none=True)
    (w ** 2).sum().backward()
    plain_step(opt)
assert "torch._dynamo" not in sys.modules
method = torch.optim.Optimizer.zero_grad.__wrapped__
assert vars(method)["__dynamo_disable"].__code__ is _direct(None, None).__code__
import torch._dynamo
opt.zero_grad(set_to_none=True)
(w ** 2).sum().backward()
plain_step(opt)
assert vars(method)["__dynamo_disable"].__code__ is not _direct(None, None).__code__  # torch's disabled form
print("OK", w.tolist())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "OK" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_plain_step_is_the_optimizer_step(optimizer: str) -> None:
    """Steps taken without torch's compiler guard move the weights exactly as optimizer.step() does."""
    import torch

    from yatbench.train.no_dynamo import _raw_step
    from yatbench.train.trainer import Phase, make_optimizer

    torch.manual_seed(3)
    weights = [torch.randn(4, 3, requires_grad=True), torch.randn(3, requires_grad=True)]
    twins = [w.detach().clone().requires_grad_() for w in weights]
    phase = Phase(optimizer, 0.05, 1, momentum=0.9, weight_decay=0.01)
    # torch.optim's own classes (the trainer's Adam is yatbench's, which has no guard: tests/test_adam.py)
    ours, theirs = make_optimizer(weights, phase, lean=False), make_optimizer(twins, phase, lean=False)
    assert _raw_step(ours) is not None  # this torch's wrappers are the ones recognised

    def plain_step(opt: torch.optim.Optimizer) -> None:  # what no_dynamo.plain_step does before torch._dynamo
        with torch.no_grad():
            _raw_step(opt)(opt)

    x = torch.randn(5, 4)
    for _ in range(4):
        for params, opt, step in ((weights, ours, plain_step), (twins, theirs, type(theirs).step)):
            opt.zero_grad(set_to_none=True)
            ((x @ params[0] + params[1]).tanh() ** 2).sum().backward()
            step(opt)
    for mine, torchs in zip(weights, twins, strict=True):
        assert torch.equal(mine, torchs)


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


def test_a_command_memo_is_trusted_only_for_its_words_its_files_and_a_sound_folder(tmp_path: Path, capsys) -> None:
    import shutil

    from yatbench.cli.main import answered_finished_run
    from yatbench.config.confdir import config_dir
    from yatbench.run.execute import execute
    from yatbench.run.known import command_key, recall_command

    results, user = tmp_path / "results", tmp_path / "conf"
    (user / "trainer").mkdir(parents=True)
    shutil.copy(config_dir() / "trainer" / "default.yaml", user / "trainer" / "default.yaml")  # same values
    spec = tiny_spec(results)
    execute(spec)
    cfg, words = cfg_for(results), ["dataset=xor", "model=yat", *run_args(results)[4:]]
    assert recall_command(words, user) is None  # nothing remembered yet
    remember(cfg, spec, words, user)
    known = recall_command(words, user)
    assert known is not None and known.run_dir == spec.run_dir
    assert recall_command(words) is None  # without the user's folder: other files, another key
    assert recall_command([*words, "seed=1"], user) is None and recall_command(words[::-1], user) is None
    # The command line as typed, in the shapes main answers before typer; anything else is typer's.
    argv = run_args(results)
    for shape in (argv, [*argv[:2], "-m", "yat", *argv[4:]], [*argv[:2], "--model=yat", *argv[4:]]):
        assert answered_finished_run([*shape, "--config-dir", str(user)]), shape
        assert "already complete, skipped" in capsys.readouterr().out
    assert not answered_finished_run(argv)  # the user's folder is part of the command
    for shape in ([*argv, "--force"], [*argv, "--help"], [*argv, "-x"], [*argv, "extra"], ["run"], ["list"]):
        assert not answered_finished_run([*shape, "--config-dir", str(user)]), shape
    # Any edit of a config file, a new one, a resolver: not the files it was composed from.
    (memo,) = (results / KNOWN_DIR).glob("cmd-*.json")
    saved = (user / "trainer" / "default.yaml").read_text()
    for edit in (saved + "# a comment\n", saved.replace("progress", "progress ", 1)):
        (user / "trainer" / "default.yaml").write_text(edit)
        assert recall_command(words, user) is None
    (user / "trainer" / "default.yaml").write_text(saved)
    assert recall_command(words, user) is not None
    (user / "trainer" / "other.yaml").write_text("lr: ${oc.env:LR,0.1}\n")
    assert command_key(words, user) is None  # its value may change with no file changing
    (user / "trainer" / "other.yaml").unlink()
    assert command_key([*words, "results_dir='a b'"], user) is None and command_key([*words, "x=${seed}"]) is None
    # An edited memo: another folder, another run, another config, garbage.
    good = json.loads(memo.read_text())
    other = tiny_spec(results, "yat", 1)
    execute(other)
    for bad in ({**good, "config": {**good["config"], "results_dir": str(tmp_path)}}, {**good, "run_id": other.run_id},
                {**good, "config": {**good["config"], "trainer": {**good["config"]["trainer"], "lr": 0.5}}},
                {**good, "run_id": "../results"}, {"run_id": spec.run_id}, "[]"):
        memo.write_text(json.dumps(bad))
        assert recall_command(words, user) is None, bad
    memo.write_text(json.dumps(good))
    assert recall_command(words, user) is not None
    (spec.run_dir / "config.yaml").write_text((spec.run_dir / "config.yaml").read_text().replace("0.01", "0.02"))
    assert recall_command(words, user) is None  # a run folder edited by hand is damage: the ordinary path


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_change_of_a_word_or_a_config_byte_changes_the_command_key(tmp_path_factory, data) -> None:
    import shutil

    from yatbench.config.confdir import config_dir
    from yatbench.run.known import command_key

    user = tmp_path_factory.mktemp("conf")
    for group in ("trainer", "dataset"):
        shutil.copytree(config_dir() / group, user / group)
    words = ["dataset=xor", "model=yat", "seed=0", f"results_dir={user / 'results'}"]
    key = command_key(words, user)
    assert key is not None and key[0] == user / "results"
    files = sorted(user.rglob("*.yaml"))
    path = data.draw(st.sampled_from(files))
    text = path.read_bytes()
    at = data.draw(st.integers(0, len(text)))
    path.write_bytes(text[:at] + data.draw(st.sampled_from([b" ", b"#", b"1", b"\n"])) + text[at:])
    assert command_key(words, user) != key
    path.write_bytes(text)
    assert command_key(words, user) == key
    changed = list(words)
    index = data.draw(st.integers(0, len(words) - 2))  # the results_dir word names where the memo is: kept
    changed[index] = data.draw(st.sampled_from(["seed=1", "dataset=xor ", "trainer.lr=0.1", "model=relu"]))
    assert command_key(changed, user) != key


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


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(KEYS, CONFIGS, max_size=6))
def test_config_yaml_is_read_as_omegaconf_reads_it(resolved: dict) -> None:
    """The run folder's check reads config.yaml without OmegaConf, with its rules: the same values, types too."""
    from yatbench.rundir.results import read_config_text

    assume("${" not in json.dumps(resolved))
    text = config_text(resolved)
    ours, theirs = read_config_text(text), OmegaConf.to_container(OmegaConf.create(text))
    assert ours == theirs and repr(ours) == repr(theirs)
    for other in ("a: 1e-5\nb: 1_000.5\nc: .inf\nd: 2001-12-14\ne: 0x10\nf: ~\ng: yes\n", "- 1\n- x\n"):
        assert repr(read_config_text(other)) == repr(OmegaConf.to_container(OmegaConf.create(other)))
    with pytest.raises(Exception, match="duplicate key"):
        read_config_text("a: 1\na: 2\n")


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


_FLOATS = st.one_of(st.sampled_from([0.0, -0.0, 1.0, 0.25, float("nan"), float("inf")]), st.floats())
_CELLS = {"floats": _FLOATS, "ints": st.integers(-3, 3), "numbers": st.one_of(_FLOATS, st.integers(-3, 3)),
          "anything": st.one_of(_FLOATS, st.integers(), st.booleans(), st.none(), st.text(max_size=3))}


@settings(max_examples=150, deadline=None)
@given(width=st.integers(1, 5), data=st.data())
def test_history_of_numbers_is_the_bytes_dict_writer_wrote(tmp_path_factory, width: int, data) -> None:
    """The column-by-column path for numeric rows (and its reuse of a repeated float column) writes exactly what
    ``csv.DictWriter`` writes: ints beside equal floats, 0.0 beside -0.0, NaN, bools and text fall back or differ
    where they must."""
    length = data.draw(st.integers(1, 6))
    kinds = [data.draw(st.sampled_from(sorted(_CELLS))) for _ in range(width)]
    columns = [data.draw(st.lists(_CELLS[kind], min_size=length, max_size=length)) for kind in kinds]
    for _ in range(data.draw(st.integers(0, 2))):  # repeated columns, as XOR's test columns repeat its validation's
        source = data.draw(st.sampled_from(columns))
        columns.append(data.draw(st.sampled_from([list(source), [-v if isinstance(v, float) else v for v in source],
                                                  [int(v) if isinstance(v, float) and v.is_integer() else v
                                                   for v in source]])))
    rows = [{f"c{j}": column[i] for j, column in enumerate(columns)} for i in range(length)]
    path = tmp_path_factory.mktemp("history") / "history.csv"
    write_history(path, rows)
    expected = io.StringIO(newline="")
    writer = csv.DictWriter(expected, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    assert path.read_bytes() == expected.getvalue().encode()


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
