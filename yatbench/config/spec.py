"""Turn a composed config into validated, typed settings: a :class:`RunSpec`.

Each group node (composed by :mod:`yatbench.config.compose`) names its dataclass in ``_target_``.
Validation merges the node onto that dataclass's structured schema (OmegaConf checks types and
unknown keys), then builds the dataclass, whose ``__post_init__`` checks ranges and choices.
Every failure becomes one :class:`UserError` line.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from yatbench.config.limits import Limits, check_budget, check_model_size
from yatbench.core.errors import UserError, first_line
from yatbench.core.identity import config_hash, seedless_key
from yatbench.core.safe_paths import check_output_dir
from yatbench.rundir.export import EXPORTS
from yatbench.rundir.tags import check_tags

# Values that become part of a path (the run folder's name) must be plain identifiers.
IDENTIFIER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
MAX_SEED = 2**32 - 1  # NumPy's seeds are 32-bit


def build_node(node: DictConfig, group: str) -> Any:
    """Validate one group node against the dataclass named by its ``_target_`` and build it."""
    target = node.get("_target_") if isinstance(node, DictConfig) else None
    if not target:
        raise UserError(f"config group {group!r} has no _target_ naming its dataclass")
    if not isinstance(target, str):
        raise UserError(f"{group}._target_={target!r} must name a config dataclass, e.g. yatbench.data.xor.XorConfig")
    module_name, _, class_name = target.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except Exception as exc:  # no such module or class, or the module fails on import
        raise UserError(f"{group}._target_={target!r} cannot be imported ({type(exc).__name__}); it must name a "
                        "config dataclass, e.g. yatbench.data.xor.XorConfig") from None
    if not dataclasses.is_dataclass(cls):
        raise UserError(f"{group}._target_={target!r} is not a config dataclass")
    values = OmegaConf.masked_copy(node, [k for k in node if k != "_target_"])
    try:
        merged = OmegaConf.merge(OmegaConf.structured(cls), values)
        built = OmegaConf.to_object(merged)
    except UserError:
        raise
    except OmegaConfBaseException as exc:
        raise UserError(_one_line_validation_error(exc, group, cls)) from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise UserError(f"{group} settings are not valid: {first_line(exc)}") from None
    _check_finite(built, group)
    return built


# Training is in float32: a setting beyond its range (weight_decay=1e308) would overflow inside torch.
FLOAT32_MAX = 3.4028234663852886e38


def _check_finite(built: Any, group: str) -> None:
    """NaN and infinity are never a setting (``trainer.lr=inf``, ``dataset.noise=nan``), nor a float32 overflow."""
    for item in dataclasses.fields(built):
        value = getattr(built, item.name)
        values = value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise UserError(f"{group}.{item.name}={value} is not valid: settings must be finite numbers")
        if any(isinstance(v, float) and abs(v) > FLOAT32_MAX for v in values):
            raise UserError(f"{group}.{item.name}={value} is not valid: beyond float32's range (±3.4e38), "
                            "in which yatbench trains")


def _one_line_validation_error(exc: OmegaConfBaseException, group: str, cls: type) -> str:
    key = f"{group}.{exc.full_key}" if getattr(exc, "full_key", None) else group
    text = str(exc).splitlines()[0]
    bad_value = re.match(r"Value '(.*)' of type '(\w+)' could not be converted to (\w+)", text)
    if bad_value:
        return f"{key}={bad_value.group(1)!r} is not a valid {bad_value.group(3).lower()}"
    if text.startswith("Key '") and "not in" in text:
        valid = ", ".join(f.name for f in cls.__dataclass_fields__.values())
        return f"unknown key {key!r}; valid keys: {valid}"
    return f"{key}: {text}"


def check_identifier(key: str, value: Any) -> str:
    """A value that becomes part of a folder name: letters, digits, ``_ . -``; no separator, no ``..``."""
    if not isinstance(value, str) or not IDENTIFIER.match(value) or ".." in value:
        raise UserError(f"{key}={value!r} cannot name a run folder; use 1-64 letters, digits, '_', '.' or '-' "
                        "(no path separators, no '..', not starting with '.' or '-')")
    return value


def check_seed(value: Any) -> int:
    """A seed is a whole number 0 … 2³²−1 (``seed=1.5`` is refused, not truncated)."""
    text = str(value).strip()
    if isinstance(value, bool) or isinstance(value, float) or not re.fullmatch(r"-?\d+", text):
        shown = text if re.fullmatch(r"[-+.\deE]+", text) else repr(value)
        raise UserError(f"seed={shown} is not an integer; a seed is a whole number from 0 to {MAX_SEED}")
    seed = int(text)
    if not 0 <= seed <= MAX_SEED:
        raise UserError(f"seed={seed} is out of range; a seed is a whole number from 0 to {MAX_SEED}")
    return seed


@dataclass
class RunSpec:
    """A validated run: the built group configs, the seed, and where results go."""

    dataset: Any
    model: Any
    trainer: Any
    device: str
    seed: int
    results_dir: Path
    resolved: dict[str, Any]
    limits: Limits = field(default_factory=lambda: Limits())
    # Labels, not identity (yatbench.rundir.tags): not in ``resolved``, so neither in the hash nor in config.yaml.
    tags: tuple[str, ...] = ()

    @property
    def run_id(self) -> str:
        """``<dataset>-<model>-s<seed>-<hash>``: identical config ⇔ identical id; always one plain folder name."""
        dataset = check_identifier("dataset.name", self.dataset.name)
        model = check_identifier("model.name", self.model.name)
        return f"{dataset}-{model}-s{check_seed(self.seed)}-{config_hash(self.resolved)}"

    @property
    def run_dir(self) -> Path:
        """The run's folder: directly inside ``results_dir``."""
        return self.results_dir / self.run_id

    @property
    def config_hash(self) -> str:
        """The hash in the run id (see :mod:`yatbench.core.identity`)."""
        return config_hash(self.resolved)

    @property
    def seedless_key(self) -> str:
        """Everything that defines the run but its seed: runs with equal keys differ only by seed."""
        return seedless_key(self.resolved)


