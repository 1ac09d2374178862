"""Which images a run sees: fixed class-balanced subsets, the bundled set's train/test split, and the
validation images held out of the training images.

All shuffle with constants (:data:`SUBSET_SEED`, :data:`VAL_SEED`), never the run seed, so every run of a
configuration sees the same images (see :mod:`yatbench.data.mnist`).
"""

from __future__ import annotations

from yatbench.core.lazy import lazy

torch = lazy("torch")


SUBSET_SEED = 1234  # fixed shuffle for the bundled split and max_train/max_test; never the run seed
BUNDLED_TRAIN_FRACTION = 0.8  # 400 of the 500 bundled images per class go to training
# The validation images' own fixed shuffle: another constant than SUBSET_SEED, so that which training images are
# held out is not tied to which were kept by max_train.
VAL_SEED = 4321


def _rank_within_class(labels: torch.Tensor) -> torch.Tensor:
    """For each position, how many earlier positions hold the same label."""
    rank = torch.empty_like(labels)
    for c in labels.unique():
        mask = labels == c
        rank[mask] = torch.arange(int(mask.sum()))
    return rank


def take_subset(labels: torch.Tensor, limit: int | None, seed: int = SUBSET_SEED) -> torch.Tensor | None:
    """Indices of a class-balanced subset of ``limit`` samples in shuffled order; None keeps all."""
    n = len(labels)
    if limit is None or limit >= n:
        return None
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    rank = _rank_within_class(labels[perm])
    chosen_positions = torch.argsort(rank * n + torch.arange(n))[:limit]
    return perm[chosen_positions.sort().values]


def split_bundled(labels: torch.Tensor, seed: int = SUBSET_SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """Train and test indices of the bundled set: per class, 80% train / 20% test after a fixed shuffle."""
    perm = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    shuffled = labels[perm]
    rank = _rank_within_class(shuffled)
    counts = torch.bincount(shuffled)
    is_train = rank < (counts[shuffled] * BUNDLED_TRAIN_FRACTION).round().long()
    return perm[is_train], perm[~is_train]


def split_validation(labels: torch.Tensor, n_val: int, seed: int = VAL_SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """Train and validation indices of a training set: ``n_val`` class-balanced images (a fixed shuffle) held
    out, the others kept in their order. ``1 <= n_val < len(labels)``."""
    if not 1 <= n_val < len(labels):
        raise ValueError(f"cannot hold out {n_val} of {len(labels)} images")
    val = take_subset(labels, n_val, seed)
    keep = torch.ones(len(labels), dtype=torch.bool)
    keep[val] = False
    return keep.nonzero().squeeze(1), val
