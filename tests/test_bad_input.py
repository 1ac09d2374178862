"""Bad input, as a careless or hostile user types it: one stderr line, exit 2 (or 1), no traceback, nothing written.

Most cases call the CLI entry point in this process (fast); ``test_a_few_in_real_processes`` runs
a representative handful as real subprocesses, so the in-process harness is checked against the
real thing.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests import registry
from yatbench.cli.main import main
from yatbench.config.confdir import packaged_names
from yatbench.sweep.params import NoSizeKnob, size_knob

TB = "Traceback"


def snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def cli(args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``yatbench ARGS`` in this process from ``cwd``; return (exit code, stdout, stderr)."""
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", ["yatbench", *args])
    monkeypatch.delenv("YATBENCH_CONFIG_DIR", raising=False)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        with pytest.raises(SystemExit) as info:
            main()
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    captured = capsys.readouterr()
    code = info.value.code if isinstance(info.value.code, int) else 1
    return code, captured.out, captured.err


def assert_one_line(code: int, err: str, out: str, expected_code: int, fragment: str) -> None:
    lines = err.strip().splitlines()
    assert code == expected_code, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert fragment in lines[0], lines[0]
    assert TB not in err + out


RUN_CASES: list[tuple[list[str], int, str]] = [
    # unknown names
    (["run", "xr"], 2, "unknown dataset 'xr'"),
    (["run", "XOR"], 2, "unknown dataset 'XOR'"),
    (["run", "mnist2"], 2, "unknown dataset 'mnist2'"),
    (["run", "../xor"], 2, "unknown dataset"),
    (["run", "xor", "--model", "yta"], 2,
     f"unknown model 'yta'; valid choices: {', '.join(packaged_names('model'))}"),
    (["run", "xor", "--model", "Linear"], 2, "unknown model 'Linear'"),
    (["run", "xor", "--model", "mlp"], 2, "unknown model 'mlp'"),
    (["run", "xor", "--model", "../yat"], 2, "unknown model"),
    (["run", "xor", "device=tpu"], 2, "unknown device 'tpu'"),
    (["run", "xor", "device.name=tpu"], 2, "device.name='tpu' is not valid"),
    (["run", "xor", "trainer=fast"], 2, "unknown trainer 'fast'"),
    # trainer settings
    (["run", "xor", "trainer.epochs=abc"], 2, "trainer.epochs='abc' is not a valid integer"),
    (["run", "xor", "trainer.epochs=0"], 2, "trainer.epochs=0 must be >= 1"),
    (["run", "xor", "trainer.epochs=-3"], 2, "trainer.epochs=-3 must be >= 1"),
    (["run", "xor", "trainer.epochs=1.5"], 2, "trainer.epochs='1.5' is not a valid integer"),
    (["run", "xor", "trainer.epochs=[1]"], 2, "trainer.epochs"),
    (["run", "xor", "trainer.lr=0"], 2, "trainer.lr=0.0 must be > 0"),
    (["run", "xor", "trainer.lr=-1"], 2, "trainer.lr=-1.0 must be > 0"),
    (["run", "xor", "trainer.lr=inf"], 2, "trainer.lr=inf is not valid: settings must be finite"),
    (["run", "xor", "trainer.lr=nan"], 2, "trainer.lr"),
    (["run", "xor", "trainer.lr=abc"], 2, "trainer.lr='abc' is not a valid float"),
    (["run", "xor", "trainer.weight_decay=-1"], 2, "trainer.weight_decay=-1.0 must be >= 0"),
    (["run", "xor", "trainer.weight_decay=nan"], 2, "trainer.weight_decay=nan is not valid"),
    (["run", "xor", "trainer.weight_decay=inf"], 2, "trainer.weight_decay=inf is not valid"),
    (["run", "xor", "trainer.momentum=nan"], 2, "trainer.momentum=nan is not valid"),
    (["run", "xor", "trainer.momentum=-inf"], 2, "trainer.momentum=-inf"),
    (["run", "xor", "trainer.batch_size=-1"], 2, "trainer.batch_size=-1 must be >= 0"),
    (["run", "xor", "trainer.batch_size=abc"], 2, "trainer.batch_size='abc' is not a valid integer"),
    (["run", "xor", "trainer.eval_every=0"], 2, "trainer.eval_every=0 must be >= 1"),
    (["run", "xor", "trainer.optimizer=adagrad"], 2, "trainer.optimizer='adagrad' is not valid"),
    (["run", "xor", "trainer.seed_batching=maybe"], 2, "trainer.seed_batching='maybe' is not valid"),
    (["run", "xor", "trainer.progress=maybe"], 2, "trainer.progress"),
    (["run", "xor", "trainer.nope=3"], 2, "unknown config key 'trainer.nope'"),
    (["run", "xor", "+trainer.nope=3"], 2, "unknown key 'trainer.nope'"),
    # the Yat model
    (["run", "xor", "model.hidden=[-1]"], 2, "model.hidden=[-1] must hold positive widths"),
    (["run", "xor", "model.hidden=[0]"], 2, "model.hidden=[0] must hold positive widths"),
    (["run", "xor", "model.hidden=[4,0]"], 2, "must hold positive widths"),
    (["run", "xor", "model.hidden=abc"], 2, "model.hidden"),
    (["run", "xor", "model.hidden=[a]"], 2, "model.hidden"),
    (["run", "xor", "model.hidden=[]"], 2, "model.hidden=[] needs model.readout=none"),
    (["run", "xor", "model.hidden=[100000000]"], 2, "over limits.max_params"),
    (["run", "xor", "model.hidden=[100000000,100000000]"], 2, "over limits.max_params"),
    (["run", "xor", "model.hidden=[30000,30000]"], 2, "over limits.max_params"),
    (["run", "xor", "model.readout=foo"], 2, "model.readout='foo' is not valid"),
    (["run", "xor", "model.bias=foo"], 2, "model.bias='foo' is not valid"),
    (["run", "xor", "model.alpha=foo"], 2, "model.alpha='foo' is not valid"),
    (["run", "xor", "model.alpha=inf"], 2, "model.alpha='inf' is not valid"),
    (["run", "xor", "model.alpha=nan"], 2, "model.alpha='nan' is not valid"),
    (["run", "xor", "model.epsilon=0"], 2, "model.epsilon=0.0 must be > 0"),
    (["run", "xor", "model.epsilon=-1"], 2, "model.epsilon=-1.0 must be > 0"),
    (["run", "xor", "model.epsilon=nan"], 2, "model.epsilon=nan is not valid"),
    (["run", "xor", "model.epsilon=inf"], 2, "model.epsilon=inf is not valid"),
    (["run", "xor", "model.nope=1"], 2, "unknown config key 'model.nope'"),
    # names that would become paths, or mislabel a run
    (["run", "xor", "model.name=../../x"], 2, "model.name='../../x' does not match"),
    (["run", "xor", "model.name=/tmp/x"], 2, "model.name='/tmp/x' does not match"),
    (["run", "xor", "model.name=relu"], 2, "model.name='relu' does not match the model config chosen ('yat')"),
    (["run", "xor", "dataset.name=../../escape2"], 2, "dataset.name='../../escape2' does not match"),
    (["run", "xor", "dataset.name=/abs/path"], 2, "dataset.name='/abs/path' does not match"),
    (["run", "xor", "dataset.name=a/b"], 2, "dataset.name='a/b' does not match"),
    (["run", "xor", "dataset.name=.."], 2, "dataset.name='..' does not match"),
    (["run", "xor", "dataset.name=mnist"], 2, "dataset.name='mnist' does not match the dataset config chosen"),
    (["run", "xor", "dataset.name=5"], 2, "dataset.name=5 does not match"),
    # other models
    (["run", "xor", "--model", "relu", "model.hidden=[-1]"], 2, "model.hidden=[-1] must hold positive widths"),
    (["run", "xor", "--model", "relu", "model.hidden=[0,4]"], 2, "must hold positive widths"),
    (["run", "xor", "--model", "relu", "model.hidden=[200000000]"], 2, "over limits.max_params"),
    (["run", "xor", "--model", "relu", "model.norm=group"], 2, "model.norm='group' is not valid; choose one of none"),
    (["run", "xor", "--model", "relu", "model.norm=batch", "trainer.batch_size=3"], 2,
     "model.norm=batch needs mini-batches of at least 2 samples"),
    (["run", "xor", "--model", "relu", "model.hidden=abc"], 2, "model.hidden"),
    (["run", "xor", "--model", "relu", "model.alpha=1"], 2, "unknown config key 'model.alpha'"),
    (["run", "xor", "--model", "attention", "model.experts=0"], 2, "model.experts=0 must be >= 1"),
    (["run", "xor", "--model", "attention", "model.experts=-2"], 2, "model.experts=-2 must be >= 1"),
    (["run", "xor", "--model", "attention", "model.experts=abc"], 2, "model.experts='abc' is not a valid integer"),
    (["run", "xor", "--model", "attention", "model.experts=100000000"], 2, "over limits.max_params"),
    (["run", "xor", "--model", "attention", "model.temperature=0"], 2, "model.temperature=0.0 must be > 0"),
    (["run", "xor", "--model", "attention", "model.temperature=nan"], 2, "model.temperature=nan is not valid"),
    (["run", "xor", "--model", "attention", "model.temperature=inf"], 2, "model.temperature=inf is not valid"),
    (["run", "xor", "--model", "linear", "model.hidden=[4]"], 2, "unknown config key 'model.hidden'"),
    # datasets
    (["run", "xor", "dataset.encoding=foo"], 2, "dataset.encoding='foo' is not valid"),
    (["run", "xor", "dataset.noise=-1"], 2, "dataset.noise=-1.0 must be >= 0"),
    (["run", "xor", "dataset.noise=nan"], 2, "dataset.noise=nan is not valid"),
    (["run", "xor", "dataset.noise=inf"], 2, "dataset.noise=inf is not valid"),
    (["run", "xor", "dataset.noise=abc"], 2, "dataset.noise='abc' is not a valid float"),
    (["run", "xor", "dataset.n_train=0"], 2, "dataset.n_train, dataset.n_test and dataset.n_val must be >= 1"),
    (["run", "xor", "dataset.n_test=-5"], 2, "dataset.n_train, dataset.n_test and dataset.n_val must be >= 1"),
    (["run", "xor", "dataset.nope=1"], 2, "unknown config key 'dataset.nope'"),
    (["run", "compositional", "dataset.slopes=[]"], 2, "dataset.slopes must hold at least one slope"),
    (["run", "compositional", "dataset.slopes=abc"], 2, "dataset.slopes"),
    (["run", "compositional", "dataset.slopes=[nan]"], 2, "dataset.slopes"),
    (["run", "compositional", "dataset.slopes=[1,inf]"], 2, "dataset.slopes"),
    (["run", "compositional", "dataset.n=5"], 2, "dataset.n=5 must be >= 10"),
    (["run", "compositional", "dataset.test_fraction=0"], 2, "dataset.test_fraction=0.0 must be between 0 and 1"),
    (["run", "compositional", "dataset.test_fraction=1"], 2, "dataset.test_fraction=1.0 must be between 0 and 1"),
    (["run", "compositional", "dataset.test_fraction=nan"], 2, "dataset.test_fraction"),
    (["run", "compositional", "dataset.noise_frac=-1"], 2, "dataset.noise_frac=-1.0 must be a finite number >= 0"),
    (["run", "compositional", "dataset.noise_frac=inf"], 2, "dataset.noise_frac"),
    (["run", "compositional", "dataset.standardize=maybe"], 2, "dataset.standardize"),
    (["run", "mnist", "dataset.source=foo"], 2, "dataset.source='foo' is not valid for mnist"),
    (["run", "mnist", "dataset.max_train=0"], 2, "dataset.max_train=0 must be a positive integer or null"),
    (["run", "mnist", "dataset.max_test=-1"], 2, "dataset.max_test=-1 must be a positive integer or null"),
    (["run", "mnist", "dataset.download=maybe"], 2, "dataset.download"),
    (["run", "fashion_mnist", "dataset.source=bundled"], 2, "dataset.source='bundled' is not available"),
    (["run", "inversion", "dataset.center=maybe"], 2, "dataset.center"),
    # seeds
    (["run", "xor", "seed=abc"], 2, "seed='abc' is not an integer"),
    (["run", "xor", "seed=-1"], 2, "seed=-1 is out of range"),
    (["run", "xor", "seed=1.5"], 2, "seed=1.5 is not an integer"),
    (["run", "xor", "seed=4294967296"], 2, "seed=4294967296 is out of range"),
    (["run", "xor", "seed=[1]"], 2, "seed=[1] is not an integer"),
    (["run", "xor", "seed=true"], 2, "seed=True is not an integer"),
    (["run", "xor", "seed=null"], 2, "seed=None is not an integer"),
    # results folder, limits, malformed overrides
    (["run", "xor", "results_dir="], 2, "results_dir="),
    (["run", "xor", "results_dir=null"], 2, "results_dir=None is not valid"),
    (["run", "xor", "results_dir=/dev/null/results"], 2, "is inside the system folder /dev"),
    (["run", "xor", "results_dir=/proc/yatbench-results"], 2, "is inside the system folder /proc"),
    (["run", "xor", "limits.max_params=0"], 2, "limits.max_params=0 must be >= 1"),
    (["run", "xor", "limits.max_params=abc"], 2, "limits.max_params='abc' is not a valid integer"),
    (["run", "xor", "limits.max_params=3"], 2, "over limits.max_params=3"),
    (["run", "xor", "limits.max_memory_gb=-1"], 2, "limits.max_memory_gb=-1.0 must be a positive number"),
    (["run", "xor", "limits.max_memory_gb=nan"], 2, "limits.max_memory_gb=nan must be a positive number"),
    (["run", "xor", "limits.max_memory_gb=1e-12"], 2, "over the limit"),
    (["run", "xor", "limits.nope=1"], 2, "unknown config key 'limits.nope'"),
    (["run", "xor", "model.hidden=[1"], 2, "malformed override"),
    (["run", "xor", "=3"], 2, "overrides are key=value"),
    (["run", "xor", "trainer.epochs"], 2, "trainer.epochs"),
    (["run", "xor", "--bogus"], 2, "malformed override '--bogus'"),
    (["run", "xor", "dataset=xor,compositional"], 2, "use `yatbench sweep`"),
    (["run", "xor", "seed=range(3)"], 2, "seed"),
    (["run", "xor", "--config-dir", "/nonexistent"], 2, "config folder /nonexistent does not exist"),
    (["run", "mnist", "dataset.source=torchvision", "dataset.data_dir=/nonexistent-data"], 1,
     "dataset.source=bundled"),
    # usage errors
    (["run"], 2, "Missing argument 'dataset'; see `yatbench run --help`"),
    (["nosuch"], 2, "No such command 'nosuch'"),
]

