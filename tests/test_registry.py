"""One registry, derived everywhere: a model written into a temporary config folder, and no edit to yatbench or
its tests, is listed, parameter-matched, trained, and run through the same group-independence and bad-input
tests as the packaged models.

The model is a radial-basis-function network (``RBF_MODULE``): one YAML in ``<tmp>/conf/model/`` naming a
config dataclass in a module of ``<tmp>/pkg/``, the two files the contributor's recipe asks for. Everything
goes through the real command line in subprocesses, as a user would run it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import registry
from tests.test_sweep import assert_budgets_met
from yatbench.config.confdir import USER_CONFIG_ENV, packaged_names
from yatbench.sweep.params import match_width, within_budget

REPO = Path(__file__).resolve().parents[1]
MODULE = "yatbench_example_rbf"  # a name no installed package has
RBF_MODULE = '''
    """A radial-basis-function network: m Gaussian bumps around learned centres, then a Linear readout."""

    from __future__ import annotations

    import math
    from dataclasses import dataclass

    import torch
    from torch import nn

    from yatbench.core.errors import UserError
    from yatbench.nn.stacked import Params, linear


    def bumps(x: torch.Tensor, centres: torch.Tensor, log_radius: torch.Tensor) -> torch.Tensor:
        """exp(-‖x − c‖² / r²) for every centre; leading seed dimensions broadcast (x (.., N, in) → (.., N, m))."""
        squared = ((x.unsqueeze(-2) - centres.unsqueeze(-3)) ** 2).sum(-1)
        return torch.exp(-squared / torch.exp(2 * log_radius).unsqueeze(-2))


    class RbfNet(nn.Module):
        def __init__(self, in_features: int, out_features: int, centres: int, radius: float) -> None:
            super().__init__()
            self.centres = nn.Parameter(torch.randn(centres, in_features))
            self.log_radius = nn.Parameter(torch.full((centres,), math.log(radius)))
            self.readout = nn.Linear(centres, out_features)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.readout(bumps(x, self.centres, self.log_radius))

        def forward_stacked(self, p: Params, x: torch.Tensor) -> torch.Tensor:
            return linear(bumps(x, p["centres"], p["log_radius"]), p["readout.weight"], p["readout.bias"])

        def input_weights(self) -> list[nn.Parameter]:
            return [self.centres]


    @dataclass
    class RbfConfig:
        name: str = "rbf"
        centres: int = 4
        radius: float = 1.0

        def __post_init__(self) -> None:
            if self.centres < 1:
                raise UserError(f"model.centres={self.centres} must be >= 1")
            if not self.radius > 0:
                raise UserError(f"model.radius={self.radius} must be > 0")

        def size_override(self, width: int) -> str:
            return f"model.centres={width}"

        def build(self, in_features: int, out_features: int) -> RbfNet:
            return RbfNet(in_features, out_features, self.centres, self.radius)
'''
RBF_YAML = f"""# Gaussian bumps around learned centres, then a Linear readout (a test's example model).
_target_: {MODULE}.RbfConfig
name: rbf
centres: 4     # m
radius: 1.0    # initial r of every bump
"""


@pytest.fixture(scope="module")
def rbf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(config folder, environment for a subprocess that imports the model)."""
    root = tmp_path_factory.mktemp("registry")
    (root / "conf" / "model").mkdir(parents=True)
    (root / "conf" / "model" / "rbf.yaml").write_text(RBF_YAML)
    (root / "pkg").mkdir()
    (root / "pkg" / f"{MODULE}.py").write_text(textwrap.dedent(RBF_MODULE))
    paths = [str(REPO), str(root / "pkg"), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    env.pop(USER_CONFIG_ENV, None)
    return root / "conf", env


def yatbench(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yatbench", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_the_model_is_listed_and_in_the_tests_registry(rbf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf, env = rbf
    overview = yatbench("list", "--config-dir", str(conf), env=env, cwd=tmp_path)
    assert overview.returncode == 0, overview.stderr
    models = overview.stdout.split("models (model=NAME)")[1].splitlines()[1].strip()
    assert models.split(", ") == sorted([*packaged_names("model"), "rbf"])
    detail = yatbench("list", "model", "--config-dir", str(conf), env=env, cwd=tmp_path)
    assert "Gaussian bumps around learned centres" in detail.stdout and "centres=4" in detail.stdout
    monkeypatch.setenv(USER_CONFIG_ENV, str(conf))  # what the tests' loops see: the same list
    assert registry.models() == models.split(", ")
    monkeypatch.delenv(USER_CONFIG_ENV)
    assert "rbf" not in registry.models()


def test_the_model_is_parameter_matched_to_a_budget(rbf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf, env = rbf
    monkeypatch.syspath_prepend(str(conf.parent / "pkg"))
    # The model's own knob (size_override), bisected: 4 parameters per centre (2 coordinates, a radius, a weight)
    knob, params = match_width(["dataset=xor"], "rbf", 81, user_dir=conf, max_width=64)
    assert (knob, params) == ("model.centres=20", 81)
    knob, params = match_width(["dataset=xor"], "rbf", 300, user_dir=conf, max_width=128)
    assert knob == "model.centres=75" and within_budget(params, 300)
    # A preset of the user's, matched by the model's own knob, passes the check the packaged presets pass ...
    (conf / "sweep").mkdir()
    (conf / "sweep" / "matched.yaml").write_text(
        "# rbf beside relu at 81 parameters.\naxes: {dataset: xor, seed: range(2)}\ngrid:\n"
        "  - {model: rbf, model.centres: 20, budget: 81}\n  - {model: relu, model.hidden: '[20]', budget: 81}\n"
        "  - {model: linear}\n")
    assert assert_budgets_met("matched", conf) == 2
    # ... and its dry run counts what the sweep would train.
    dry = yatbench("sweep", "matched", "--config-dir", str(conf), "--dry-run", env=env, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    counts = {cells[1]: int(cells[3]) for line in dry.stdout.splitlines()
              if len(cells := [c.strip() for c in line.split("│")]) == 8 and cells[3].isdigit()}
    assert counts == {"rbf": 81, "relu": 81, "linear": 3}


def test_the_model_trains_through_the_real_command(rbf, tmp_path: Path) -> None:
    conf, env = rbf
    done = yatbench("run", "xor", "--model", "rbf", "--config-dir", str(conf), "trainer.epochs=30", "seed=3",
                    f"results_dir={tmp_path / 'results'}", "trainer.progress=false", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (folder,) = (tmp_path / "results").glob("xor-rbf-s3-*")
    record = json.loads((folder / "metrics.json").read_text())
    assert record["status"] == "ok" and record["model"] == "rbf" and record["params"] == 4 * 3 + 4 + 1
    assert record["epochs_run"] == 30 and 0.0 <= record["metrics"]["test_accuracy"] <= 1.0


def test_the_existing_tests_cover_the_model_unchanged(rbf, tmp_path: Path) -> None:
    """The group-independence and bad-input tests loop over ``tests/registry.py``: with the folder set, they
    collect the new model by themselves and it passes them, as every packaged model does."""
    conf, env = rbf
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "-k", "rbf",
                          f"--basetemp={tmp_path / 'tests'}", "tests/test_trainer.py", "tests/test_bad_input.py",
                          "tests/test_run.py"],
                         env={**env, USER_CONFIG_ENV: str(conf)}, cwd=REPO, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    passed = set(re.findall(r"^PASSED (\S+)", run.stdout, re.MULTILINE))
    assert passed == {"tests/test_trainer.py::test_a_group_equals_the_same_seeds_alone_on_xor[rbf]",
                      "tests/test_trainer.py::test_minibatches_and_per_seed_data_on_compositional[rbf]",
                      *(f"tests/test_trainer.py::test_the_flat_buffer_steps_every_parameter_as_the_optimizer_steps_each"
                        f"[rbf-{optimizer}]" for optimizer in ("adam", "adamw", "sgd")),
                      "tests/test_trainer.py::test_scoring_sets_every_modules_mode_as_eval_and_train_would[rbf]",
                      "tests/test_bad_input.py::test_every_model_refuses_bad_settings_in_one_line[rbf]",
                      "tests/test_run.py::test_every_model_trains_on_xor_and_writes_a_complete_folder[rbf]"}, run.stdout


def test_every_packaged_model_has_its_own_row_place_colour_and_marker() -> None:
    from yatbench.report.registry import SUBJECT, model_rank
    from yatbench.report.style import SUBJECT_COLOR, color, marker

    names = packaged_names("model")
    assert sorted(names, key=model_rank)[0] == SUBJECT and model_rank("rbf") == len(names)  # the subject first
    assert len({color(n) for n in names}) == len({marker(n) for n in names}) == len(names)
    assert color(SUBJECT) == SUBJECT_COLOR and marker("rbf", "v") == "v"  # not packaged: the figure's choice
    assert color("rbf", 0) != color("rbf", 1)  # ... by its index there, so series of one figure stay apart


def test_page_sections_come_from_the_figure_modules_and_none_is_dropped(tmp_path: Path) -> None:
    from yatbench.report.figures import Figure, page_sections

    declared = page_sections()
    assert [s.key for s in declared][:2] == ["xor", "yat"] and len({s.key for s in declared}) == len(declared)
    made = [Figure("a", tmp_path / "a.png", "A", "", "rbf_maps"), Figure("b", tmp_path / "b.png", "B", "", "xor")]
    sections = page_sections(made)
    assert sections[:-1] == declared and sections[-1].key == "rbf_maps" and sections[-1].title == "Rbf maps"
