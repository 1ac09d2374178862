"""What every figure shares: the :class:`Figure` record, the :class:`Section` of the page it goes in, and
readable dataset names."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Figure:
    """A written figure: its file, a title and a caption that names the runs and seeds it shows."""

    name: str
    path: Path
    title: str
    caption: str
    section: str
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """A section of the report page, declared by the figure module that draws into it (its ``SECTIONS``).

    ``key`` is what a :class:`Figure`'s ``section`` names; ``rank`` orders the sections on the page;
    ``tables`` are the report tables shown above its figures. A figure whose section no module declares
    still appears, under a heading made from its key (:func:`yatbench.report.figures.page_sections`).
    """

    key: str
    title: str
    intro: str
    rank: int
    tables: tuple[str, ...] = ()


def dataset_label(dataset: str) -> str:
    return {"xor": "XOR", "compositional": "compositional toy", "mnist": "MNIST",
            "fashion_mnist": "Fashion-MNIST", "inversion": "MNIST inversion"}.get(dataset, dataset)
