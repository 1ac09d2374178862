"""Rebuild a trained model from its run folder (config.yaml + model.pt), without training data.

Input and output sizes come from the run's record (its data facts), never from the dataset's
name. A config's ``_target_`` is only honoured when it names a dataclass that yatbench's own
config folder (or a config folder the user passes) names: a results folder can never make the
report import a module. The synthetic XOR and compositional data are regenerated from their
configs (no files) for the figures that draw them.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from yatbench.config.compose import search_dirs
from yatbench.core.record import DataFacts

SYNTHETIC_TASK_SOURCES = ("synthetic:",)


@functools.lru_cache(maxsize=4)
def known_targets(user_dir: str | None = None) -> frozenset[str]:
    """Every ``_target_`` named in the dataset and model groups of the config folders."""
    found = set()
    for folder in search_dirs(user_dir):
        for group in ("dataset", "model"):
            for path in sorted((folder / group).glob("*.yaml")):
                try:
                    node = yaml.safe_load(path.read_text())
                except (OSError, yaml.YAMLError):
                    continue
                if isinstance(node, dict) and isinstance(node.get("_target_"), str):
                    found.add(node["_target_"])
    return frozenset(found)


def build_group(config: dict[str, Any], group: str) -> Any:
    """The built dataclass of one group of a run's config; ValueError when its target is not known."""
    from omegaconf import OmegaConf

    from yatbench.config.spec import build_node
    from yatbench.core.errors import UserError

    node = config.get(group)
    if not isinstance(node, dict):
        raise ValueError(f"config has no {group} mapping")
    target = node.get("_target_")
    if target not in known_targets():
        raise ValueError(f"{group}._target_ {target!r} is not one of yatbench's config targets; not imported")
    try:
        return build_node(OmegaConf.create(node), group)
    except (UserError, ValueError, TypeError) as exc:
        raise ValueError(f"{group} config cannot be rebuilt ({getattr(exc, 'message', exc)})") from None


def synthetic_splits(config: dict[str, Any], facts: DataFacts) -> Any:
    """Regenerate a synthetic dataset's splits from its config and seed (the record says it is synthetic)."""
    if not facts.source.startswith(SYNTHETIC_TASK_SOURCES):
        raise ValueError(f"data from {facts.source} is not synthetic; the report never loads it")
    return build_group(config, "dataset").load(int(config.get("seed", 0)))


def build_untrained(config: dict[str, Any], facts: DataFacts) -> Any:
    """The model of a run's config at the recorded sizes, freshly initialised."""
    return build_group(config, "model").build(facts.in_features, facts.out_features)


def load_model(run_dir: Path, config: dict[str, Any], facts: DataFacts) -> Any:
    """The trained ``nn.Module`` of a run, in eval mode on the CPU. Raises ValueError when it cannot."""
    import torch

    weights = run_dir / "model.pt"
    if not weights.is_file():
        raise ValueError("no model.pt")
    model = build_untrained(config, facts)
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except Exception as exc:  # a torn or mismatched file: the figure is skipped, the report goes on
        raise ValueError(f"model.pt does not load ({exc.__class__.__name__})") from None
    return model.eval()


def first_layer_weights(run_dir: Path, config: dict[str, Any], facts: DataFacts) -> Any:
    """The weights that multiply the raw input (``model.input_weights()[0]``) as a CPU float tensor."""
    model = load_model(run_dir, config, facts)
    return model.input_weights()[0].detach().float().cpu()
