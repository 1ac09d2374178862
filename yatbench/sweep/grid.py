"""The grid of a sweep: a preset from ``conf/sweep/``, narrowed or widened on the command line.

A preset is a YAML file a user can read and copy into their own config folder::

    # One line saying what the sweep shows (`yatbench list sweep` prints it).
    axes:                # every point below gets these; one value is a setting, several an axis
      seed: range(5)
      trainer.epochs: 5
    grid:                # a union of entries; each entry is the product of its keys' values
      - {dataset: xor, model: linear}
      - {dataset: xor, model: relu, model.hidden: "[7]", budget: 30}
    executor: local      # optional: how it runs (conf/executor/<name>.yaml, or a mapping with name:)

Every value is a Hydra override value, exactly as typed after ``key=`` on the command line:
``a,b`` and ``range(5)``, ``choice(...)``, ``glob(...)`` (for group keys) are sweeps, ``"[7]"`` is
one list value and ``"[2],[4]"`` two. ``budget`` in an entry is not a config key: it names the
parameter budget the entry's sizes are matched to (the tests check it).

Command-line overrides then, key by key:

- a config group the grid entries choose (``dataset``, ``model``) selects among the points:
  ``dataset=xor,compositional model=yat,relu`` keeps those, each with its own tied settings;
- any other key replaces its values wherever the preset sets it (``seed='range(20)'``,
  ``dataset.source=auto``), or else is added to every point (``trainer.epochs=5``,
  ``trainer.lr=0.1,0.01`` adds an axis).

Every point is then composed and validated (:mod:`yatbench.config.compose`, :mod:`yatbench.config.spec`) before
anything runs, so a typo fails at once with one line. A point is composed once for all its seeds.

A grid holds at most :data:`MAX_RUNS` runs. Its size is computed arithmetically from the lengths of
its axes (a ``range()`` is measured, never listed) before anything is expanded, so
``seed='range(1000000000000)'`` is refused at once, even by ``--dry-run``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yatbench.config.compose import Composer, option_names, read_config_text, search_dirs
from yatbench.config.spec import RunSpec, check_seed, validate
from yatbench.core.errors import UserError

PRESET_KEYS = ("axes", "grid", "executor")
GROUP_KEYS = ("dataset", "model", "device", "trainer")
BUDGET_KEY = "budget"
# Added to every point: a sweep draws its own progress bar over runs, not one per run.
SWEEP_OVERRIDES = ("trainer.progress=false",)
# Most runs one sweep may hold: a bigger grid is refused before it is expanded (split it into several sweeps).
MAX_RUNS = 1_000_000


@dataclass
class Entry:
    """One entry of a preset's ``grid``: key → values (its product), and its parameter budget."""

    axes: dict[str, list[str]]
    budget: int | None = None


@dataclass
class Preset:
    """A sweep preset as read from ``conf/sweep/<name>.yaml``."""

    name: str
    path: Path
    description: str
    axes: dict[str, list[str]]
    entries: list[Entry]
    executor: str | dict[str, Any] | None = None


@dataclass
class Grid:
    """The expanded sweep: its validated runs (unique, in grid order) and where they came from."""

    preset: Preset
    specs: list[RunSpec]
    overrides: list[str] = field(default_factory=list)


def preset_names(user_dir: str | Path | None = None) -> list[str]:
    """Every preset on the config search path (the user's folder first); a preset's file is read when chosen."""
    found = {path.stem for folder in search_dirs(user_dir) for path in (folder / "sweep").glob("*.yaml")}
    return sorted(found)


