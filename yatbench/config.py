"""Compose the Hydra config for a run and turn it into validated, typed settings.

Hydra composes YAML from ``conf/`` (the packaged copy in an installed wheel) plus any
user config folder; each group node names its dataclass in ``_target_``. Validation merges
the node onto that dataclass's structured schema (OmegaConf checks types and unknown
keys), then builds the dataclass, whose ``__post_init__`` checks ranges and choices. Every
failure becomes one :class:`UserError` line.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra import compose
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException, OverrideParseException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from yatbench.errors import UserError
from yatbench.export import EXPORTS
from yatbench.identity import config_hash, seedless_key
from yatbench.limits import Limits, check_model_size

PACKAGE_DIR = Path(__file__).resolve().parent
USER_CONFIG_ENV = "YATBENCH_CONFIG_DIR"
# Values that become part of a path (the run folder's name) must be plain identifiers.
IDENTIFIER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
MAX_SEED = 2**32 - 1  # NumPy's seeds are 32-bit


def config_dir() -> Path:
    """The packaged ``yatbench/conf`` in an installed wheel, else the repository's ``conf/``."""
    packaged = PACKAGE_DIR / "conf"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "conf"


def search_dirs(user_dir: str | Path | None = None) -> list[Path]:
    """Config folders in the order they are searched: the user's first, then yatbench's own."""
    user_dir = user_dir or os.environ.get(USER_CONFIG_ENV)
    dirs = [Path(user_dir).expanduser().resolve()] if user_dir else []
    for folder in dirs:
        if not folder.is_dir():
            raise UserError(f"config folder {folder} does not exist (--config-dir / {USER_CONFIG_ENV}); "
                            "give a folder holding dataset/, model/, ... subfolders")
    return [*dirs, config_dir()]


def option_names(group: str, user_dir: str | Path | None = None) -> list[str]:
    """The options of one config group: its YAML files on the search path (a user file shadows ours).

    Each file must be a YAML mapping (:func:`read_option`): a broken file is named at once.
    """
    paths = {}
    for folder in search_dirs(user_dir):
        for path in sorted((folder / group).glob("*.yaml")):
            paths.setdefault(path.stem, path)
    for path in paths.values():
        read_option(path)
    return sorted(paths)


