"""Shared test helpers: compose the real config, shrunk, with results in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from yatbench.config.compose import compose_config
from yatbench.config.spec import RunSpec, validate


@pytest.fixture
def spec_for(tmp_path: Path):
    """``spec_for("xor", "yat", "trainer.epochs=5")``: a validated run writing under tmp_path."""

    def make(dataset: str, model: str, *overrides: str) -> RunSpec:
        cfg = compose_config([f"dataset={dataset}", f"model={model}", f"results_dir={tmp_path / 'results'}",
                              "trainer.progress=false", *overrides])
        return validate(cfg)

    return make