def load_preset(name: str, user_dir: str | Path | None = None) -> Preset:
    """Read ``sweep/<name>.yaml`` from the user's config folder, else yatbench's own."""
    from omegaconf import OmegaConf

    path = next((d / "sweep" / f"{name}.yaml" for d in search_dirs(user_dir)
                 if (d / "sweep" / f"{name}.yaml").is_file()), None)
    if path is None:
        raise UserError(f"unknown sweep preset {name!r}; valid choices: {', '.join(preset_names(user_dir))}")
    text = read_config_text(path)
    try:
        raw = OmegaConf.to_container(OmegaConf.create(text)) or {}
    except Exception as exc:
        raise UserError(f"sweep preset {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise UserError(f"sweep preset {path} must be a mapping (axes:, grid:, executor:), not a "
                        f"{type(raw).__name__}")
    if set(raw) - set(PRESET_KEYS):
        extra = sorted(map(str, set(raw) - set(PRESET_KEYS)))
        raise UserError(f"sweep preset {path}: unknown keys {extra}; valid keys: {', '.join(PRESET_KEYS)}")
    where = f"sweep preset {name}"
    if not isinstance(raw.get("axes") or {}, dict):
        raise UserError(f"{where}: axes must be a mapping of key: values, e.g. axes: {{seed: range(5)}}; "
                        f"got {raw['axes']!r}")
    if not isinstance(raw.get("grid") or [], list):
        raise UserError(f"{where}: grid must be a list of entries, e.g. grid: [{{dataset: xor, model: yat}}]; "
                        f"got {raw['grid']!r}")
    axes = _parse_mapping(raw.get("axes") or {}, f"{where} axes", user_dir)
    entries = []
    for i, item in enumerate(raw.get("grid") or [{}]):
        if not isinstance(item, dict):
            raise UserError(f"{where}: grid entry {i + 1} must be a mapping of key: values, got {item!r}")
        item = dict(item)
        budget = item.pop(BUDGET_KEY, None)
        if budget is not None and not isinstance(budget, int):
            raise UserError(f"{where}: grid entry {i + 1} has budget={budget!r}; it must be an integer")
        entries.append(Entry(_parse_mapping(item, f"{where} grid entry {i + 1}", user_dir), budget))
    shared = sorted({k for e in entries for k in e.axes} & set(axes))
    if shared:
        raise UserError(f"{where}: {', '.join(shared)} is set both in axes and in grid entries; set it in one place")
    comments = [line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("#")]
    return Preset(name, path, comments[0] if comments else "", axes, entries, raw.get("executor"))


def preset_options(name: str, user_dir: str | Path | None = None) -> dict[str, Any]:
    """What ``yatbench list sweep`` shows of a preset: its number of runs and what it varies."""
    preset = load_preset(name, user_dir)
    check_size(preset.axes, preset.entries, f"sweep preset {name}")
    points = expand(preset.axes, preset.entries)
    varied = [k for k in dict.fromkeys([*(k for e in preset.entries for k in e.axes), *preset.axes])
              if len({p.get(k) for p in points}) > 1]
    return {"runs": len(points), "varies": ", ".join(varied)}


