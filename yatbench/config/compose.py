"""Compose a run's config with Hydra: the search path, the overrides, inherited defaults, one-line errors.

Hydra composes YAML from ``conf/`` (the packaged copy in an installed wheel) plus any user
config folder, searched first. A dataset chooses its trainer budget and model sizes in its own
defaults list (``conf/config.yaml``), so one that extends another inherits them. Interpolations (``${trainer.lr}``,
``${oc.env:NAME}``) are resolved here, once, so that one that cannot be resolved is named at
once; ``hydra.*`` overrides and top-level keys the primary config does not have are refused
(yatbench runs no Hydra app, so they would be silently ignored). Every failure becomes one
:class:`UserError` line. Turning the composed config into typed settings is :mod:`yatbench.config.spec`'s job.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from hydra import compose
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException, OverrideParseException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from yatbench.config.confdir import search_dirs
from yatbench.core.errors import UserError, first_line


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


def read_config_text(path: Path) -> str:
    """A config file's text; one :class:`UserError` line when it cannot be read or is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"config file {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                        f"{exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise UserError(f"cannot read config file {path}: {exc.strerror or exc}") from None


def read_option(path: Path) -> tuple[str, dict[str, Any]]:
    """A config group file's text and its settings; one :class:`UserError` line if it is not a YAML mapping."""
    text = read_config_text(path)
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
    cfg, choices = _compose_unresolved(overrides, user_dir)
    return _finish(cfg, choices, search_dirs(user_dir))


def _compose_unresolved(overrides: list[str], user_dir: str | Path | None) -> tuple[DictConfig, dict[str, Any]]:
    """Hydra's composition, its ``hydra`` node removed, interpolations not yet resolved; and the group choices."""
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path

    _refuse_hydra_overrides(overrides)
    dirs = search_dirs(user_dir)
    _refuse_derived_overrides(overrides, dirs)
    GlobalHydra.instance().clear()
    try:
        search_path = create_config_search_path(f"file://{dirs[-1]}")
        for folder in dirs[:-1]:
            search_path.prepend("yatbench-user", f"file://{folder}", anchor="main")
        Hydra.create_main_hydra2("yatbench", search_path)
        cfg = compose("config", overrides=overrides, return_hydra_config=True)
    except OverrideParseException as exc:
        raise UserError(_malformed_override(overrides, exc)) from None
    except UnicodeDecodeError:  # Hydra's message names no file: find it
        _check_utf8(dirs)
        raise UserError("a config file is not UTF-8 text; save it as UTF-8") from None
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise UserError(_one_line_hydra_error(exc)) from None
    except Exception as exc:  # a user YAML that does not parse, a file that cannot be read
        raise UserError(f"cannot read the config: {first_line(exc)}") from None
    finally:
        GlobalHydra.instance().clear()
    choices = dict(cfg.hydra.runtime.choices)
    with open_dict(cfg):
        del cfg["hydra"]
    return cfg, choices


def _finish(cfg: DictConfig, choices: dict[str, Any], dirs: list[Path]) -> DictConfig:
    """Resolve the composed config's interpolations and check its top-level keys and names."""
    _resolve(cfg)
    _check_top_keys(cfg, dirs)
    _check_names(cfg, choices)
    return cfg


# A plain setting on the command line: a dotted key into the config (``model.hidden=[2]``), nothing that adds,
# deletes or places a config file (``+``, ``~``, ``@``, ``/``).
_PLAIN = re.compile(r"^[A-Za-z_]\w*(\.\w+)+=")


