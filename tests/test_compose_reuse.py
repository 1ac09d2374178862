"""A sweep composes its points with Hydra once per distinct choice of config files (``Composer``): every point of
every preset, and a plain setting that is wrong, come out exactly as composing each point whole does."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from yatbench.config.compose import Composer, compose_config
from yatbench.core.errors import UserError
from yatbench.sweep.grid import SWEEP_OVERRIDES, apply_command_line, expand, load_preset

SAMPLE = 8  # points per preset composed both ways
PRESETS = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "conf" / "sweep").glob("*.yaml"))


def as_plain(cfg: object) -> object:
    """The composed config as plain containers, value types kept (1 and 1.0 differ, as in a run id)."""
    return OmegaConf.to_container(cfg)  # type: ignore[arg-type]


@pytest.mark.parametrize("preset", PRESETS)
def test_every_point_of_every_preset_composes_as_it_does_whole(preset: str) -> None:
    axes, entries = apply_command_line(load_preset(preset), {})
    points = sorted({tuple(f"{k}={v}" for k, v in point.items() if k != "seed") for point in expand(axes, entries)})
    compose = Composer()
    for point in points[::max(1, len(points) // SAMPLE)]:  # every preset, a spread of its points (each whole: 0.3 s)
        overrides = [*point, *SWEEP_OVERRIDES]
        reused, whole = compose(overrides), compose_config(overrides)
        assert as_plain(reused) == as_plain(whole), point
        assert repr(as_plain(reused)) == repr(as_plain(whole)), point  # types too: 1e-05 is not "1e-05"


@pytest.mark.parametrize("overrides", [
    ["dataset=xor", "model=yat", "model.hidden=[2,3]", "trainer.lr=${trainer.momentum}", "dataset.noise=0.1"],
    ["dataset=compositional", "model=attention", "model.experts=3", "trainer.epochs=7"],
    ["dataset=poisson1d", "model=tanh", "model.hidden=[4]", "dataset.lbfgs_steps=2"],
])
def test_plain_settings_interpolations_included_compose_as_whole(overrides: list[str]) -> None:
    compose = Composer()
    compose([*overrides[:2], "trainer.epochs=3"])  # the files composed once already, for another point
    assert repr(as_plain(compose(overrides))) == repr(as_plain(compose_config(overrides)))


@pytest.mark.parametrize("bad", ["model.nope=1", "dataset.noise=[1", "hydra.run.dir=x", "trainer.epochs=${nope}",
                                 "dataset.noise=abc"])
def test_a_bad_plain_setting_fails_as_it_does_whole(bad: str) -> None:
    overrides = ["dataset=xor", "model=yat", bad]
    try:
        compose_config(overrides)
        expected = None
    except UserError as exc:
        expected = exc.message
    compose = Composer()
    compose(["dataset=xor", "model=yat", "trainer.epochs=2"])
    if expected is None:
        compose(overrides)
        return
    with pytest.raises(UserError) as got:
        compose(overrides)
    assert got.value.message == expected
