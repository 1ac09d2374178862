"""Sizes read from configs, without torch: every packaged model's ``param_shapes`` is the shapes of the network
it builds, and every packaged dataset's ``feature_counts`` the sizes of the data it loads. ``sweep --dry-run``,
the size check and parameter matching rely on them (issue 22: an instant CLI); the registry loops here mean a
new model or dataset is held to it without anyone adding it to a list."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yatbench.config.compose import Composer, compose_config
from yatbench.config.limits import _skip_meta_fills, model_shapes
from yatbench.config.spec import validate
from yatbench.core.errors import UserError

CONF = Path(__file__).resolve().parent.parent / "conf"
MODELS = sorted(p.stem for p in (CONF / "model").glob("*.yaml"))
DATASETS = sorted(p.stem for p in (CONF / "dataset").glob("*.yaml"))
# Settings that change which parameters a model has, tried on top of each model's own (and its size knob's).
VARIANTS = {
    "yat": [[], ["model.bias=none"], ["model.bias=outside", "model.alpha=none"], ["model.alpha=2.5"],
            ["model.epsilon=learnable"], ["model.kernel=distance", "model.epsilon=learnable"],
            ["model.readout=none", "model.hidden=[]"], ["model.readout=none", "model.hidden=[3,2]"],
            ["model.hidden=[4,3,2]", "model.bias=none", "model.alpha=none"]],
    "relu": [[], ["model.norm=layer"], ["model.norm=batch", "model.hidden=[3,5]"], ["model.hidden=[]"]],
}


def built_shapes(model: object, in_features: int, out_features: int) -> list[tuple[int, ...]]:
    """The trainable parameter shapes of the network itself, built on the meta device (torch)."""
    import torch

    with torch.device("meta"), _skip_meta_fills():
        net = model.build(in_features, out_features)  # type: ignore[attr-defined]
    return [tuple(p.shape) for p in net.parameters() if p.requires_grad]


COMPOSE = Composer()  # Hydra once per model, its plain settings applied on a copy (tests/test_compose_reuse.py)


def model_config(name: str, overrides: list[str]) -> object:
    return validate(COMPOSE(["dataset=xor", f"model={name}", *overrides])).model


@pytest.mark.parametrize("name", MODELS)
@settings(max_examples=12, deadline=None)
@given(in_features=st.integers(1, 40), out_features=st.integers(1, 12), width=st.integers(1, 30),
       variant=st.integers(0, 8))
def test_param_shapes_are_the_built_networks(name: str, in_features: int, out_features: int, width: int,
                                             variant: int) -> None:
    variants = VARIANTS.get(name, [[]])
    config = model_config(name, variants[variant % len(variants)])
    assert callable(getattr(config, "param_shapes", None)), f"packaged model {name} says its sizes"
    knob = getattr(config, "size_override", None)
    if callable(knob) and variants[variant % len(variants)] == []:  # sized by its knob instead
        config = model_config(name, [knob(width)])
    assert model_shapes(config, in_features, out_features) == built_shapes(config, in_features, out_features)


@pytest.mark.parametrize("name", DATASETS)
def test_feature_counts_are_the_loaded_datas(name: str) -> None:
    dataset = validate(compose_config([f"dataset={name}", "model=linear"])).dataset
    assert callable(getattr(dataset, "feature_counts", None)), f"packaged dataset {name} says its sizes"
    try:
        splits = dataset.load(0)
    except UserError as exc:  # full-size image files that this machine does not have (never required)
        pytest.skip(f"{name} cannot be loaded here: {exc}")
    assert dataset.feature_counts() == (splits.in_features, splits.out_features)
    assert splits.x_train.shape[-1] == splits.in_features


def test_a_model_without_param_shapes_is_sized_by_building_it_on_meta() -> None:
    class Plain:  # a user's model config that says nothing of its sizes
        def build(self, in_features: int, out_features: int) -> object:
            import torch

            return torch.nn.Sequential(torch.nn.Linear(in_features, 7), torch.nn.Linear(7, out_features))

    assert model_shapes(Plain(), 3, 2) == [(7, 3), (7,), (2, 7), (2,)]
