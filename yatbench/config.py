"""Compose the Hydra config for a run and turn it into validated, typed settings.

Hydra composes YAML from ``conf/`` (the packaged copy in an installed wheel) plus any
user config folder; each group node names its dataclass in ``_target_``. Validation merges
the node onto that dataclass's structured schema (OmegaConf checks types and unknown
keys), then builds the dataclass, whose ``__post_init__`` checks ranges and choices. Every
failure becomes one :class:`UserError` line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException, OverrideParseException
from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from yatbench.errors import UserError
from yatbench.export import EXPORTS
from yatbench.identity import config_hash, seedless_key

PACKAGE_DIR = Path(__file__).resolve().parent
USER_CONFIG_ENV = "YATBENCH_CONFIG_DIR"


def config_dir() -> Path:
    """The packaged ``yatbench/conf`` in an installed wheel, else the repository's ``conf/``."""
    packaged = PACKAGE_DIR / "conf"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "conf"


def search_dirs(user_dir: str | Path | None = None) -> list[Path]:
    """Config folders in the order they are searched: the user's first, then yatbench's own."""
    user_dir = user_dir or os.environ.get(USER_CONFIG_ENV)
    dirs = [Path(user_dir).expanduser().resolve()] if user_dir else []
    return [*dirs, config_dir()]


def compose_config(overrides: list[str], user_dir: str | Path | None = None) -> DictConfig:
    """Compose ``config.yaml`` with Hydra overrides (``model=yat``, ``trainer.epochs=5``, ...)."""
    dirs = search_dirs(user_dir)
    if len(dirs) > 1 and not dirs[0].is_dir():
        raise UserError(f"config folder {dirs[0]} does not exist")
    searchpath = [f"file://{d}" for d in dirs[:-1]]
    extra = [f"hydra.searchpath=[{','.join(searchpath)}]"] if searchpath else []
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(version_base=None, config_dir=str(dirs[-1])):
            cfg = compose("config", overrides=[*extra, *overrides])
    except OverrideParseException as exc:
        raise UserError(_malformed_override(overrides, exc)) from None
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise UserError(_one_line_hydra_error(exc)) from None
    finally:
        GlobalHydra.instance().clear()
    return cfg


def _malformed_override(overrides: list[str], exc: Exception) -> str:
    """Name the override Hydra could not parse, and the grammar it expects."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    for override in overrides:
        try:
            parser.parse_override(override)
        except HydraException as bad:
            reason = str(bad).splitlines()[0]
            return f"malformed override {override!r} ({reason}); expected key=value, e.g. model.hidden=[16,16]"
    return f"malformed override: {str(exc).splitlines()[0]}"


def _one_line_hydra_error(exc: Exception) -> str:
    """Hydra explains well but over several lines: keep its words, on one line."""
    text = str(exc).strip()
    match = re.search(r"Could not find '([^']+)'\s*\nAvailable options in '([^']+)':\s*\n(.*)", text, re.S)
    if match:
        missing, group = match.group(1), match.group(2)
        listing = match.group(3).split("Config search path")[0]
        options = ", ".join(line.strip() for line in listing.splitlines() if line.strip())
        return f"unknown {group} {missing.split('/')[-1]!r}; valid choices: {options}"
    if "Could not override" in text or "Key '" in text:
        key = re.search(r"Could not override '([^']+)'", text)
        if key:
            return (f"unknown config key {key.group(1)!r} (see `yatbench list` for the options of each group; "
                    f"prefix with + to add a new key)")
    ambiguous = re.search(r"Ambiguous value for argument '([^']+)'", text)
    if ambiguous:
        return (f"{ambiguous.group(1)!r} lists several values: a run takes one (several values "
                f"make a grid: use `yatbench sweep`), or write a list as key=[a,b]")
    text = re.sub(r"\s*\n\s*", " ", text)
    return text.replace("Error parsing override", "malformed override")


def build_node(node: DictConfig, group: str) -> Any:
    """Validate one group node against the dataclass named by its ``_target_`` and build it."""
    target = node.get("_target_") if isinstance(node, DictConfig) else None
    if not target:
        raise UserError(f"config group {group!r} has no _target_ naming its dataclass")
    try:
        cls = get_class(target)
    except Exception:
        raise UserError(f"{group}._target_={target!r} cannot be imported") from None
    values = OmegaConf.masked_copy(node, [k for k in node if k != "_target_"])
    try:
        merged = OmegaConf.merge(OmegaConf.structured(cls), values)
        return OmegaConf.to_object(merged)
    except UserError:
        raise
    except OmegaConfBaseException as exc:
        raise UserError(_one_line_validation_error(exc, group, cls)) from None


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

    @property
    def run_id(self) -> str:
        """``<dataset>-<model>-s<seed>-<hash>``: identical config ⇔ identical id."""
        return f"{self.dataset.name}-{self.model.name}-s{self.seed}-{config_hash(self.resolved)}"

    @property
    def config_hash(self) -> str:
        """The hash in the run id (see :mod:`yatbench.identity`)."""
        return config_hash(self.resolved)

    @property
    def seedless_key(self) -> str:
        """Everything that defines the run but its seed: runs with equal keys differ only by seed."""
        return seedless_key(self.resolved)


DEVICES = ("auto", "cpu", "cuda", "mps")


def validate(cfg: DictConfig) -> RunSpec:
    """Turn a composed config into a :class:`RunSpec`, or raise one clear :class:`UserError`."""
    dataset = build_node(cfg.dataset, "dataset")
    model = build_node(cfg.model, "model")
    trainer = build_node(cfg.trainer, "trainer")
    device = str(cfg.device.get("name", "auto"))
    if device not in DEVICES:
        raise UserError(f"device.name={device!r} is not valid; choose one of {', '.join(DEVICES)}")
    try:
        seed = int(cfg.seed)
    except (TypeError, ValueError):
        raise UserError(f"seed={cfg.seed!r} is not an integer") from None
    if seed < 0:
        raise UserError(f"seed={seed} must be >= 0")
    export = str(cfg.get("export", "none"))
    if export not in EXPORTS:
        raise UserError(f"export={export!r} is not valid; choose one of {', '.join(EXPORTS)}")
    resolved = {
        "dataset": _as_dict(dataset, cfg.dataset),
        "model": _as_dict(model, cfg.model),
        "trainer": _as_dict(trainer, cfg.trainer),
        "device": {"name": device},
        "seed": seed,
        "results_dir": str(cfg.results_dir),
        "export": export,
    }
    if hasattr(dataset, "data_identity"):
        resolved["data"] = {"source": dataset.data_identity()}
    return RunSpec(dataset, model, trainer, device, seed, Path(str(cfg.results_dir)), resolved)


def _as_dict(built: Any, node: DictConfig) -> dict[str, Any]:
    """The normalised values of a built dataclass, with its ``_target_`` kept first."""
    values = OmegaConf.to_container(OmegaConf.structured(built), resolve=True)
    return {"_target_": node._target_, **values}
