"""What every figure shares: the :class:`Figure` record and readable dataset names."""

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


def dataset_label(dataset: str) -> str:
    return {"xor": "XOR", "compositional": "compositional toy", "mnist": "MNIST",
            "fashion_mnist": "Fashion-MNIST", "inversion": "MNIST inversion"}.get(dataset, dataset)
