"""Tiny real runs for the tests of tags, provenance and exports: XOR, 20 full-batch steps, on the CPU."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from yatbench.config.compose import compose_config
from yatbench.config.spec import RunSpec, validate


def tiny_spec(results: Path, model: str = "yat", seed: int = 0, *overrides: str) -> RunSpec:
    """A validated XOR run of ``model`` writing under ``results`` (two evaluations: steps 10 and 20)."""
    return validate(compose_config(["dataset=xor", f"model={model}", f"seed={seed}", f"results_dir={results}",
                                    "trainer.progress=false", "trainer.epochs=20", "device=cpu", *overrides]))


def tiny_runs(results: Path, models: Iterable[str] = ("yat", "linear"), seeds: Iterable[int] = (0, 1),
              *overrides: str) -> list[str]:
    """Train and save each model × seed (skipped when already complete); their run ids."""
    from yatbench.run.execute import execute

    return [execute(tiny_spec(results, model, seed, *overrides)).run_dir.name
            for model in models for seed in seeds]
