"""The kinds of bad input issue 20 found, each as one line and a non-zero exit, or accepted and recorded.

Interpolations that cannot be resolved, overrides that contradict the command's own arguments,
``hydra.*`` overrides, keys the config does not have, sizes and budgets beyond any limit, grids too
large to expand, user config files that are not UTF-8 or not a mapping, damaged run folders met on
resume, and output that cannot be encoded or written. The fast cases run the CLI in this process
(:func:`tests.test_bad_input.cli`); the ones that need a real process (a full stdout, an ASCII-only
terminal, SIGTERM) run ``python -m yatbench``. A hypothesis test types overrides no one listed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.test_bad_input import TB, assert_one_line, cli, snapshot
from yatbench.sweep.grid import MAX_RUNS

# (arguments, exit code, a fragment of the one error line)
CASES: list[tuple[list[str], int, str]] = [
    # interpolations: resolved, or refused naming the key
    (["run", "xor", "trainer.lr=${nope}"], 2, "cannot resolve trainer.lr=${nope}: Interpolation key 'nope' not found"),
    (["run", "xor", "seed=${oc.env:YATBENCH_TEST_UNSET}"], 2, "cannot resolve seed=${oc.env:YATBENCH_TEST_UNSET}"),
    (["run", "xor", "trainer.epochs=${oc.env:YATBENCH_TEST_UNSET}"], 2, "cannot resolve trainer.epochs"),
    (["run", "xor", "trainer.lr=${trainer.lr}"], 2, "Recursive interpolation detected"),
    (["run", "xor", "trainer.lr=${hydra:runtime.cwd}"], 2, "cannot resolve trainer.lr=${hydra:runtime.cwd}"),
    (["run", "xor", "model.hidden=[${nope}]"], 2, "cannot resolve model.hidden[0]=${nope}"),
    (["run", "xor", "dataset.noise=${dataset.nope}"], 2, "cannot resolve dataset.noise=${dataset.nope}"),
    (["run", "xor", "trainer.lr=${oc.decode:'[1'}"], 2, "cannot resolve trainer.lr"),
    (["run", "xor", "results_dir=${nope}"], 2, "cannot resolve results_dir=${nope}"),
    (["run", "xor", "trainer.epochs=${trainer.lr}"], 2, "trainer.epochs='0.01' is not a valid integer"),
    (["run", "xor", "seed=${oc.env:HOME}"], 2, "is not an integer"),
    (["run", "xor", "trainer.optimizer=${seed}"], 2, "trainer.optimizer='0' is not valid"),
    (["sweep", "xor", "trainer.lr=${nope}", "--dry-run"], 2, "cannot resolve trainer.lr=${nope}"),
    (["sweep", "xor", "seed=${oc.env:YATBENCH_TEST_UNSET}", "--dry-run"], 2, "seed="),
    # overrides that contradict the command's own arguments
    (["run", "xor", "--model", "linear", "model=relu"], 2, "'model=relu' contradicts --model (model 'linear')"),
    (["run", "xor", "model=relu"], 2, "'model=relu' contradicts --model (model 'yat')"),
    (["run", "xor", "dataset=mnist"], 2, "'dataset=mnist' contradicts the command's dataset argument"),
    (["run", "xor", "+dataset=mnist"], 2, "'+dataset=mnist' contradicts"),
    (["run", "xor", "++model=relu"], 2, "'++model=relu' contradicts --model"),
    (["run", "xor", "~model"], 2, "'~model' contradicts --model"),
    (["run", "xor", "~dataset"], 2, "'~dataset' contradicts the command's dataset argument"),
    (["run", "xor", "dataset@x=mnist"], 2, "'dataset@x=mnist' contradicts"),
    (["run", "xor", "model=yat,relu"], 2, "lists several values: a run takes one model"),
    (["run", "xor", "dataset=range(3)"], 2, "several make a grid: use `yatbench sweep`"),
    (["run", "xor", "-m", "relu", "model=yat"], 2, "'model=yat' contradicts --model (model 'relu')"),
    (["run", "xor", "dataset_model@model=mnist_relu"], 2, "dataset_model follows from the dataset and model"),
    (["run", "xor", "dataset_trainer@trainer=mnist"], 2, "dataset_trainer follows from the dataset and model"),
    (["sweep", "xor", "dataset_model@model=xor_relu", "--dry-run"], 2, "dataset_model follows from the dataset"),
    # hydra.* is not used by yatbench: refused, never silently ignored
    (["run", "xor", "hydra.run.dir=x"], 2, "hydra.* settings are not used by yatbench"),
    (["run", "xor", "hydra/launcher=basic"], 2, "'hydra/launcher=basic': hydra.* settings are not used"),
    (["run", "xor", "+hydra.foo=1"], 2, "hydra.* settings are not used"),
    (["run", "xor", "++hydra.job.chdir=true"], 2, "hydra.* settings are not used"),
    (["run", "xor", "~hydra"], 2, "hydra.* settings are not used"),
    (["run", "xor", "hydra.verbose=true"], 2, "hydra.* settings are not used"),
    (["sweep", "xor", "hydra/launcher=basic", "--dry-run"], 2, "hydra.* settings are not used"),
    (["sweep", "xor", "+hydra.sweep.dir=x", "--dry-run"], 2, "hydra.* settings are not used"),
    # keys the config does not have
    (["run", "xor", "+foo=1"], 2, "unknown setting 'foo'; the settings are dataset, device, export, limits"),
    (["run", "xor", "++foo=1"], 2, "unknown setting 'foo'"),
    (["run", "xor", "+foo.bar=1"], 2, "unknown setting 'foo'"),
    (["run", "xor", "+model.nope=1"], 2, "unknown key 'model.nope'"),
    (["run", "xor", "+dataset.nope=1"], 2, "unknown key 'dataset.nope'"),
    (["run", "xor", "+limits.nope=1"], 2, "unknown key 'limits.nope'"),
    (["run", "xor", "foo=1"], 2, "unknown config key 'foo'"),
    (["run", "xor", "seed.x=1"], 2, "seed.x"),
    (["run", "xor", "trainer.lr.x=1"], 2, "trainer.lr.x"),
    (["run", "xor", "+trainer=default"], 2, "cannot compose the config: trainer appears more than once"),
    (["sweep", "xor", "+foo=1", "--dry-run"], 2, "unknown setting 'foo'"),
    (["sweep", "xor", "tags=a,b", "--dry-run"], 2, "tags are labels of every run, not a sweep axis"),
    (["sweep", "xor", "+tags=a,b", "--dry-run"], 2, "give them as one list: 'tags=[a,b]'"),
    # budgets: checked before any data is made
    (["run", "xor", "trainer.epochs=1000000000000"], 2, "1,000,000,000,000 optimizer steps, over limits.max_steps"),
    (["run", "xor", "trainer.epochs=1000001"], 2, "trainer.epochs = 1,000,001 optimizer steps, over limits.max_steps"),
    (["run", "xor", "limits.max_steps=10"], 2, "trainer.epochs = 10,000 optimizer steps, over limits.max_steps=10"),
    (["run", "xor", "trainer.epochs=99999999999999999999999"], 2, "trainer.epochs"),
    (["run", "poisson1d", "dataset.lbfgs_steps=1000000000000"], 2, "trainer.epochs + dataset.lbfgs_steps ="),
    (["run", "burgers", "dataset.lbfgs_steps=999999"], 2, "over limits.max_steps"),
    (["run", "xor", "dataset.n_train=1000000000000", "dataset.noise=0.1"], 2,
     "dataset.n_train=1,000,000,000,000 is over limits.max_samples=100,000,000"),
    (["run", "xor", "dataset.n_test=1000000000000"], 2, "dataset.n_test=1,000,000,000,000 is over limits.max_samples"),
    (["run", "compositional", "dataset.n=1000000000000"], 2, "dataset.n=1,000,000,000,000 is over limits.max_samples"),
    (["run", "poisson1d", "dataset.n_interior=1000000000000"], 2, "dataset.n_interior=1,000,000,000,000 is over"),
    (["run", "poisson2d", "dataset.n_boundary=1000000000000"], 2, "dataset.n_boundary=1,000,000,000,000 is over"),
    (["run", "poisson1d", "dataset.n_test=1000000000000"], 2, "dataset.n_test=1,000,000,000,000 is over"),
    (["run", "poisson2d", "dataset.n_interior=1000000000000"], 2, "dataset.n_interior=1,000,000,000,000 is over"),
    (["run", "burgers", "dataset.n_interior=1000000000000"], 2, "is over limits.max_samples"),
    (["run", "mnist", "dataset.max_train=1000000000000"], 2, "dataset.max_train=1,000,000,000,000 is over"),
    (["run", "mnist", "dataset.max_test=1000000000000"], 2, "dataset.max_test=1,000,000,000,000 is over"),
    (["run", "xor", "dataset.n_test=1000", "limits.max_samples=10"], 2, "is over limits.max_samples=10;"),
    (["run", "poisson2d", "dataset.n_test=100000"], 1, "the poisson2d data as configured does not fit in memory"),
    (["run", "xor", "trainer.batch_size=1000000000000"], 2, "over the limit of"),
    (["run", "xor", "model.hidden=[1000000000000000]"], 2, "over limits.max_params"),
    (["run", "xor", "model.hidden=[99999999999999999999999]"], 2, "parameters, over limits.max_params"),
    (["run", "xor", "--model", "relu", "model.hidden=[99999999999999999999999]"], 2, "over limits.max_params"),
    (["run", "xor", "--model", "attention", "model.experts=1000000000000"], 2, "over limits.max_params"),
    (["run", "xor", "--model", "sin", "model.hidden=[1000000000000]"], 2, "over limits.max_params"),
    (["run", "xor", "seed=1000000000000000000000000000000"], 2, "is out of range"),
    (["run", "xor", "limits.max_steps=0"], 2, "limits.max_steps=0 must be >= 1"),
    (["run", "xor", "limits.max_samples=-1"], 2, "limits.max_samples=-1 must be >= 1"),
    (["run", "xor", "limits.max_steps=abc"], 2, "limits.max_steps='abc' is not a valid integer"),
    (["run", "xor", "limits.max_samples=1.5"], 2, "limits.max_samples='1.5' is not a valid integer"),
    (["sweep", "xor", "trainer.epochs=1000000000000", "--dry-run"], 2, "over limits.max_steps"),
    (["sweep", "xor", "dataset.n_test=1000000000000", "--dry-run"], 2, "over limits.max_samples"),
    # grids: measured before they are expanded
    (["sweep", "xor", "seed=range(100000000)", "--dry-run"], 2, "gives 100,000,000 values, over the limit"),
    (["sweep", "xor", "seed=range(1000000000000)", "--dry-run"], 2, "gives 1,000,000,000,000 values"),
    (["sweep", "xor", "seed=range(1000000000000)"], 2, "over the limit of 1,000,000 runs per sweep"),
    (["sweep", "xor", "seed=shuffle(range(100000000))", "--dry-run"], 2, "gives 100,000,000 values"),
    (["sweep", "xor", "seed=range(0,1000000000000,1)", "--dry-run"], 2, "gives 1,000,000,000,000 values"),
    (["sweep", "xor", "trainer.lr=range(0,1,0.0000000001)", "--dry-run"], 2, "gives 10,000,000,000 values"),
    (["sweep", "xor", "seed=range(70000)", "--dry-run"], 2, "the grid of sweep xor has 1,260,000 runs"),
    (["sweep", "xor", "seed=range(1000)", "trainer.lr=range(1,1001)", "--dry-run"], 2, "has 18,000,000 runs"),
    (["sweep", "xor", "seed=range(0,10,0)", "--dry-run"], 2, "a range's step must not be 0"),
    (["sweep", "xor", "seed=range(0,1,0.0)", "--dry-run"], 2, "a range's step must not be 0"),
    (["sweep", "xor", "trainer.lr=range(0,inf,0.1)", "--dry-run"], 2, "a range needs finite numbers"),
    (["sweep", "xor", "trainer.lr=range(0.1,0.0000001,0.1)", "--dry-run"], 2, "gives no values"),
    (["sweep", "xor", "seed=range(10,0)", "--dry-run"], 2, "'seed=range(10,0)' in command line gives no values"),
    (["sweep", "xor", "seed=range(a)", "--dry-run"], 2, "malformed override 'seed=range(a)'"),
    (["sweep", "xor", "seed=range(1,2,3,4)", "--dry-run"], 2, "seed=range(1,2,3,4)"),
    (["sweep", "xor", "seed=glob(*)", "--dry-run"], 2, "glob() selects config files"),
    (["sweep", "xor", "trainer.lr=interval(0,1)", "--dry-run"], 2, "interval() is continuous"),
    (["sweep", "xor", "model=", "--dry-run"], 2, "unknown model ''"),
    (["sweep", "xor", "seed=", "--dry-run"], 2, "seed='' is not an integer"),
    (["sweep", "xor", "model=yat,", "--dry-run"], 2, "model"),
    # numbers: negative, zero, float, NaN, infinity, beyond float32
    (["run", "xor", "trainer.momentum=-1"], 2, "trainer.momentum=-1.0 must be >= 0"),
    (["run", "xor", "trainer.weight_decay=1e308"], 2, "beyond float32's range"),
    (["run", "xor", "trainer.lr=1e39"], 2, "trainer.lr=1e+39"),
    (["run", "xor", "trainer.lr=1e38"], 2, "trainer.lr=1e+38 is over 1e+30"),
    (["run", "xor", "trainer.lr=3.4028234663852886e+38"], 2, "is over 1e+30"),
    (["run", "xor", "trainer.momentum=1e308"], 2, "beyond float32's range"),
    (["run", "xor", "dataset.noise=1e308"], 2, "dataset.noise=1e+308 is not valid: beyond float32's range"),
    (["run", "xor", "model.epsilon=1e400"], 2, "model.epsilon=inf is not valid"),
    (["run", "xor", "model.epsilon=1e-400"], 2, "model.epsilon=0.0 must be > 0"),
    (["run", "xor", "model.alpha=1e308"], 2, "model.alpha='1e+308' is not valid"),
    (["run", "xor", "model.alpha=-inf"], 2, "model.alpha='-inf' is not valid"),
    (["run", "burgers", "dataset.nu=1e308"], 2, "beyond float32's range"),
    (["run", "burgers", "dataset.residual_weight=1e300"], 2, "beyond float32's range"),
    (["run", "compositional", "dataset.slopes=[1e300]"], 2, "beyond float32's range"),
    (["run", "xor", "trainer.batch_size=0.5"], 2, "trainer.batch_size='0.5' is not a valid integer"),
    (["run", "xor", "trainer.batch_size=1e12"], 2, "trainer.batch_size='1000000000000.0' is not a valid integer"),
    (["run", "xor", "trainer.eval_every=-1"], 2, "trainer.eval_every=-1 must be >= 1"),
    (["run", "xor", "trainer.eval_every=abc"], 2, "trainer.eval_every='abc' is not a valid integer"),
    (["run", "xor", "trainer.eval_every=1.5"], 2, "trainer.eval_every='1.5' is not a valid integer"),
    (["run", "xor", "trainer.epochs=nan"], 2, "trainer.epochs='nan' is not a valid integer"),
    (["run", "xor", "trainer.epochs=inf"], 2, "trainer.epochs='inf' is not a valid integer"),
    (["run", "xor", "trainer.epochs=-inf"], 2, "trainer.epochs='-inf' is not a valid integer"),
    (["run", "xor", "trainer.epochs=1e3"], 2, "trainer.epochs='1000.0' is not a valid integer"),
    (["run", "xor", "trainer.epochs=0x10"], 2, "trainer.epochs"),
    (["run", "xor", "trainer.epochs=true"], 2, "trainer.epochs='True' is not a valid integer"),
    (["run", "xor", "trainer.lr=true"], 2, "trainer.lr='True' is not a valid float"),
    (["run", "xor", "trainer.lr=-inf"], 2, "trainer.lr=-inf must be > 0"),
    (["run", "xor", "seed=0x10"], 2, "seed="),
    (["run", "xor", "seed=1e3"], 2, "seed=1000.0 is not an integer"),
    (["run", "xor", "seed=nan"], 2, "seed=nan is not an integer"),
    (["run", "xor", "seed=inf"], 2, "seed=inf is not an integer"),
    (["run", "xor", "seed=[]"], 2, "seed=[] is not an integer"),
    (["run", "xor", "seed={}"], 2, "seed={} is not an integer"),
    (["run", "xor", "model.hidden=[1.5]"], 2, "model.hidden[0]='1.5' is not a valid integer"),
    (["run", "xor", "model.hidden=[true]"], 2, "model.hidden[0]='True' is not a valid integer"),
    (["run", "xor", "model.hidden=null"], 2, "model.hidden"),
    (["run", "xor", "model.hidden={}"], 2, "model.hidden"),
    (["run", "xor", "model.hidden=[1,[2]]"], 2, "model"),
    (["run", "xor", "model.hidden=[1e20]"], 2, "model.hidden[0]"),
    (["run", "xor", "dataset.n_train=abc"], 2, "dataset.n_train='abc' is not a valid integer"),
    (["run", "xor", "dataset.n_train=1.5"], 2, "dataset.n_train='1.5' is not a valid integer"),
    (["run", "poisson1d", "dataset.n_boundary=0"], 2, "dataset.n_boundary=0 must be >="),
    (["run", "poisson1d", "dataset.lbfgs_steps=-1"], 2, "dataset.lbfgs_steps=-1 must be >= 0"),
    (["run", "poisson1d", "dataset.residual_weight=0"], 2, "dataset.residual_weight=0.0 must be > 0"),
    (["run", "poisson1d", "dataset.residual_weight=inf"], 2, "dataset.residual_weight=inf is not valid"),
    (["run", "poisson1d", "dataset.solution=foo"], 2, "dataset.solution"),
    (["run", "burgers", "dataset.nu=0"], 2, "dataset.nu"),
    (["run", "burgers", "dataset.nu=-1"], 2, "dataset.nu"),
    (["run", "burgers", "dataset.nu=inf"], 2, "dataset.nu=inf is not valid"),
    (["run", "mnist", "dataset.preprocess=foo"], 2, "dataset.preprocess"),
    (["run", "mnist", "dataset.max_train=1.5"], 2, "dataset.max_train='1.5' is not a valid integer"),
    (["run", "xor", "--model", "tanh", "model.hidden=[0]"], 2, "must hold positive widths"),
    # empty strings and odd shapes of override
    (["run", "xor", "trainer.optimizer="], 2, "trainer.optimizer='' is not valid"),
    (["run", "xor", "model.kernel="], 2, "model.kernel"),
    (["run", "xor", "model.kernel=foo"], 2, "model.kernel"),
    (["run", "xor", "dataset.encoding="], 2, "dataset.encoding='' is not valid"),
    (["run", "xor", "dataset.features=foo"], 2, "dataset.features"),
    (["run", "xor", "export=foo"], 2, "export='foo' is not valid"),
    (["run", "xor", "export="], 2, "export='' is not valid"),
    (["run", "xor", "device="], 2, "unknown device ''"),
    (["run", "xor", "trainer="], 2, "unknown trainer ''"),
    (["run", "xor", "trainer=null"], 2, "Config group override must be a string or a list"),
    (["run", "xor", "results_dir=   "], 2, "results_dir='' is not valid"),
    (["run", "xor", "results_dir=[a]"], 2, "results_dir=['a'] is not valid"),
    (["run", "xor", "results_dir=5"], 2, "results_dir=5 is not valid"),
    (["run", "xor", "limits=5"], 2, "limits"),
    (["run", "xor", "limits.max_params=1e99"], 2, "limits.max_params='1e+99' is not a valid integer"),
    (["run", "xor", "limits.max_memory_gb=inf"], 2, "limits.max_memory_gb=inf must be a positive number"),
    (["run", "xor", "trainer.lr=0.1 trainer.epochs=3"], 2, "malformed override"),
    (["run", "xor", "trainer.lr==1"], 2, "malformed override 'trainer.lr==1'"),
    (["run", "xor", ".=1"], 2, "malformed override '.=1'"),
    (["run", "xor", "a b=1"], 2, "malformed override 'a b=1'"),
    (["run", "xor", "trainer..lr=1"], 2, "trainer..lr"),
    (["run", "xor", "trainer.optimizer=ⵟ"], 2, "malformed override 'trainer.optimizer=ⵟ'"),
    (["run", "xor", "~seed"], 2, "seed=None is not an integer"),
    (["run", "xor", "~trainer"], 2, "config group 'trainer' has no _target_"),
    (["run", "xor", "~dataset.name"], 2, "dataset.name"),
    (["run", "xor", "dataset.name=null"], 2, "dataset.name=None does not match"),
    (["run", "xor", "model.name="], 2, "model.name='' does not match"),
    (["run", ""], 2, "unknown dataset ''"),
    (["run", "xor", "-m"], 2, "Option '-m' requires an argument"),
    (["run", "xor", "--config-dir", "/etc/passwd"], 2, "config folder /etc/passwd does not exist"),
    (["sweep", "xor", "", "--dry-run"], 2, "malformed override ''"),
    (["sweep", "xor", "executor.nope=1", "--dry-run"], 2, "executor"),
    (["sweep", "xor", "--workers", "-1"], 2, "Invalid value for '--workers'"),
    (["sweep", "xor", "--workers", "abc"], 2, "Invalid value for '--workers'"),
    (["sweep", "xor", "--executor", "../x", "--dry-run"], 2, "unknown executor '../x'"),
    (["bench", "--repeats", "1000000000000", "--shapes", "2x2x2"], 2, "--repeats 1000000000000 is over 1001"),
    (["bench", "--threads", "1000000", "--shapes", "2x2x2"], 2, "--threads 1000000 is more than this machine's"),
    (["bench", "--shapes", ""], 2, "--shapes item ''"),
    (["bench", "--shapes", ","], 2, "--shapes item ''"),
    (["bench", "--shapes", "1x1x1,"], 2, "--shapes item ''"),
    (["bench", "--shapes", "-1x2x2"], 2, "--shapes item '-1x2x2'"),
    (["bench", "--shapes", "1.5x2x2"], 2, "--shapes item '1.5x2x2'"),
    (["bench", "--shapes", "99999999999999999999x1x1"], 2, "needs about"),
    (["bench", "--layer", "foo"], 2, "--layer 'foo' is not valid"),
    (["bench", "--device", ""], 2, "--device '' is not valid"),
    (["list", ""], 2, "unknown group ''"),
    (["list", "dataset", "model"], 2, "Got unexpected extra argument(s) (model)"),
    (["report", "--where"], 2, "Option '--where' requires an argument"),
    (["report", "--compare", "a"], 2, "Option '--compare' requires 2 arguments"),
]


@pytest.mark.parametrize(("args", "code", "fragment"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_each_kind_is_one_line_and_writes_nothing(args: list[str], code: int, fragment: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("YATBENCH_TEST_UNSET", raising=False)
    before = snapshot(tmp_path)
    started = time.perf_counter()
    got, out, err = cli(args, tmp_path, monkeypatch, capsys)
    assert_one_line(got, err, out, code, fragment)
    assert snapshot(tmp_path) == before
    assert time.perf_counter() - started < 20  # a few seconds at most, even on a loaded machine


# Valid after all: accepted and recorded as asked (the recorded value is the one the user meant).
ACCEPTED: list[tuple[list[str], str, int | str]] = [
    (["seed=+3"], "seed", 3),
    (["seed= 4"], "seed", 4),
    (["seed=-0"], "seed", 0),
    (["seed=${oc.env:YATBENCH_TEST_UNSET,5}"], "seed", 5),
    (["trainer.epochs= 3"], "epochs_run", 3),
    (["trainer.epochs=+2"], "epochs_run", 2),
    (["trainer.epochs=1_0"], "epochs_run", 10),
    (["model=yat", "trainer.epochs=2"], "model", "yat"),
    (["dataset=xor", "trainer.epochs=2"], "dataset", "xor"),
    (["trainer.eval_every=1000000000000", "trainer.epochs=3"], "epochs_run", 3),
    (["trainer.lr=${oc.env:YATBENCH_TEST_LR}", "trainer.epochs=2"], "status", "ok"),
]


@pytest.mark.parametrize(("overrides", "key", "expected"), ACCEPTED, ids=[" ".join(c[0]) for c in ACCEPTED])
def test_valid_odd_input_is_accepted_and_recorded(overrides: list[str], key: str, expected: int | str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("YATBENCH_TEST_UNSET", raising=False)
    monkeypatch.setenv("YATBENCH_TEST_LR", "0.05")
    base = [] if any(o.startswith("trainer.epochs") for o in overrides) else ["trainer.epochs=2"]
    code, out, err = cli(["run", "xor", *base, *overrides], tmp_path, monkeypatch, capsys)
    assert code == 0, err
    assert TB not in err + out
    (metrics,) = (tmp_path / "results").glob("*/metrics.json")
    assert json.loads(metrics.read_text())[key] == expected


# A user's --config-dir: files that are not UTF-8, empty, or not a mapping.
NOT_UTF8 = "name: bad\n\udcff\udcfe: 1\n"  # surrogates: written below as the raw bytes 0xff 0xfe
USER_FILES: list[tuple[str, str, list[str], str]] = [
    ("dataset/bad.yaml", NOT_UTF8, ["run", "bad"], "bad.yaml is not UTF-8 text (byte 0xff at offset 10)"),
    ("dataset/bad.yaml", NOT_UTF8, ["list"], "bad.yaml is not UTF-8 text"),
    ("dataset/bad.yaml", NOT_UTF8, ["list", "dataset"], "bad.yaml is not UTF-8 text"),
    ("model/m.yaml", "\udcff\udcfe", ["run", "xor", "--model", "m"], "m.yaml is not UTF-8 text (byte 0xff"),
    ("sweep/s.yaml", "axes: {seed: range(2)}\n# \udcff\n", ["sweep", "s", "--dry-run"], "s.yaml is not UTF-8 text"),
    ("sweep/s.yaml", "axes: {seed: range(2)}\n# \udcff\n", ["list", "sweep"], "s.yaml is not UTF-8 text"),
    ("config.yaml", "\udcff", ["run", "xor"], "config.yaml is not UTF-8 text"),
    ("dataset/empty.yaml", "", ["run", "empty"], "dataset.name=None does not match the dataset config chosen"),
    ("model/empty.yaml", "", ["run", "xor", "--model", "empty"], "model.name=None does not match"),
    ("dataset/l.yaml", "- 1\n", ["list"], "must be a mapping of settings"),
    ("sweep/s.yaml", "- 1\n", ["sweep", "s", "--dry-run"], "must be a mapping (axes:, grid:, executor:), not a list"),
    ("sweep/s.yaml", "'text'\n", ["sweep", "s", "--dry-run"], "unknown keys ['text']"),
    ("sweep/s.yaml", "axes: {seed: range(10000000)}\n", ["list", "sweep"], "gives 10,000,000 values, over the limit"),
    ("sweep/s.yaml", "axes:\n  seed: range(1000)\n  trainer.lr: range(1,2001)\n", ["sweep", "s", "--dry-run"],
     "has 2,000,000 runs"),
    ("config.yaml", "defaults: [5]\n", ["run", "xor"], "cannot compose the config: Unsupported type in defaults"),
    ("config.yaml", "- 1\n", ["run", "xor"], "cannot compose the config"),
]


@pytest.mark.parametrize(("file", "text", "args", "fragment"), USER_FILES,
                         ids=[f"{f}:{t[:12]!r}:{' '.join(a)}" for f, t, a, _ in USER_FILES])
def test_a_user_file_that_is_not_utf8_or_not_a_mapping_is_one_line(
        file: str, text: str, args: list[str], fragment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "myconf"
    (conf / file).parent.mkdir(parents=True, exist_ok=True)
    (conf / file).write_bytes(text.encode("utf-8", "surrogateescape"))
    before = snapshot(tmp_path)
    got, out, err = cli([*args, "--config-dir", str(conf)], tmp_path, monkeypatch, capsys)
    assert_one_line(got, err, out, 2, fragment)
    assert snapshot(tmp_path) == before


# Resuming over a damaged run folder: reported, moved aside, rerun; never trusted, never a traceback.
RUN = ["run", "xor", "trainer.epochs=3"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real, complete XOR run folder (3 epochs), copied by each test that damages it."""
    home = tmp_path_factory.mktemp("finished")
    result = subprocess.run([sys.executable, "-m", "yatbench", *RUN], cwd=home, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    (metrics,) = (home / "results").glob("*/metrics.json")
    return metrics.parent


def _damage(run_dir: Path, how: str) -> None:
    metrics, config = run_dir / "metrics.json", run_dir / "config.yaml"
    record = json.loads(metrics.read_text())
    edits = {
        "truncated": lambda: metrics.write_text(metrics.read_text()[:100]),
        "empty": lambda: metrics.write_text(""),
        "a list": lambda: metrics.write_text("[1, 2]"),
        "a string": lambda: metrics.write_text('"ok"'),
        "null": lambda: metrics.write_text("null"),
        "not UTF-8": lambda: metrics.write_bytes(b"\xff\xfe{"),
        "wrong types": lambda: metrics.write_text(json.dumps({**record, "seed": "a", "params": "x"})),
        "metrics a list": lambda: metrics.write_text(json.dumps({**record, "metrics": [1]})),
        "unknown status": lambda: metrics.write_text(json.dumps({**record, "status": "great"})),
        "another run's record": lambda: metrics.write_text(json.dumps({**record, "run_id": "xor-yat-s9-00000000"})),
        "no schema": lambda: metrics.write_text(json.dumps({k: v for k, v in record.items() if k != "schema"})),
        "config truncated": lambda: config.write_text("dataset: [1\n"),
        "config edited": lambda: config.write_text(config.read_text().replace("lr: 0.01", "lr: 0.02")),
        "config a list": lambda: config.write_text("- 1\n"),
        "config missing": lambda: config.unlink(),
        "config not UTF-8": lambda: config.write_bytes(b"\xff"),
        "nested too deep": lambda: metrics.write_text("[" * 200_000),  # json raises RecursionError, not ValueError
    }
    edits[how]()


DAMAGE = ["truncated", "empty", "a list", "a string", "null", "not UTF-8", "wrong types", "metrics a list",
          "unknown status", "another run's record", "no schema", "config truncated", "config edited", "config a list",
          "config missing", "config not UTF-8", "nested too deep"]


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_run_folder_is_reported_kept_aside_and_rerun(how: str, finished_run: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "results" / finished_run.name
    shutil.copytree(finished_run, run_dir)
    _damage(run_dir, how)
    damaged = {p.name: p.read_bytes() for p in run_dir.iterdir()}
    code, out, err = cli(RUN, tmp_path, monkeypatch, capsys)
    assert code == 0, err
    assert TB not in err + out
    assert f"run folder results/{finished_run.name} is damaged" in err and "it will be run again" in err
    assert "skipped" not in out
    record = json.loads((run_dir / "metrics.json").read_text())
    assert record["run_id"] == finished_run.name and record["status"] == "ok"
    (aside,) = (tmp_path / "results" / ".damaged").iterdir()  # kept for the user, hidden from the report
    assert {p.name: p.read_bytes() for p in aside.iterdir()} == damaged
    code, out, err = cli(RUN, tmp_path, monkeypatch, capsys)  # the rerun is trusted: skipped, no warning
    assert code == 0 and "already complete, skipped" in out and err == ""


def test_force_over_a_damaged_run_folder_keeps_it_aside(finished_run: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "results" / finished_run.name
    shutil.copytree(finished_run, run_dir)
    _damage(run_dir, "config edited")
    damaged = {p.name: p.read_bytes() for p in run_dir.iterdir()}
    code, out, err = cli([*RUN, "--force"], tmp_path, monkeypatch, capsys)
    assert code == 0 and TB not in err + out, err
    assert f"run folder results/{finished_run.name} is damaged" in err and "kept, not deleted" in err
    assert err.count("\n") == 1
    (aside,) = (tmp_path / "results" / ".damaged").iterdir()  # --force redoes the run, never deletes the damage
    assert {p.name: p.read_bytes() for p in aside.iterdir()} == damaged
    assert json.loads((run_dir / "metrics.json").read_text())["status"] == "ok"
    sound = (run_dir / "metrics.json").read_bytes()
    code, out, err = cli([*RUN, "--force"], tmp_path, monkeypatch, capsys)  # a sound run: replaced, as before
    assert code == 0 and err == "" and len(list((tmp_path / "results" / ".damaged").iterdir())) == 1
    assert (run_dir / "metrics.json").read_bytes() != sound  # written anew (its finish time differs)


def test_a_damaged_run_is_never_moved_through_a_linked_damaged_folder(finished_run: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "results" / finished_run.name
    shutil.copytree(finished_run, run_dir)
    _damage(run_dir, "truncated")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "results" / ".damaged").symlink_to(elsewhere)
    code, out, err = cli(RUN, tmp_path, monkeypatch, capsys)
    assert code == 1 and TB not in err + out
    warning, error = err.strip().splitlines()  # the damage is said, then why it cannot be moved aside
    assert "is damaged" in warning and error.startswith("error: ") and "is a symbolic link" in error
    assert list(elsewhere.iterdir()) == [] and (run_dir / "metrics.json").exists()  # nothing moved out


def test_a_sound_run_folder_is_trusted(finished_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(finished_run, tmp_path / "results" / finished_run.name)
    code, out, err = cli(RUN, tmp_path, monkeypatch, capsys)
    assert code == 0 and "already complete, skipped" in out and err == ""
    assert not (tmp_path / "results" / ".damaged").exists()


def test_a_sweep_reruns_the_damaged_run_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    args = ["sweep", "default", "dataset=xor", "model=yat", "trainer.epochs=3", "seed=0,1"]
    code, out, err = cli([*args, "--executor", "inprocess"], tmp_path, monkeypatch, capsys)
    assert code == 0, err
    first, second = sorted(p.parent for p in (tmp_path / "results").glob("*/metrics.json"))
    kept = (second / "metrics.json").read_text()
    _damage(first, "truncated")
    code, out, err = cli([*args, "--dry-run"], tmp_path, monkeypatch, capsys)
    assert code == 0 and f"run folder results/{first.name} is damaged" in err and "1 already done, 1 to run" in out
    assert not (tmp_path / "results" / ".damaged").exists()  # a dry run moves nothing
    code, out, err = cli([*args, "--executor", "inprocess"], tmp_path, monkeypatch, capsys)
    assert code == 0, err
    assert json.loads((first / "metrics.json").read_text())["status"] == "ok"
    assert (second / "metrics.json").read_text() == kept  # the sound run was not redone
    assert len(list((tmp_path / "results" / ".damaged").iterdir())) == 1


# Paths that need a real process: a full stdout, an ASCII-only terminal, SIGTERM.
def _yatbench(args: list[str], cwd: Path, env: dict[str, str] | None = None, stdout: object = subprocess.PIPE,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yatbench", *args], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["list"], ["--version"], ["sweep", "xor", "seed=range(2)", "--dry-run"]],
                         ids=" ".join)
def test_a_full_stdout_ends_in_one_line(args: list[str], tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        result = _yatbench(args, tmp_path, stdout=full)
    assert result.returncode == 1
    assert result.stderr.strip() == ("error: cannot write to standard output (No space left on device); "
                                     "the command stopped there")


@pytest.mark.parametrize(("env", "args", "code"), [
    ({"PYTHONIOENCODING": "ascii"}, ["--help"], 0),
    ({"PYTHONIOENCODING": "ascii"}, ["run", "xor", "trainer.epochs=2"], 0),
    ({"LANG": "C", "LC_ALL": "C", "PYTHONIOENCODING": "ascii"}, ["run", "xor", "trainer.optimizer=ⵟ"], 2),
], ids=["help", "run", "error"])
def test_an_ascii_terminal_gets_replacement_characters(env: dict[str, str], args: list[str], code: int,
                                                       tmp_path: Path) -> None:
    result = _yatbench(args, tmp_path, env)
    assert result.returncode == code, result.stderr
    assert TB not in result.stderr and "PYTHONIOENCODING" not in result.stderr
    assert result.stdout.isascii()  # rich wrote ? for what ASCII cannot hold (click writes stderr as UTF-8 bytes)
    assert len(result.stderr.strip().splitlines()) == (0 if code == 0 else 1)
    if code == 0:
        assert result.stdout.strip()


def test_sigterm_stops_a_big_dry_run(tmp_path: Path) -> None:
    """A grid under the limit but slow to expand (990 000 runs: 18 configurations × 55 000 seeds) still stops at
    once on SIGTERM."""
    process = subprocess.Popen([sys.executable, "-m", "yatbench", "sweep", "xor", "seed=range(55000)", "--dry-run"],
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(6)  # past the imports, into the expansion
    assert process.poll() is None
    sent = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert time.perf_counter() - sent < 10
    assert process.returncode == 128 + signal.SIGTERM
    assert err.strip().splitlines() == [err.strip().splitlines()[-1]] and err.startswith("terminated")


def test_a_huge_grid_is_refused_within_a_second(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    cli(["sweep", "xor", "seed=range(2)", "--dry-run"], tmp_path, monkeypatch, capsys)  # imports done
    started = time.perf_counter()
    code, out, err = cli(["sweep", "xor", f"seed=range({10**15})", "--dry-run"], tmp_path, monkeypatch, capsys)
    assert time.perf_counter() - started < 1
    assert_one_line(code, err, out, 2, f"over the limit of {MAX_RUNS:,} runs per sweep")


# Overrides no one listed: whatever is typed, the answer is a run or one line, never a traceback or a hang.
def _setting_keys() -> list[str]:
    """Every setting of the composed XOR/yat config, from the config itself (no list kept by hand)."""
    from omegaconf import OmegaConf

    from yatbench.config.compose import compose_config

    flat = OmegaConf.to_container(compose_config(["dataset=xor", "model=yat"]))
    keys = []
    for key, value in flat.items():
        keys += [f"{key}.{k}" for k in value] if isinstance(value, dict) else [key]
    return [k for k in keys if not k.startswith("limits") and not k.endswith("_target_")]


KEYS = _setting_keys()
VALUES = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "null", "true", "[]", "{}", "[1", "${nope}", "${oc.env:YATBENCH_TEST_UNSET}", "'x'",
                     "range(3)", "a,b", "[0]", "[1e9]", "ⵟ", "±1", "\\", "%", "${trainer.lr}", "1e999"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.lists(st.integers(min_value=-5, max_value=10**12), max_size=3).map(lambda v: "[" + ",".join(map(str, v)) + "]"),
)
OVERRIDES = st.one_of(
    st.tuples(st.sampled_from(KEYS), VALUES).map(lambda kv: f"{kv[0]}={kv[1]}"),
    st.tuples(st.sampled_from(["+", "++", "~", ""]),
              st.sampled_from([*KEYS, "hydra.run.dir", "foo", "dataset", "model"]), VALUES)
    .map(lambda p: f"{p[0]}{p[1]}" + ("" if p[0] == "~" else f"={p[2]}")),
    st.text(max_size=20),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(override=OVERRIDES)
@example(override="\x00")  # found by hypothesis: a NUL byte once reached os.environ (a traceback)
def test_any_override_is_a_run_or_one_line(override: str, tmp_path_factory: pytest.TempPathFactory,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("YATBENCH_TEST_UNSET", raising=False)
    folder = tmp_path_factory.mktemp("override")  # a fresh folder per example, kept until the session ends
    # small limits keep an accepted run short, whatever size the override asks for
    args = ["run", "xor", "limits.max_steps=50", "limits.max_samples=5000", "limits.max_params=5000",
            "trainer.epochs=5", override]
    started = time.perf_counter()
    code, out, err = cli(args, folder, monkeypatch, capsys)
    assert time.perf_counter() - started < 20
    assert TB not in err + out
    if code == 0:
        assert len(list(folder.glob("results/*/metrics.json"))) == 1
    else:
        assert code in (1, 2)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err