def read_option(path: Path) -> tuple[str, dict[str, Any]]:
    """A config group file's text and its settings; one :class:`UserError` line if it is not a YAML mapping."""
    text = path.read_text()
    try:
        values = OmegaConf.to_container(OmegaConf.create(text)) or {}
    except Exception as exc:  # YAML that does not parse
        raise UserError(f"config file {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(values, dict):
        raise UserError(f"config file {path} must be a mapping of settings (key: value), "
                        f"not a {type(values).__name__}")
    return text, values


def compose_config(overrides: list[str], user_dir: str | Path | None = None) -> DictConfig:
    """Compose ``config.yaml`` with Hydra overrides (``model=yat``, ``trainer.epochs=5``, ...).

    The user's folder goes *before* yatbench's own on Hydra's search path (``hydra.searchpath``
    would append it after, so a packaged file would win over the user's file of the same name).
    """
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path

    dirs = search_dirs(user_dir)
    inherited = inherited_defaults(overrides, dirs)
    GlobalHydra.instance().clear()
    try:
        search_path = create_config_search_path(f"file://{dirs[-1]}")
        for folder in dirs[:-1]:
            search_path.prepend("yatbench-user", f"file://{folder}", anchor="main")
        Hydra.create_main_hydra2("yatbench", search_path)
        cfg = compose("config", overrides=[*inherited, *overrides], return_hydra_config=True)
    except OverrideParseException as exc:
        raise UserError(_malformed_override(overrides, exc)) from None
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise UserError(_one_line_hydra_error(exc)) from None
    except Exception as exc:  # a user YAML that does not parse, a file that cannot be read
        raise UserError(f"cannot read the config: {_first_line(exc)}") from None
    finally:
        GlobalHydra.instance().clear()
    choices = dict(cfg.hydra.runtime.choices)
    with open_dict(cfg):
        del cfg["hydra"]
    _check_names(cfg, choices)
    return cfg


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {' '.join(lines[:3])}" if lines else type(exc).__name__


def _check_names(cfg: DictConfig, choices: dict[str, Any]) -> None:
    """``dataset.name`` / ``model.name`` must be the config file chosen: a run is labelled by what it ran."""
    for group in ("dataset", "model"):
        node = cfg.get(group)
        if not isinstance(node, DictConfig):
            raise UserError(f"config group {group!r} must be a mapping of settings, got {type(node).__name__}; "
                            f"see `yatbench list {group}`")
        name, chosen = node.get("name"), choices.get(group)
        if chosen is not None and name != chosen:
            raise UserError(f"{group}.name={name!r} does not match the {group} config chosen ({chosen!r}); a "
                            f"{group}'s name is the name of its config file: choose another with {group}=NAME")


def inherited_defaults(overrides: list[str], dirs: list[Path]) -> list[str]:
    """A dataset that extends another (``defaults: [xor, _self_]``) gets its parent's budget and sizes.

    ``config.yaml`` loads ``dataset_trainer/<dataset>.yaml`` and ``dataset_model/<dataset>_<model>.yaml``
    by the dataset's own name; for a derived dataset without files of its own, these overrides name
    the nearest ancestor's instead. Command-line settings still come last and win.
    """
    choices = dict(o.split("=", 1) for o in overrides if o.split("=", 1)[0] in ("dataset", "model"))
    dataset = choices.get("dataset")
    if dataset is None:
        return []
    model = choices.get("model") or _default_choice("model", dirs)
    extra = []
    for group, own, package in (("dataset_trainer", "{}", "trainer"), ("dataset_model", "{}_" + model, "model")):
        found = next((d for d in _lineage(dataset, dirs) if _config_file(dirs, group, own.format(d))), dataset)
        if found != dataset:
            extra.append(f"{group}@{package}={own.format(found)}")
    return extra


def _lineage(dataset: str, dirs: list[Path]) -> list[str]:
    """``dataset`` and the datasets it extends through its defaults list, nearest first."""
    chain = [dataset]
    while (path := _config_file(dirs, "dataset", chain[-1])) is not None:
        try:
            defaults = OmegaConf.to_container(OmegaConf.load(path)).get("defaults") or []
        except Exception:
            break  # Hydra reports a broken file when it composes it
        parents = [d for d in defaults if isinstance(d, str) and d != "_self_" and "/" not in d]
        if not parents or parents[0] in chain:
            break
        chain.append(parents[0])
    return chain


def _config_file(dirs: list[Path], group: str, name: str) -> Path | None:
    return next((d / group / f"{name}.yaml" for d in dirs if (d / group / f"{name}.yaml").is_file()), None)


def _default_choice(group: str, dirs: list[Path]) -> str:
    """The option ``config.yaml`` picks for ``group`` when the command line does not."""
    for item in OmegaConf.load(dirs[-1] / "config.yaml").get("defaults", []):
        if isinstance(item, dict) and group in item:
            return str(item[group])
    return ""


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
    text = re.sub(r"\s*\n\s*", " ", text).replace("Error parsing override", "malformed override")
    if "override" in text and "expected" in text:
        return text
    return f"{text} (overrides are key=value, e.g. trainer.epochs=5)"


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
        raise UserError(f"{group} settings are not valid: {_first_line(exc)}") from None
    _check_finite(built, group)
    return built


def _check_finite(built: Any, group: str) -> None:
    """NaN and infinity are never a setting (``trainer.lr=inf``, ``dataset.noise=nan``)."""
    for item in dataclasses.fields(built):
        value = getattr(built, item.name)
        values = value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise UserError(f"{group}.{item.name}={value} is not valid: settings must be finite numbers")


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
        """The hash in the run id (see :mod:`yatbench.identity`)."""
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
    """Turn a composed config into a :class:`RunSpec`, or raise one clear :class:`UserError`."""
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
    limits = build_limits(cfg)
    # Refuse a model that cannot fit before anything is allocated (a lower bound: one input, one
    # output, one row; run.build_model checks again with the data's real sizes).
    check_model_size(lambda: model.build(1, 1), 1, limits, f"model {model.name}")
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
    return RunSpec(dataset, model, trainer, device, seed, Path(results_dir), resolved, limits)


def _as_dict(built: Any, node: DictConfig) -> dict[str, Any]:
    """The normalised values of a built dataclass, with its ``_target_`` kept first."""
    values = OmegaConf.to_container(OmegaConf.structured(built), resolve=True)
    return {"_target_": node._target_, **values}