OTHER_CASES: list[tuple[list[str], int, str]] = [
    (["list", "gadgets"], 2, "unknown group 'gadgets'"),
    (["list", "--config-dir", "/nonexistent"], 2, "config folder /nonexistent does not exist"),
    (["list", "model", "--config-dir", "/nonexistent"], 2, "does not exist"),
    (["sweep", "nosuch"], 2, "unknown sweep preset 'nosuch'"),
    (["sweep", "xor", "model=yta"], 2, "unknown model 'yta'"),
    (["sweep", "xor", "dataset=nosuch"], 2, "unknown dataset 'nosuch'"),
    (["sweep", "xor", "seed=4294967296"], 2, "seed=4294967296 is out of range"),
    (["sweep", "xor", "seed=1.5"], 2, "seed=1.5 is not an integer"),
    (["sweep", "xor", "seed=abc"], 2, "seed='abc' is not an integer"),
    (["sweep", "xor", "seed=-2"], 2, "seed=-2 is out of range"),
    (["sweep", "xor", "model.alpha=foo"], 2, "model.alpha='foo' is not valid"),
    (["sweep", "xor", "trainer.lr=inf"], 2, "trainer.lr=inf is not valid"),
    (["sweep", "xor", "trainer.lr=0.1,nan"], 2, "trainer.lr=nan"),
    (["sweep", "xor", "dataset.noise=nan"], 2, "dataset.noise=nan is not valid"),
    (["sweep", "xor", "model.hidden=[100000000]"], 2, "over limits.max_params"),
    (["sweep", "xor", "dataset.name=../../escape"], 2, "dataset.name='../../escape' does not match"),
    (["sweep", "xor", "trainer.epochs=interval(1,5)"], 2, "interval() is continuous"),
    (["sweep", "xor", "hydra.run.dir=x"], 2, "hydra.* settings are not used"),
    (["sweep", "xor", "model.hidden=[1"], 2, "malformed override"),
    (["sweep", "xor", "--workers", "0"], 2, "Invalid value for '--workers'"),
    (["sweep", "xor", "--executor", "nosuch"], 2, "unknown executor 'nosuch'"),
    (["sweep", "xor", "executor.workers=0"], 2, "executor.workers=0 must be >= 1"),
    (["sweep", "xor", "executor.kind=foo"], 2, "executor.kind='foo' is not valid"),
    (["sweep", "xor", "executor.workers=1,2"], 2, "takes one value"),
    (["sweep", "xor", "--config-dir", "/nonexistent"], 2, "config folder /nonexistent does not exist"),
    (["sweep", "xor", "results_dir=/dev/null/r"], 2, "is inside the system folder /dev"),
    (["report", "--results-dir", "nosuch"], 2, "results directory nosuch does not exist"),
    (["report", "-r"], 2, "Option '-r' requires an argument"),
    (["bench", "--shapes", "32x16"], 2, "--shapes item '32x16' is not BATCHxINxOUT"),
    (["bench", "--shapes", "0x16x8"], 2, "--shapes item '0x16x8'"),
    (["bench", "--shapes", "axbxc"], 2, "--shapes item 'axbxc'"),
    (["bench", "--shapes", "100000x100000x100000"], 2, "--shapes 100000x100000x100000 needs about"),
    (["bench", "--device", "tpu"], 2, "--device 'tpu' is not valid"),
    (["bench", "--repeats", "1"], 2, "Invalid value for '--repeats'"),
    (["bench", "--threads", "0"], 2, "Invalid value for '--threads'"),
    (["bench", "--out", "/dev/null/bench", "--shapes", "8x8x8"], 2, "--out /dev/null/bench is inside the system"),
]


