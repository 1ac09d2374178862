"""Where MNIST-style IDX files are found, and fetching them with torchvision's downloader.

The data folder is ``data_dir``, else ``$YATBENCH_DATA_DIR``, else ``./data``; reading the
files is :mod:`yatbench.data._images`, which never touches the network.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from yatbench.core.safe_paths import system_folder
from yatbench.data._images import idx_paths

DATA_DIR_ENV = "YATBENCH_DATA_DIR"
DEFAULT_DATA_DIR = "data"
DOWNLOAD_TIMEOUT_S = 30.0


def resolve_data_dir(data_dir: str | None) -> Path:
    """``data_dir`` if given, else ``$YATBENCH_DATA_DIR``, else ``./data``; made absolute."""
    chosen = data_dir or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR
    return Path(chosen).expanduser().resolve()


def find_idx_files(dirs: list[tuple[str, Path]]) -> tuple[str, dict[str, Path]] | None:
    """The first of the (kind, folder) pairs that holds the four IDX files: ``(kind:folder, files)``."""
    for kind, folder in dirs:
        files = idx_paths(folder)
        if files is not None:
            return f"{kind}:{folder}", files
    return None


def download(dataset_class: str, data_dir: str | None) -> str | None:
    """Let torchvision's ``datasets.<dataset_class>`` fetch the files into the data folder; the error as one
    line, or None."""
    root = resolve_data_dir(data_dir)
    unsafe = system_folder(root)
    if unsafe is not None:  # a download writes there: never into the root, the home folder or a system folder
        return f"the data folder {root} is {unsafe}; set dataset.data_dir to a folder of its own"
    previous = socket.getdefaulttimeout()
    try:
        from torchvision import datasets  # only for a download: reading never needs torchvision

        socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
        getattr(datasets, dataset_class)(str(root), train=True, download=True)
    except Exception as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        return text if len(text) < 300 else text[:297] + "..."
    finally:
        socket.setdefaulttimeout(previous)
    return None
