"""Boolean XOR: the 4 corners, or Gaussian blobs around them.

The smallest problem no single dot-product neuron can solve: the two classes sit on the
diagonals of a square, so no line separates them. A run is *solved* when every test point
is classified correctly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from yatbench.core.errors import UserError
from yatbench.core.lazy import lazy
from yatbench.data.base import Splits

torch = lazy("torch")

ENCODINGS = ("pm1", "binary")
FEATURES = ("raw", "sum_product")


@dataclass
class XorConfig:
    """``encoding``: corners at ±1 (``pm1``) or in {0,1} (``binary``).

    ``noise`` 0 gives the 4 points, with train = validation = test: the 4 points are the whole task, so no
    hold-out exists (the validation set is the training set, ``val_kind`` ``train``). ``noise`` > 0 draws
    ``n_train``, ``n_test`` and then ``n_val`` points as Gaussian blobs (std ``noise``) around the corners,
    each set drawn apart (validation last, so the training and test draws are those of before it existed).
    ``features``: the model sees (u, v) as drawn (``raw``) or (u + v, u·v) (``sum_product``,
    seeds/004's change of inputs, computed after the noise), under which XOR is linearly separable.
    """

    # A run is scored by whether it solved the task (yatbench/measures/solved.py): a class attribute, not a field.
    track_solved: ClassVar[bool] = True

    name: str = "xor"
    encoding: str = "pm1"
    noise: float = 0.0
    n_train: int = 200
    n_test: int = 200
    n_val: int = 200
    features: str = "raw"

    def __post_init__(self) -> None:
        if self.encoding not in ENCODINGS:
            raise UserError(f"dataset.encoding={self.encoding!r} is not valid; choose one of {', '.join(ENCODINGS)}")
        if self.features not in FEATURES:
            raise UserError(f"dataset.features={self.features!r} is not valid; choose one of {', '.join(FEATURES)}")
        if self.noise < 0:
            raise UserError(f"dataset.noise={self.noise} must be >= 0")
        if self.n_train < 1 or self.n_test < 1 or self.n_val < 1:
            raise UserError("dataset.n_train, dataset.n_test and dataset.n_val must be >= 1")

    def feature_counts(self) -> tuple[int, int]:
        """(in_features, out_features) of the splits :meth:`load` makes, known without making them."""
        return 2, 1

    def load(self, seed: int) -> Splits:
        low = -1.0 if self.encoding == "pm1" else 0.0
        corners = torch.tensor([[low, low], [low, 1.0], [1.0, low], [1.0, 1.0]])
        labels = torch.tensor([0, 1, 1, 0])
        if self.noise == 0:
            x_train, y_train, x_test, y_test = corners, labels, corners, labels
            x_val, y_val, val_kind = corners, labels, "train"
        else:
            gen = torch.Generator().manual_seed(seed)

            def blobs(n: int) -> tuple[torch.Tensor, torch.Tensor]:
                corner = torch.randint(0, 4, (n,), generator=gen)
                x = corners[corner] + self.noise * torch.randn(n, 2, generator=gen)
                return x, labels[corner]

            x_train, y_train = blobs(self.n_train)
            x_test, y_test = blobs(self.n_test)
            (x_val, y_val), val_kind = blobs(self.n_val), "holdout"
        if self.features == "sum_product":
            x_train, x_test, x_val = sum_product(x_train), sum_product(x_test), sum_product(x_val)
        source = f"synthetic:xor-{self.encoding}" + ("" if self.features == "raw" else f"-{self.features}")
        return Splits(x_train, y_train, x_test, y_test, task="classification",
                      in_features=2, out_features=1, source=source, x_val=x_val, y_val=y_val, val_kind=val_kind)


def sum_product(x: torch.Tensor) -> torch.Tensor:
    """(u, v) → (u + v, u·v): XOR is u + v − 2uv on {0,1} and (1 − uv)/2 on ±1, linear in these inputs."""
    return torch.stack([x[:, 0] + x[:, 1], x[:, 0] * x[:, 1]], dim=1)