def _yaml_value_text(value: Any) -> str:
    """A YAML value written back as Hydra override text (lists become one list value)."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ",".join(_yaml_value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_yaml_value_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def _parse_mapping(mapping: dict[str, Any], where: str, user_dir: str | Path | None) -> dict[str, list[str]]:
    lines = [f"{key}={_yaml_value_text(value)}" for key, value in mapping.items()]
    return parse_overrides(lines, where, user_dir)


def parse_overrides(overrides: list[str], where: str = "command line",
                    user_dir: str | Path | None = None) -> dict[str, list[str]]:
    """Hydra override strings → key → the values it sweeps (one value for a plain override)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import Glob
    from hydra.errors import HydraException

    parser = OverridesParser.create()
    axes: dict[str, list[str]] = {}
    for text in overrides:
        try:
            (override,) = parser.parse_overrides([text])
        except HydraException as exc:
            reason = str(exc).splitlines()[0]
            raise UserError(f"malformed override {text!r} in {where} ({reason}); expected key=value or "
                            f"a sweep such as key=a,b or key='range(5)'") from None
        key = override.get_key_element()
        if key.startswith("hydra"):
            raise UserError(f"{text!r} in {where}: hydra.* settings are not used by yatbench sweep")
        if key.lstrip("+~") == "tags" and override.is_sweep_override():  # a,b would make runs differing by tag only
            raise UserError(f"{text!r} in {where}: tags are labels of every run, not a sweep axis; "
                            f"give them as one list: 'tags=[{','.join(override.sweep_string_iterator())}]'")
        if isinstance(override.value(), Glob):
            if key not in GROUP_KEYS:
                raise UserError(f"{text!r} in {where}: glob() selects config files, so only for "
                                f"{', '.join(GROUP_KEYS)}")
            values = override.value().filter(option_names(key, user_dir))
        elif override.is_interval_sweep():
            raise UserError(f"{text!r} in {where}: interval() is continuous; a grid needs listed values "
                            f"(a,b or range(...))")
        elif override.is_sweep_override():
            count = sweep_length(override.value(), text, where)
            if count > MAX_RUNS:
                raise UserError(f"{text!r} in {where} gives {count:,} values, over the limit of {MAX_RUNS:,} runs "
                                f"per sweep; ask for fewer or split it into several sweeps")
            values = list(override.sweep_string_iterator())
        else:
            values = [override.get_value_element_as_str()]
        if not values:
            raise UserError(f"{text!r} in {where} gives no values")
        axes[key] = values
    return axes


def sweep_length(value: Any, text: str, where: str) -> int:
    """How many values a sweep gives, counted without listing them (``range(10**12)`` is one division)."""
    from hydra.core.override_parser.types import ChoiceSweep, RangeSweep

    if isinstance(value, RangeSweep):
        start, stop, step = value.start, value.stop, value.step
        numbers = [v for v in (start, stop, step) if v is not None]
        if not all(math.isfinite(v) for v in numbers):
            raise UserError(f"{text!r} in {where}: a range needs finite numbers")
        if step == 0:
            raise UserError(f"{text!r} in {where}: a range's step must not be 0")
        if all(isinstance(v, int) for v in numbers):
            return len(range(start, stop, step))
        return max(0, math.ceil((stop - start) / step))
    if isinstance(value, ChoiceSweep):
        return len(value.list)
    return len(value) if isinstance(value, list) else 1


def count_runs(axes: dict[str, list[str]], entries: list[Entry]) -> int:
    """The number of points :func:`expand` would make, by arithmetic alone."""
    shared = math.prod(len(values) for values in axes.values())
    return sum(math.prod(len(values) for values in entry.axes.values()) for entry in entries) * shared


def check_size(axes: dict[str, list[str]], entries: list[Entry], what: str) -> None:
    """Refuse, before expanding it, a grid of more than :data:`MAX_RUNS` runs."""
    runs = count_runs(axes, entries)
    if runs > MAX_RUNS:
        raise UserError(f"{what} has {runs:,} runs, over the limit of {MAX_RUNS:,} per sweep; narrow it "
                        f"(e.g. seed='range(100)') or split it into several sweeps")


def check_group_values(axes: dict[str, list[str]], user_dir: str | Path | None) -> None:
    """``model=yta``: name the valid choices before looking any further."""
    for key, values in axes.items():
        if key in GROUP_KEYS:
            valid = option_names(key, user_dir)
            for value in values:
                if value not in valid:
                    raise UserError(f"unknown {key} {value!r}; valid choices: {', '.join(valid)}")


