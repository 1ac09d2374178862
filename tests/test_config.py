"""Config composition and validation: real Hydra configs, every bad input a one-line UserError."""

from __future__ import annotations

import pytest

from yatbench.config.compose import compose_config
from yatbench.config.spec import validate
from yatbench.core.errors import UserError
from yatbench.core.identity import config_hash


def spec(*overrides: str):
    return validate(compose_config(list(overrides)))


def test_defaults_are_one_yat_neuron_on_xor() -> None:
    run = spec()
    assert (run.dataset.name, run.model.name) == ("xor", "yat")
    assert run.model.hidden == [1] and run.model.readout == "linear"
    assert run.trainer.epochs == 10000 and run.trainer.patience == 1000  # conf/dataset_trainer/xor.yaml


def test_per_dataset_model_sizes_apply() -> None:
    assert spec("dataset=xor", "model=relu").model.hidden == [2]
    mnist_yat = spec("dataset=mnist", "model=yat").model
    assert mnist_yat.hidden == [] and mnist_yat.readout == "none"
    assert spec("dataset=inversion", "model=yat").model.readout == "none"
    assert spec("dataset=fashion_mnist", "model=relu").model.hidden == [10]
    assert spec("dataset=mnist").trainer.batch_size == 64


def test_a_derived_dataset_inherits_its_parents_budget_and_sizes(tmp_path) -> None:
    # The README's example: my_conf/dataset/xor_noisy.yaml extends xor.
    (tmp_path / "dataset").mkdir()
    (tmp_path / "dataset" / "xor_noisy.yaml").write_text("defaults: [xor, _self_]\nname: xor_noisy\nnoise: 0.3\n")
    (tmp_path / "dataset" / "xor_noisier.yaml").write_text("defaults: [xor_noisy, _self_]\nname: xor_noisier\n")

    def derived(*overrides: str):
        return validate(compose_config(list(overrides), user_dir=tmp_path))

    xor, noisy = spec("dataset=xor", "model=relu"), derived("dataset=xor_noisy", "model=relu")
    assert (noisy.dataset.name, noisy.dataset.noise) == ("xor_noisy", 0.3)
    assert noisy.trainer == xor.trainer and noisy.model == xor.model  # at most 10 000 epochs, hidden [2]
    assert derived("dataset=xor_noisier").model.hidden == [1] and derived("dataset=xor_noisier").trainer.epochs == 10000
    assert derived("dataset=xor_noisy", "model=linear").trainer.epochs == 10000  # a model without sizes
    overridden = derived("dataset=xor_noisy", "model=relu", "trainer.epochs=7", "model.hidden=[3]")
    assert (overridden.trainer.epochs, overridden.model.hidden) == (7, [3])  # the command line still wins
    # Its own budget and sizes: chosen in its defaults list after the parent's, they replace the parent's.
    (tmp_path / "dataset_trainer").mkdir()
    (tmp_path / "dataset_trainer" / "slow.yaml").write_text("epochs: 300\nlr: 0.002\n")
    (tmp_path / "dataset_model").mkdir()
    (tmp_path / "dataset_model" / "wide_relu.yaml").write_text("hidden: [5, 5]\n")
    (tmp_path / "dataset" / "xor_noisy.yaml").write_text(
        "defaults:\n  - xor\n  - override /dataset_trainer@_global_.trainer: slow\n"
        "  - override /dataset_model@_global_.model: wide_${model}\n  - _self_\nname: xor_noisy\nnoise: 0.3\n")
    own = derived("dataset=xor_noisy", "model=relu")
    assert (own.trainer.epochs, own.trainer.lr, own.trainer.patience) == (300, 0.002, 20)  # on trainer/default
    assert own.model.hidden == [5, 5] and derived("dataset=xor_noisy", "model=attention").model.experts == 5
    assert derived("dataset=xor_noisier", "model=relu").model.hidden == [5, 5]  # and its own child inherits them


def test_a_user_dataset_that_chooses_no_budget_or_sizes_gets_the_defaults(tmp_path) -> None:
    (tmp_path / "dataset").mkdir()
    (tmp_path / "dataset" / "mine.yaml").write_text("_target_: yatbench.data.xor.XorConfig\nname: mine\n")
    (tmp_path / "dataset" / "typo.yaml").write_text(
        "defaults:\n  - xor\n  - override /dataset_trainer@_global_.trainer: pinm\n  - _self_\nname: typo\n")
    mine = validate(compose_config(["dataset=mine", "model=relu"], user_dir=tmp_path))
    assert (mine.trainer.epochs, mine.trainer.patience, mine.model.hidden) == (100, 20, [16])  # conf/trainer, model
    with pytest.raises(UserError, match=r"unknown dataset_trainer 'pinm'; valid choices: .*pinn"):
        compose_config(["dataset=typo"], user_dir=tmp_path)