class Composer:
    """Compose many override lists against one search path, running Hydra once per distinct choice of files.

    Hydra composes in two steps: the defaults list (which config files: ``dataset=xor``, ``model=yat`` and what
    they choose in turn) merged into one config, then the command line's plain settings (``model.hidden=[2]``)
    applied to it one by one (``ConfigLoaderImpl._apply_overrides_to_config``, in struct mode, so an unknown key
    fails). A sweep's points differ mostly in plain settings: the first step is done once per distinct set of
    the other overrides, the second by that same Hydra function on a copy of its result. Anything it refuses is
    composed whole, so that the error is the one :func:`compose_config` gives. ``tests/test_compose_reuse.py``
    holds every preset's points equal to composing each whole.
    """

    def __init__(self, user_dir: str | Path | None = None) -> None:
        self.user_dir = user_dir
        self.dirs = search_dirs(user_dir)
        self._bases: dict[tuple[str, ...], tuple[DictConfig, dict[str, Any]]] = {}

    def __call__(self, overrides: list[str]) -> DictConfig:
        from hydra._internal.config_loader_impl import ConfigLoaderImpl
        from hydra.core.override_parser.overrides_parser import OverridesParser

        plain = [o for o in overrides if _PLAIN.match(o)]
        rest = tuple(o for o in overrides if not _PLAIN.match(o))
        if not plain:
            return compose_config(list(overrides), self.user_dir)
        _refuse_hydra_overrides(plain)
        try:
            if rest not in self._bases:
                self._bases[rest] = _compose_unresolved(list(rest), self.user_dir)
            base, choices = self._bases[rest]
            cfg = copy.deepcopy(base)
            ConfigLoaderImpl._apply_overrides_to_config(OverridesParser.create().parse_overrides(plain), cfg)
        except Exception:  # a bad override, a bad file: composing it whole says which, in one line
            return compose_config(list(overrides), self.user_dir)
        return _finish(cfg, choices, self.dirs)


def _override_key(override: str) -> str:
    """``+trainer.x=1`` → ``trainer.x``; ``~seed`` → ``seed``; ``dataset_model@model=x`` → ``dataset_model@model``."""
    return override.split("=", 1)[0].strip().lstrip("+~")


def _refuse_hydra_overrides(overrides: list[str]) -> None:
    """``hydra.run.dir=x``, ``hydra/launcher=...``: yatbench runs no Hydra app, so these would do nothing."""
    for override in overrides:
        key = _override_key(override)
        if key == "hydra" or key.startswith(("hydra.", "hydra/", "hydra@")):
            raise UserError(f"{override!r}: hydra.* settings are not used by yatbench (it composes configs with "
                            "Hydra but has no Hydra output folder, launcher or logging); leave it out")


def _refuse_derived_overrides(overrides: list[str], dirs: list[Path]) -> None:
    """``dataset_model@model=mnist_relu``: groups the dataset chooses (its budget, its model sizes) are not options.

    They are found in ``config.yaml`` as the defaults left ``null`` there for the dataset's own defaults list
    to fill (or, in a user's config.yaml, chosen by an interpolation such as ``${dataset}``).
    """
    derived = set()
    for item in _primary_config(dirs).get("defaults") or []:
        if isinstance(item, dict):
            derived |= {name.split()[-1].split("@", 1)[0] for name, value in item.items()
                        if value is None or "${" in str(value)}
    for override in overrides:
        group = _override_key(override).split("@", 1)[0].split("/", 1)[0]
        if group in derived:
            raise UserError(f"{override!r}: {group} follows from the dataset and model chosen, it is not an option "
                            f"of its own; set its keys instead (e.g. trainer.epochs=5, model.hidden=[8])")


def check_choice_overrides(overrides: list[str], chosen: dict[str, str], how: dict[str, str]) -> None:
    """An override of a group the command's own arguments choose (``--model linear model=relu``) is refused.

    The argument is the authority: silently training what the override names would label the run
    by one thing and train another. Repeating the same choice is harmless and accepted.
    """
    for override in overrides:
        key = _override_key(override)
        group = key.split("@", 1)[0].split("/", 1)[0]
        if group not in chosen:
            continue
        value = override.split("=", 1)[1].strip() if "=" in override else None
        if value is not None and ("," in value or "(" in value):
            raise UserError(f"{override!r} lists several values: a run takes one {group}, chosen by {how[group]}; "
                            "several make a grid: use `yatbench sweep`")
        if override.startswith(("+", "~")) or value != chosen[group] or key != group:
            raise UserError(f"{override!r} contradicts {how[group]} ({group} {chosen[group]!r}); choose the "
                            f"{group} there, not with an override")


