"""Rebuild a trained model from its run folder (config.yaml + model.pt), without training data.

The model is built from the config's ``_target_`` dataclass (:func:`yatbench.config.build_node`)
and its weights loaded from model.pt. Input and output sizes come from the synthetic datasets
themselves (XOR corners and the compositional laws are generated from their configs, no files),
and are 28×28 = 784 inputs and 10 classes for the image datasets, which are never loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SYNTHETIC = ("xor", "compositional")
IMAGE_SIZES = (784, 10)


def dataset_config(config: dict[str, Any]) -> Any:
    """The built dataset dataclass of a run's config."""
    from omegaconf import OmegaConf

    from yatbench.config import build_node

    return build_node(OmegaConf.create(config["dataset"]), "dataset")


def synthetic_splits(config: dict[str, Any]) -> Any:
    """Regenerate a synthetic dataset's splits from its config and seed (XOR, compositional only)."""
    name = config["dataset"].get("name")
    if name not in SYNTHETIC:
        raise ValueError(f"{name} is not a synthetic dataset; the report never loads its data")
    return dataset_config(config).load(int(config["seed"]))


def load_model(run_dir: Path, config: dict[str, Any]) -> Any:
    """The trained ``nn.Module`` of a run, in eval mode on the CPU. Raises ValueError when it cannot."""
    import torch
    from omegaconf import OmegaConf

    from yatbench.config import build_node
    from yatbench.errors import UserError

    weights = run_dir / "model.pt"
    if not weights.is_file():
        raise ValueError("no model.pt")
    try:
        model_cfg = build_node(OmegaConf.create(config["model"]), "model")
    except (UserError, KeyError) as exc:
        raise ValueError(f"model config cannot be rebuilt ({getattr(exc, 'message', exc)})") from None
    if config["dataset"].get("name") in SYNTHETIC:
        splits = synthetic_splits(config)
        sizes = (splits.in_features, splits.out_features)
    else:
        sizes = IMAGE_SIZES
    model = model_cfg.build(*sizes)
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except Exception as exc:  # a torn or mismatched file: the figure is skipped, the report goes on
        raise ValueError(f"model.pt does not load ({exc.__class__.__name__})") from None
    return model.eval()


def first_layer_weights(run_dir: Path, config: dict[str, Any]) -> Any:
    """The weights that multiply the raw input (``model.input_weights()[0]``) as a CPU float tensor."""
    model = load_model(run_dir, config)
    return model.input_weights()[0].detach().float().cpu()