@pytest.mark.parametrize(("args", "code", "fragment"), RUN_CASES + OTHER_CASES,
                         ids=[" ".join(c[0]) for c in RUN_CASES + OTHER_CASES])
def test_bad_input_is_one_line_and_writes_nothing(args: list[str], code: int, fragment: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(tmp_path)
    got, out, err = cli(args, tmp_path, monkeypatch, capsys)
    assert_one_line(got, err, out, code, fragment)
    assert snapshot(tmp_path) == before  # no results/, no .partial/, no report


@pytest.mark.parametrize("model", registry.models())  # every model of the config group, a user's included
def test_every_model_refuses_bad_settings_in_one_line(model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    where = registry.config_dir_args()  # read before cli() clears the environment's config folder
    other = next(m for m in registry.models() if m != model)
    cases = [(["model.nope=1"], "unknown config key 'model.nope'"),
             ([f"model.name={other}"], f"model.name={other!r} does not match the model config chosen ({model!r})"),
             (["model.name=../x"], "model.name='../x' does not match")]
    try:  # a size the config's own knob makes far too big (a model without a knob has its size from the data)
        cases.append(([size_knob(model, ["dataset=xor"], registry.user_dir())(10**9)], "over limits.max_params"))
    except NoSizeKnob:
        pass
    for overrides, fragment in cases:
        before = snapshot(tmp_path)
        got, out, err = cli(["run", "xor", "--model", model, *overrides, *where], tmp_path, monkeypatch, capsys)
        assert_one_line(got, err, out, 2, fragment)
        assert snapshot(tmp_path) == before


@pytest.mark.parametrize("dataset", registry.datasets())
def test_every_dataset_refuses_bad_settings_in_one_line(dataset: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    where = registry.config_dir_args()
    for overrides, fragment in [(["dataset.nope=1"], "unknown config key 'dataset.nope'"),
                                (["dataset.name=../x"], "dataset.name='../x' does not match"),
                                (["trainer.epochs=0"], "trainer.epochs=0")]:
        before = snapshot(tmp_path)
        got, out, err = cli(["run", dataset, *overrides, *where], tmp_path, monkeypatch, capsys)
        assert_one_line(got, err, out, 2, fragment)
        assert snapshot(tmp_path) == before


# A user's config folder: files that do not parse, have the wrong shape, or name what cannot be imported.
USER_FILES: list[tuple[str, str, list[str], str]] = [
    ("dataset/bad.yaml", "a: [1\n", ["run", "bad"], "cannot read the config"),
    ("dataset/bad.yaml", "a: [1\n", ["list"], "is not valid YAML"),
    ("dataset/bad.yaml", "a: [1\n", ["list", "dataset"], "is not valid YAML"),
    ("dataset/bad.yaml", "a: [1\n", ["sweep", "default", "dataset=xor", "--dry-run"], "is not valid YAML"),
    ("dataset/bad.yaml", "- 1\n- 2\n", ["run", "bad"], "config group 'dataset' must be a mapping"),
    ("dataset/bad.yaml", "- 1\n- 2\n", ["list", "dataset"], "must be a mapping of settings"),
    ("dataset/bad.yaml", "_target_: nosuch.Mod\nname: bad\n", ["run", "bad"],
     "dataset._target_='nosuch.Mod' cannot be imported"),
    ("dataset/bad.yaml", "_target_: yatbench.data.xor.Nope\nname: bad\n", ["run", "bad"],
     "dataset._target_='yatbench.data.xor.Nope' cannot be imported"),
    ("dataset/bad.yaml", "_target_: yatbench.core.errors.UserError\nname: bad\n", ["run", "bad"],
     "not a config dataclass"),
    ("dataset/bad.yaml", "name: bad\n", ["run", "bad"], "config group 'dataset' has no _target_"),
    ("dataset/bad.yaml", "_target_: 5\nname: bad\n", ["run", "bad"], "must name a config dataclass"),
    ("dataset/bad.yaml", "_target_: yatbench.data.xor.XorConfig\nname: ../../escape\n", ["run", "bad"],
     "dataset.name='../../escape' does not match"),
    ("dataset/xor.yaml", "_target_: yatbench.data.xor.XorConfig\nname: ../../escape\n", ["run", "xor"],
     "dataset.name='../../escape' does not match"),
    ("dataset/bad.yaml", "_target_: yatbench.data.xor.XorConfig\nname: bad\nnoise: [1]\n", ["run", "bad"],
     "dataset.noise"),
    ("model/big.yaml", "_target_: yatbench.models.yat.YatConfig\nname: big\nhidden: [100000000]\n",
     ["run", "xor", "--model", "big"], "over limits.max_params"),
    ("model/bad.yaml", "_target_: yatbench.models.yat.YatConfig\nname: ../x\n", ["run", "xor", "--model", "bad"],
     "model.name='../x' does not match"),
    ("sweep/p.yaml", "grid: 5\n", ["sweep", "p"], "grid must be a list of entries"),
    ("sweep/p.yaml", "axes: 7\n", ["sweep", "p"], "axes must be a mapping"),
    ("sweep/p.yaml", "grid: [5]\n", ["sweep", "p"], "grid entry 1 must be a mapping"),
    ("sweep/p.yaml", "grid: [{dataset: xor, budget: many}]\n", ["sweep", "p"], "budget='many'"),
    ("sweep/p.yaml", "nope: 1\n", ["sweep", "p"], "unknown keys ['nope']"),
    ("sweep/p.yaml", "grid: [1\n", ["sweep", "p"], "is not valid YAML"),
    ("sweep/p.yaml", "axes: {seed: 'range(2)'}\ngrid: [{dataset: xor, model: yat, dataset.name: ../e}]\n",
     ["sweep", "p"], "dataset.name='../e' does not match"),
    ("executor/bad.yaml", "_target_: yatbench.sweep.executor_base.ExecutorConfig\nkind: rocket\n",
     ["sweep", "xor", "--executor", "bad"], "executor.kind='rocket' is not valid"),
]


@pytest.mark.parametrize(("file", "text", "args", "fragment"), USER_FILES,
                         ids=[f"{f}:{t[:20]!r}:{' '.join(a)}" for f, t, a, _ in USER_FILES])
def test_a_bad_user_config_is_one_line(file: str, text: str, args: list[str], fragment: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "myconf"
    (conf / file).parent.mkdir(parents=True)
    (conf / file).write_text(text)
    before = snapshot(tmp_path)
    got, out, err = cli([*args, "--config-dir", str(conf)], tmp_path, monkeypatch, capsys)
    assert_one_line(got, err, out, 2, fragment)
    assert snapshot(tmp_path) == before


# --out for the report: a file, a results folder, a folder with the user's files, an unwritable place.
def _results_with_one_run(root: Path) -> Path:
    results = root / "results"
    run = results / "xor-yat-s0-00000000"
    run.mkdir(parents=True)
    (run / "metrics.json").write_text('{"run_id": "xor-yat-s0-00000000"}')
    return results


REPORT_OUT: list[tuple[str, int, str]] = [
    ("afile", 2, "--out afile is a file"),
    ("results", 2, "holds files that are not a yatbench report"),
    ("precious", 2, "holds files that are not a yatbench report (important.txt)"),
    ("results/xor-yat-s0-00000000", 2, "holds files that are not a yatbench report (metrics.json)"),
    ("/proc/yatbench-report", 2, "--out /proc/yatbench-report is inside the system folder /proc"),
    ("afile/report", 1, "cannot write the report next to afile/report"),
]


@pytest.mark.parametrize(("out_dir", "code", "fragment"), REPORT_OUT, ids=[c[0] for c in REPORT_OUT])
def test_report_out_refuses_what_it_must_not_replace(out_dir: str, code: int, fragment: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _results_with_one_run(tmp_path)
    (tmp_path / "afile").write_text("mine")
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "important.txt").write_text("keep me")
    before = snapshot(tmp_path)
    got, out, err = cli(["report", "--out", out_dir], tmp_path, monkeypatch, capsys)
    assert_one_line(got, err, out, code, fragment)
    assert snapshot(tmp_path) == before
    assert (tmp_path / "precious" / "important.txt").read_text() == "keep me"


@pytest.mark.parametrize(("args", "code", "fragment"), [
    (["run", "xor", "seed=4294967296"], 2, "seed=4294967296 is out of range"),
    (["run", "xor", "dataset.name=../../escape2"], 2, "does not match"),
    (["run", "xor", "model.hidden=[100000000,100000000]"], 2, "over limits.max_params"),
    (["sweep", "xor", "--workers", "0"], 2, "Invalid value for '--workers'"),
    (["list", "--config-dir", "/nonexistent"], 2, "does not exist"),
    (["bench", "--out", "afile"], 2, "--out afile is a file"),
    (["report", "--out", "afile"], 2, "--out afile is a file"),
])
def test_a_few_in_real_processes(args: list[str], code: int, fragment: str, tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    (tmp_path / "afile").write_text("mine")
    before = snapshot(tmp_path)
    result = subprocess.run([sys.executable, "-m", "yatbench", *args], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert_one_line(result.returncode, result.stderr, result.stdout, code, fragment)
    assert snapshot(tmp_path) == before
