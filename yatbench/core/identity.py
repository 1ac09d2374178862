"""What identifies a run, defined once: the config hash, the seedless key, the setting key.

- ``config_hash``: a short hash of the normalised resolved config without execution-only
  settings (where results go, progress bars, seed batching, where data files live). Identical
  config ⇔ identical hash ⇔ identical run id.
- ``seedless_key``: the same without the seed. Runs with equal seedless keys differ only by
  seed: they are averaged, plotted and judged together; runs with different keys never are.
- ``setting_key``: the same without the seed and the model. Two configurations with equal
  setting keys saw the same data, preprocessing and training budget: they may be compared.

The run record (:mod:`yatbench.core.record`) stores all three, so the report never recomputes them
from today's code or config folder.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

# Settings that change how a run executes but not what it computes. Where data files live is
# left out too: what identifies the data is the source a dataset resolves to (its
# ``data_identity()``), recorded under ``data``.
EXECUTION_ONLY: dict[str, tuple[str, ...] | None] = {
    "results_dir": None, "export": None, "trainer": ("progress", "seed_batching"), "dataset": ("data_dir", "download")}


# A config class that moved keeps, in a run's identity, the name runs were first recorded under, so
# that the run ids of existing results folders survive the move (the training loop's config class was
# yatbench/trainer.py before the tree took the shape of its layers, then yatbench/train/trainer.py until it
# moved beside it to be read without torch).
IDENTITY_NAMES: dict[str, str] = {"yatbench.train.trainer.TrainerConfig": "yatbench.trainer.TrainerConfig",
                                  "yatbench.train.config.TrainerConfig": "yatbench.trainer.TrainerConfig"}


def identity_name(target: object) -> object:
    """The name a group's ``_target_`` has in run identities (itself, unless its class moved)."""
    return IDENTITY_NAMES.get(target, target) if isinstance(target, str) else target


def is_execution_only(dotted: str) -> bool:
    """True for a flattened config key (``trainer.progress``) that is execution-only."""
    head, _, rest = dotted.partition(".")
    if head not in EXECUTION_ONLY:
        return False
    skipped = EXECUTION_ONLY[head]
    return skipped is None or rest in skipped


def identity_content(resolved: dict[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """The resolved config without execution-only settings and without the top-level keys in ``drop``."""
    content: dict[str, Any] = {}
    for key, value in resolved.items():
        if key in drop:
            continue
        if key in EXECUTION_ONLY:
            skipped = EXECUTION_ONLY[key]
            if skipped is None:
                continue
            if isinstance(value, dict):
                value = {k: v for k, v in value.items() if k not in skipped}
        if isinstance(value, dict) and "_target_" in value:
            value = {**value, "_target_": identity_name(value["_target_"])}
        content[key] = value
    return content


def _hash(content: dict[str, Any]) -> str:
    blob = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:8]


def config_hash(resolved: dict[str, Any]) -> str:
    """Short hash of the normalised config, leaving out execution-only settings."""
    return _hash(identity_content(resolved))


def _name(resolved: dict[str, Any], group: str) -> str:
    node = resolved.get(group)
    return str(node.get("name", group)) if isinstance(node, dict) else group


def seedless_key(resolved: dict[str, Any]) -> str:
    """``<dataset>-<model>-<hash>`` of everything but the seed (and execution-only settings)."""
    return f"{_name(resolved, 'dataset')}-{_name(resolved, 'model')}-{_hash(identity_content(resolved, ('seed',)))}"


def setting_key(resolved: dict[str, Any]) -> str:
    """``<dataset>-<hash>`` of everything but the seed and the model: what a fair comparison shares."""
    return f"{_name(resolved, 'dataset')}-{_hash(identity_content(resolved, ('seed', 'model')))}"
