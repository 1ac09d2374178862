"""What exists: the options of each config group, read from the YAML files on the search path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yatbench.config.compose import option_names, read_option, search_dirs
from yatbench.sweep.grid import preset_options


@dataclass
class CatalogEntry:
    """One config file: its option name, first comment line, and top-level settings."""

    name: str
    description: str
    options: dict[str, Any]


def list_group(group: str, user_dir: str | Path | None = None) -> list[CatalogEntry]:
    """Every option of ``group`` (user folder first; a user file shadows a packaged one)."""

    entries: dict[str, CatalogEntry] = {}
    for folder in search_dirs(user_dir):
        for path in sorted((folder / group).glob("*.yaml")):
            if path.stem in entries:
                continue
            text, values = read_option(path)
            comments = [" ".join(_leading_comment(text))]
            options = {k: v for k, v in values.items() if k not in ("_target_", "name", "defaults")}
            if group == "sweep":  # a grid is long: show its size and axes instead
                options = preset_options(path.stem, user_dir)
            entries[path.stem] = CatalogEntry(path.stem, comments[0], options)
    return sorted(entries.values(), key=lambda e: e.name)


def _leading_comment(text: str) -> list[str]:
    """The comment lines at the top of a YAML file (a description may run over several lines)."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return [line for line in lines if line]


def names(group: str, user_dir: str | Path | None = None) -> list[str]:
    """The option names of one group."""
    return option_names(group, user_dir)


GROUPS = {"dataset": "datasets", "model": "models", "device": "devices", "trainer": "trainers",
          "sweep": "sweep presets", "executor": "sweep executors"}


def overview(user_dir: str | Path | None = None) -> list[Any]:
    """``yatbench list``: one short paragraph per group naming its options (fits a screen at 80 columns)."""
    from rich.padding import Padding
    from rich.text import Text

    out: list[Any] = []
    for group, title in GROUPS.items():
        out.append(Text.assemble((title, "bold"), f" ({group}=NAME)"))
        out.append(Padding(Text(", ".join(names(group, user_dir))), (0, 0, 0, 2)))
    out.append(Text(f"Descriptions and options of one group: yatbench list GROUP (one of {', '.join(GROUPS)})",
                    style="dim"))
    return out


def details(group: str, user_dir: str | Path | None = None) -> list[Any]:
    """``yatbench list GROUP``: per option its name, its whole description and its settings, stacked so that
    nothing is cut at any width (a description wraps between words, a setting is never split)."""
    from rich.padding import Padding
    from rich.text import Text

    out: list[Any] = [Text.assemble((GROUPS[group], "bold"), f" ({group}=NAME)")]
    for entry in list_group(group, user_dir):
        out.append(Text(entry.name, style="bold cyan"))
        if entry.description:
            out.append(Padding(Text(entry.description), (0, 0, 0, 2)))
        if entry.options:
            settings = "   ".join(f"{k}={v}".replace(" ", "\u00a0") for k, v in entry.options.items())
            out.append(Padding(Text(settings, style="dim"), (0, 0, 0, 4)))
    return out