DEVICES = ("auto", "cpu", "cuda", "mps")


def build_limits(cfg: DictConfig) -> Limits:
    """The ``limits`` block (execution settings: never part of a run id)."""
    node = cfg.get("limits") or {}
    if not isinstance(node, DictConfig | dict):
        raise UserError(f"limits={node!r} must be a mapping, e.g. limits.max_params=1000000")
    try:
        return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(Limits), node))
    except OmegaConfBaseException as exc:
        raise UserError(_one_line_validation_error(exc, "limits", Limits)) from None


def validate(cfg: DictConfig) -> RunSpec:
    """Turn a composed config into a :class:`RunSpec`, or raise one clear :class:`UserError`.

    Unknown top-level keys (``+foo=1``) were refused when the config was composed (:mod:`yatbench.config.compose`).
    """
    dataset = build_node(cfg.dataset, "dataset")
    model = build_node(cfg.model, "model")
    trainer = build_node(cfg.trainer, "trainer")
    check_identifier("dataset.name", getattr(dataset, "name", None))
    check_identifier("model.name", getattr(model, "name", None))
    device_node = cfg.get("device")
    device = str(device_node.get("name", "auto")) if isinstance(device_node, DictConfig) else str(device_node)
    if device not in DEVICES:
        raise UserError(f"device.name={device!r} is not valid; choose one of {', '.join(DEVICES)}")
    seed = check_seed(cfg.get("seed"))
    results_dir = cfg.get("results_dir")
    if not isinstance(results_dir, str) or not results_dir.strip():
        raise UserError(f"results_dir={results_dir!r} is not valid; give a folder path, e.g. results_dir=results")
    check_output_dir(Path(results_dir), "results_dir")
    limits = build_limits(cfg)
    check_budget(dataset, trainer, limits)
    # Refuse a model that cannot fit before anything is allocated (a lower bound: one input, one
    # output, one row; run.build_model checks again with the data's real sizes).
    check_model_size(model, 1, 1, 1, limits, f"model {model.name}")
    export = str(cfg.get("export", "none"))
    if export not in EXPORTS:
        raise UserError(f"export={export!r} is not valid; choose one of {', '.join(EXPORTS)}")
    resolved = {
        "dataset": _as_dict(dataset, cfg.dataset),
        "model": _as_dict(model, cfg.model),
        "trainer": _as_dict(trainer, cfg.trainer),
        "device": {"name": device},
        "seed": seed,
        "results_dir": results_dir,
        "export": export,
    }
    if hasattr(dataset, "data_identity"):
        resolved["data"] = {"source": dataset.data_identity()}
    tags_node = cfg.get("tags")
    tags = check_tags(OmegaConf.to_container(tags_node) if isinstance(tags_node, DictConfig | ListConfig)
                      else tags_node)
    return RunSpec(dataset, model, trainer, device, seed, Path(results_dir), resolved, limits, tags)


def _as_dict(built: Any, node: DictConfig) -> dict[str, Any]:
    """The normalised values of a built dataclass, with its ``_target_`` kept first."""
    values = OmegaConf.to_container(OmegaConf.structured(built), resolve=True)
    return {"_target_": node._target_, **values}