def apply_command_line(preset: Preset, cli: dict[str, list[str]]) -> tuple[dict[str, list[str]], list[Entry]]:
    """Apply command-line axes to a preset: group choices select, settings replace, new keys add."""
    axes = {k: list(v) for k, v in preset.axes.items()}
    entries = [Entry(dict(e.axes), e.budget) for e in preset.entries]
    for key, values in cli.items():
        in_entries = any(key in e.axes for e in entries)
        if key in GROUP_KEYS and in_entries:  # dataset=xor,compositional model=yat: keep those points
            available = list(dict.fromkeys(v for e in entries for v in e.axes.get(key, [])))
            missing = [v for v in values if v not in available]
            if missing:
                raise UserError(f"{key}={','.join(missing)} is not in the grid of sweep preset {preset.name!r} "
                                f"({key}: {', '.join(available)}); copy the preset into your config folder "
                                f"to add it")
            entries = [Entry({**e.axes, key: [v for v in e.axes[key] if v in values]}, e.budget)
                       for e in entries if any(v in values for v in e.axes.get(key, []))]
        elif in_entries and key not in axes:  # a setting the entries tie to their point: replace it there
            entries = [Entry({**e.axes, key: values} if key in e.axes else e.axes, e.budget) for e in entries]
        else:  # an axis of every point: replace it, or add it
            axes[key] = values
    return axes, entries


def expand(axes: dict[str, list[str]], entries: list[Entry]) -> list[dict[str, str]]:
    """Every point: each entry's product, times the product of the shared axes, in file order."""
    points = []
    for entry in entries:
        keys = [*entry.axes, *axes]
        value_lists = [*entry.axes.values(), *axes.values()]
        points.extend(dict(zip(keys, combo, strict=True)) for combo in itertools.product(*value_lists))
    return points


def with_seed(spec: RunSpec, seed: int) -> RunSpec:
    """The same validated run with another seed: equal to validating the config with ``seed=seed``.

    Validation costs tens of milliseconds per run; the seed touches nothing but ``seed`` and
    ``resolved['seed']`` (``tests/test_sweep.py`` checks this against :func:`validate`). Each run gets its own
    copies, made by one pickle round trip (what a worker receives anyway; ``copy.deepcopy`` took ten times as long).
    """
    dataset, model, trainer, resolved = pickle.loads(pickle.dumps((spec.dataset, spec.model, spec.trainer,
                                                                   spec.resolved), pickle.HIGHEST_PROTOCOL))
    return dataclasses.replace(spec, dataset=dataset, model=model, trainer=trainer, seed=seed,
                               resolved={**resolved, "seed": seed})


def compose_points(points: list[dict[str, str]], user_dir: str | Path | None = None) -> list[RunSpec]:
    """Compose + validate every point (once per point without its seed); unique runs in order."""
    composed: dict[tuple[str, ...], tuple[Any, RunSpec]] = {}
    specs: dict[str, RunSpec] = {}
    compose = Composer(user_dir)  # Hydra once per distinct choice of config files, not once per point
    for point in points:
        rest = tuple(f"{k}={v}" for k, v in point.items() if k != "seed")
        seed_text = point.get("seed")
        try:
            if rest not in composed:
                cfg = compose([*rest, *SWEEP_OVERRIDES])
                if seed_text is not None:
                    cfg.seed = seed_text
                composed[rest] = (cfg, validate(cfg))
            cfg, base = composed[rest]
            spec = base
            if seed_text is not None and seed_text != str(base.seed):
                spec = with_seed(base, check_seed(seed_text))  # the same check and message as `yatbench run`
        except UserError as exc:
            where = " ".join([*rest, *([f"seed={seed_text}"] if seed_text is not None else [])])
            raise UserError(f"{exc.message} (grid point: {where})", exc.exit_code) from None
        specs.setdefault(spec.run_id, spec)
    return list(specs.values())


def build_grid(preset: str | Preset, overrides: list[str], user_dir: str | Path | None = None) -> Grid:
    """Preset (or its name) + command-line overrides → every run of the sweep, validated.

    Raises one :class:`UserError` for any bad input, before anything runs.
    """
    if isinstance(preset, str):
        preset = load_preset(preset, user_dir)
    cli = parse_overrides(overrides, "command line", user_dir)
    check_group_values(cli, user_dir)
    axes, entries = apply_command_line(preset, cli)
    check_size(axes, entries, f"the grid of sweep {preset.name}")
    specs = compose_points(expand(axes, entries), user_dir)
    return Grid(preset, specs, list(overrides))
