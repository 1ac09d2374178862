"""Five linear laws switched by a second input: z = a_k·x with k chosen by y.

This is a *reconstruction* of the toy in hayAbhay's post "Attention in Neural Networks from
Scratch" (``seeds/001_*``: "five independent linear relationships — z = ax", the slope
depending on another variable y). The post shows only screenshots, so the ranges, slopes, noise
and sample counts here are our choice, not its original data:

    x ~ U(0, 5),  y ~ U(0, 5),  k = ⌊y⌋ (clamped to 4),  z = a_k·x + ε,  ε ~ N(0, σ²),
    σ = noise_frac · std(a_k·x),  slopes a = (−2, −1, 0.5, 1.5, 3),  n = 1 000, 80/20 split,
    and a fifth of the 800 training samples held out for validation (640 train / 160 validation / 200 test).

With K slopes other than five, y still runs over U(0, 5) and is cut into K equal bands,
k = min(⌊K·y/5⌋, K − 1). The target holds an x·(step function of y) product: a ReLU net
approximates it piecewise by planes, the softmax-gated attention model can represent it
exactly (the gate picks the band, each expert is one law), and the Yat numerator carries
products of inputs too. Metrics are test MSE and R² on the raw z scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from yatbench.core.errors import UserError
from yatbench.core.lazy import lazy
from yatbench.data.base import Splits

torch = lazy("torch")

DEFAULT_SLOPES = (-2.0, -1.0, 0.5, 1.5, 3.0)
X_RANGE = 5.0  # x and y are both drawn from U(0, X_RANGE)


@dataclass
class CompositionalConfig:
    """Options of the compositional regression toy.

    ``slopes``: one slope per band of y (non-empty list of numbers). ``n``: total samples
    (>= 10), of which ``test_fraction`` go to the test set (the last samples drawn); of the rest,
    ``val_fraction`` (the last of them) is held out for validation and never trained on. ``noise_frac``: noise std as a
    fraction of std(z) over the noiseless targets (>= 0; 0 gives exact laws).
    ``standardize``: shift and scale x and y to mean 0, std 1 using the *training* split's
    statistics. Default false: the raw [0, 5] inputs are already unit-scale, and they train
    well for every model, whereas standardising them hurt the Yat net badly (measured at
    the default budget, hidden [7], Adam lr 0.01, 1 000 full-batch epochs, seeds 0–2: test
    R² 0.93–0.96 raw vs −0.03–0.58 standardised; ReLU, attention unchanged at ≈ 0.95).
    The target z is never rescaled, so MSE stays in z's units.
    Data are drawn from a ``torch.Generator`` seeded with the run seed.
    """

    name: str = "compositional"
    slopes: list[float] = field(default_factory=lambda: list(DEFAULT_SLOPES))
    n: int = 1000
    test_fraction: float = 0.2
    val_fraction: float = 0.2
    noise_frac: float = 0.05
    standardize: bool = False

    def __post_init__(self) -> None:
        try:
            self.slopes = [float(a) for a in self.slopes]
        except (TypeError, ValueError):
            raise UserError(f"dataset.slopes={self.slopes!r} must be a list of numbers, "
                            "e.g. [-2,-1,0.5,1.5,3]") from None
        if not self.slopes:
            raise UserError("dataset.slopes must hold at least one slope, e.g. [-2,-1,0.5,1.5,3]")
        if not all(math.isfinite(a) for a in self.slopes):
            raise UserError(f"dataset.slopes={self.slopes} must all be finite numbers")
        if self.n < 10:
            raise UserError(f"dataset.n={self.n} must be >= 10")
        if not 0 < self.test_fraction < 1:
            raise UserError(f"dataset.test_fraction={self.test_fraction} must be between 0 and 1 (exclusive)")
        n_test = round(self.n * self.test_fraction)
        if n_test < 1 or n_test > self.n - 1:
            raise UserError(f"dataset.test_fraction={self.test_fraction} leaves an empty split of n={self.n}")
        if not 0 < self.val_fraction < 1:
            raise UserError(f"dataset.val_fraction={self.val_fraction} must be between 0 and 1 (exclusive)")
        n_val = round((self.n - n_test) * self.val_fraction)
        if n_val < 1 or n_val > self.n - n_test - 1:
            raise UserError(f"dataset.val_fraction={self.val_fraction} leaves an empty split of the "
                            f"{self.n - n_test} training samples")
        if not (self.noise_frac >= 0 and math.isfinite(self.noise_frac)):
            raise UserError(f"dataset.noise_frac={self.noise_frac} must be a finite number >= 0")
        if not isinstance(self.standardize, bool):
            raise UserError(f"dataset.standardize={self.standardize!r} must be true or false")

    def band(self, y: torch.Tensor) -> torch.Tensor:
        """The band index k of each y (int64): ⌊K·y/5⌋ clamped to K − 1; ⌊y⌋ for five slopes."""
        k = len(self.slopes)
        return torch.floor(y * (k / X_RANGE)).long().clamp_(0, k - 1)

    def feature_counts(self) -> tuple[int, int]:
        """(in_features, out_features) of the splits :meth:`load` makes, known without making them."""
        return 2, 1

    def load(self, seed: int) -> Splits:
        gen = torch.Generator().manual_seed(seed)
        x = X_RANGE * torch.rand(self.n, generator=gen)
        y = X_RANGE * torch.rand(self.n, generator=gen)
        slopes = torch.tensor(self.slopes, dtype=torch.float32)
        clean = slopes[self.band(y)] * x
        sigma = self.noise_frac * clean.std().item()
        z = clean + sigma * torch.randn(self.n, generator=gen)

        inputs = torch.stack([x, y], dim=1)
        target = z.unsqueeze(1)
        n_pool = self.n - round(self.n * self.test_fraction)  # train + validation; the test set is the rest
        n_train = n_pool - round(n_pool * self.val_fraction)
        x_train, x_val, x_test = inputs[:n_train], inputs[n_train:n_pool], inputs[n_pool:]
        scale = 1.0  # z = a·x = a·std·x' + a·mean: the slope along a standardised x is a·std
        if self.standardize:
            mean, std = x_train.mean(0), x_train.std(0).clamp_min(1e-8)
            x_train, x_val, x_test = (x_train - mean) / std, (x_val - mean) / std, (x_test - mean) / std
            scale = float(std[0])
        return Splits(x_train.contiguous(), target[:n_train].contiguous(), x_test.contiguous(),
                      target[n_pool:].contiguous(), task="regression", in_features=2, out_features=1,
                      source="synthetic:compositional", x_val=x_val.contiguous(),
                      y_val=target[n_train:n_pool].contiguous(),
                      preprocess="standardize" if self.standardize else "none",
                      regime_test=self.band(y[n_pool:]), regime_slopes=[a * scale for a in self.slopes])