def test_overrides_reach_the_built_dataclasses() -> None:
    run = spec("model=relu", "model.hidden=[32,8]", "trainer.epochs=5", "seed=7", "dataset.encoding=binary")
    assert run.model.hidden == [32, 8] and run.trainer.epochs == 5 and run.seed == 7
    assert run.dataset.encoding == "binary"


def test_run_id_is_stable_and_ignores_execution_only_settings() -> None:
    base = spec("trainer.epochs=5")
    assert base.run_id == spec("trainer.epochs=5").run_id
    assert base.run_id == spec("trainer.epochs=5", "trainer.progress=false", "results_dir=elsewhere").run_id
    assert base.run_id != spec("trainer.epochs=6").run_id
    assert base.run_id.startswith("xor-yat-s0-")
    # Normalised: the string "5" and the int 5 are the same config.
    assert base.run_id == spec("trainer.epochs='5'").run_id
    assert config_hash(base.resolved) == base.run_id.rsplit("-", 1)[1]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["dataset=xr"], "unknown dataset 'xr'; valid choices: burgers, compositional, fashion_mnist, inversion, "
                          "mnist, poisson1d, poisson1d_multiscale, poisson2d, xor"),
        (["model=yta"], "unknown model 'yta'; valid choices: attention, linear, relu, sin, tanh, yat"),
        (["device=tpu"], "unknown device 'tpu'; valid choices: auto, cpu, cuda, mps"),
        (["trainer.foo=1"], "unknown config key 'trainer.foo'"),
        (["trainer.epochs=abc"], "trainer.epochs='abc' is not a valid integer"),
        (["trainer.lr=fast"], "trainer.lr='fast' is not a valid float"),
        (["trainer.epochs=-3"], "trainer.epochs=-3 must be >= 1"),
        (["trainer.optimizer=lbfgs"], "trainer.optimizer='lbfgs' is not valid; choose one of adam, adamw, sgd"),
        (["model=relu", "model.hidden=[-4]"], "model.hidden=[-4] must hold positive widths"),
        (["model.readout=softmax"], "model.readout='softmax' is not valid; choose one of linear, none"),
        (["model.hidden=[1"], "malformed override 'model.hidden=[1'"),
        (["seed=abc"], "seed='abc' is not an integer"),
        (["seed=-1"], "seed=-1 is out of range; a seed is a whole number from 0"),
        (["dataset=xor,compositional"], "use `yatbench sweep`"),
    ],
)
def test_bad_input_is_one_clear_line(overrides: list[str], expected: str) -> None:
    with pytest.raises(UserError) as info:
        spec(*overrides)
    assert expected in info.value.message
    assert "\n" not in info.value.message
    assert info.value.exit_code == 2


def test_user_config_folder_adds_a_dataset(tmp_path) -> None:
    (tmp_path / "dataset").mkdir()
    (tmp_path / "dataset" / "xor_noisy.yaml").write_text(
        "defaults:\n  - xor\n  - _self_\nname: xor_noisy\nnoise: 0.3\n")
    run = validate(compose_config(["dataset=xor_noisy"], user_dir=tmp_path))
    assert run.dataset.name == "xor_noisy" and run.dataset.noise == 0.3
    with pytest.raises(UserError, match="does not exist"):
        compose_config([], user_dir=tmp_path / "missing")


def test_run_id_follows_the_data_an_auto_source_resolves_to(tmp_path) -> None:
    from yatbench.data._images import IDX_FILES

    bundled = spec("dataset=mnist", f"dataset.data_dir={tmp_path}")
    assert bundled.resolved["data"] == {"source": "bundled"}
    # Where the data folder is does not change the run; which data it holds does.
    assert bundled.run_id == spec("dataset=mnist", f"dataset.data_dir={tmp_path / 'elsewhere'}").run_id
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in IDX_FILES.values():
        (raw / stem).write_bytes(b"")
    full = spec("dataset=mnist", f"dataset.data_dir={tmp_path}")
    assert full.resolved["data"] == {"source": "torchvision"}
    assert full.run_id != bundled.run_id