def _resolve(cfg: DictConfig) -> None:
    """Resolve every interpolation now: one that cannot be (``${nope}``, ``${oc.env:UNSET}``) is one line."""
    try:
        OmegaConf.resolve(cfg)
    except OmegaConfBaseException as exc:
        key, raw = _unresolvable(cfg) or ("a setting", "")
        shown = f"{key}={raw}" if raw else key
        reason = str(exc).splitlines()[0].strip()
        raise UserError(f"cannot resolve {shown}: {reason}; an interpolation names another setting "
                        "(${trainer.lr}) or a set environment variable (${oc.env:NAME,default})") from None


def _unresolvable(node: Any, path: str = "") -> tuple[str, str] | None:
    """The first key (dotted) whose interpolation fails, and its raw text."""
    from omegaconf import ListConfig

    keys = range(len(node)) if isinstance(node, ListConfig) else list(node.keys())
    for key in keys:
        dotted = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))
        try:
            value = node[key]
        except OmegaConfBaseException:
            raw = node._get_node(key)._value()  # the text as written
            return dotted, str(raw)
        if isinstance(value, (DictConfig, ListConfig)):
            found = _unresolvable(value, dotted)
            if found:
                return found
    return None


def _check_top_keys(cfg: DictConfig, dirs: list[Path]) -> None:
    """``+foo=1``: a key the primary config does not have would be composed and then ignored."""
    known = _top_keys(dirs)
    extra = [key for key in cfg.keys() if key not in known]
    if extra:
        hint = "; labels go in tags=[...]" if extra[0].startswith("tag") else ""
        raise UserError(f"unknown setting {extra[0]!r}; the settings are {', '.join(sorted(known))} "
                        f"(see `yatbench list`){hint}")


def _top_keys(dirs: list[Path]) -> set[str]:
    """The top-level keys of the primary ``config.yaml``: its own keys and the packages its defaults fill."""
    raw = _primary_config(dirs)
    keys = {k for k in raw if k != "defaults"}
    for item in raw.get("defaults") or []:
        if isinstance(item, dict):
            for name in item:
                group = name.split()[-1]  # "optional dataset_model@model" → "dataset_model@model"
                keys.add(group.split("@", 1)[1] if "@" in group else group)
    return keys


def _primary_config(dirs: list[Path]) -> dict[str, Any]:
    """``config.yaml`` as written (the user's copy first); {} where it cannot be read (Hydra then says why)."""
    path = next((d / "config.yaml" for d in dirs if (d / "config.yaml").is_file()), None)
    try:
        raw = OmegaConf.to_container(OmegaConf.create(read_config_text(path))) if path else {}
    except Exception:
        return {}
    return raw if isinstance(raw, dict) else {}


def _check_utf8(dirs: list[Path]) -> None:
    """Name the first config file under ``dirs`` that is not UTF-8 (one :class:`UserError` line)."""
    for folder in dirs:
        for path in sorted(folder.rglob("*.yaml")):
            read_config_text(path)


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
    if re.match(r"In '?[\w/.-]+'?: ", text) or text.startswith("Multiple values for "):
        # A config file's own defaults list went wrong (a dataset choosing its budget or sizes), not the command line
        return "cannot compose the config: " + re.sub(r"\s*\n\s*", " ", text)
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
    if "override" not in text.lower():  # e.g. a user's config.yaml with a broken defaults list
        return f"cannot compose the config: {text}"
    return f"{text} (overrides are key=value, e.g. trainer.epochs=5)"
