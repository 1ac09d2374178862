"""Where yatbench may write, and how it deletes: never through a symbolic link, never into the system.

Two rules, applied wherever yatbench writes or cleans:

- **Output folders** (``results_dir``, ``report --out``, ``bench --out``, ``executor.folder``, a
  download's ``data_dir``) may not be ``/`` or the home folder itself, nor anything inside a tree
  that holds only the system (:data:`SYSTEM_TREES`: ``/etc``, ``/proc``, ``/usr/lib``, ...), nor
  one of the shared system folders themselves (:data:`SYSTEM_FOLDERS`: ``/usr``, ``/var``,
  ``/var/lib``, ``/home``, ...). A folder of its own below a shared one is fine: projects live in
  ``/usr/src/app`` or ``/var/lib/jenkins/workspace``. The check is on the real path, so a link
  that leads there is refused too.
- **Cleaning** touches only yatbench's own folders (``.partial``, ``.failed``), opened without
  following a link (``O_NOFOLLOW``), and in them only names that yatbench makes (see
  :mod:`yatbench.core.owner`). A folder is removed by :func:`remove_tree`, which deletes a link itself
  and never what it points to. A symbolic link where yatbench keeps its own folder is refused
  with one line (:func:`own_subdir`): yatbench neither writes nor deletes through it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from yatbench.core.errors import UserError
from yatbench.core.owner import owned_name

# Trees that hold only the operating system (and the kernel's views): nothing of a user's belongs anywhere in them.
SYSTEM_TREES = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/sbin", "/sys",
                "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32", "/usr/libexec",
                "/usr/include", "/usr/share", "/usr/local/bin", "/usr/local/sbin", "/usr/local/lib",
                "/usr/local/include")
# Shared folders of the system: a project may live below them, but yatbench writes into none of them directly.
SYSTEM_FOLDERS = ("/usr", "/usr/local", "/usr/src", "/var", "/var/lib", "/var/log", "/var/cache", "/var/spool",
                  "/var/mail", "/run", "/home", "/opt", "/srv", "/mnt", "/media")
_NOFOLLOW_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def system_folder(path: Path) -> str | None:
    """Why ``path`` (resolved through links) is no place for yatbench's output, or None when it is fine."""
    real = os.path.realpath(path)
    if real == os.path.realpath("/"):
        return "the root folder"
    home = os.path.realpath(Path.home())
    if real == home and home != os.path.realpath("/"):
        return "your home folder itself"
    for folder in SYSTEM_TREES:
        if _inside(real, folder):
            return f"inside the system folder {folder}"
    if real in SYSTEM_FOLDERS:
        return f"the system folder {real} itself"
    return None


def check_output_dir(path: Path, what: str) -> None:
    """Refuse (exit 2, one line) an output folder that is the root, the home folder or a system folder."""
    reason = system_folder(path)
    if reason is not None:
        shown = f"{path} (= {os.path.realpath(path)})" if os.path.realpath(path) != str(path) else str(path)
        raise UserError(f"{what} {shown} is {reason}; yatbench writes only into a folder of its own "
                        "(e.g. results)", 2)


def own_subdir(parent: Path, name: str) -> Path:
    """``parent/name``, a folder yatbench keeps for itself; refused (exit 1) when it is a link or a file."""
    path = parent / name
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):  # not there yet (or its parent is not a folder: said elsewhere)
        return path
    except OSError as exc:
        raise UserError(f"cannot use {path}: {exc.strerror or exc}", 1) from None
    if stat.S_ISLNK(mode):
        raise UserError(f"{path} is a symbolic link (to {os.readlink(path)}); yatbench keeps its own files there "
                        "and never writes or deletes through a link: remove the link", 1)
    if not stat.S_ISDIR(mode):
        raise UserError(f"{path} is not a folder; yatbench keeps its own files there: move it away", 1)
    return path


@contextmanager
def open_dir(path: Path) -> Iterator[int | None]:
    """A descriptor of the folder ``path`` opened without following a link in its last part; None when absent.

    A link (or a file) there raises :class:`UserError` (see :func:`own_subdir`); entries are then
    named relative to the descriptor (``dir_fd=``), so a folder swapped for a link meanwhile is
    never followed.
    """
    try:
        fd = os.open(path, _NOFOLLOW_DIR)
    except FileNotFoundError:
        yield None
        return
    except OSError:
        own_subdir(path.parent, path.name)  # says what is wrong in one line
        raise
    try:
        yield fd
    finally:
        os.close(fd)


def remove_tree(path: Path) -> bool:
    """Remove ``path`` without following any link (see :func:`remove_entry`); whether it went."""
    try:
        parent = os.open(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return False
    try:
        remove_entry(path.name, parent)
    except OSError:
        return False
    finally:
        os.close(parent)
    return True


def remove_entry(name: str, dir_fd: int) -> None:
    """Remove the entry ``name`` of the open folder ``dir_fd``: a folder whole, a file or a link by itself.

    Nothing is followed: a link is unlinked (its target untouched), and a folder is walked through
    descriptors opened with ``O_NOFOLLOW`` relative to their parent's, so a link inside (or a
    folder swapped for a link meanwhile) is never entered. (``shutil.rmtree(dir_fd=...)`` does the
    same from Python 3.11; yatbench runs on 3.10 too.)
    """
    if not stat.S_ISDIR(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
        os.unlink(name, dir_fd=dir_fd)
        return
    fd = os.open(name, _NOFOLLOW_DIR, dir_fd=dir_fd)
    try:
        for entry in os.listdir(fd):
            remove_entry(entry, fd)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=dir_fd)


def unlink_names(folder: Path, names: Iterable[str]) -> int:
    """Unlink the entries ``names`` of yatbench's own ``folder`` (never through a link); how many went."""
    gone = 0
    with open_dir(folder) as fd:
        if fd is None:
            return 0
        for name in names:
            try:
                os.unlink(name, dir_fd=fd)
                gone += 1
            except (FileNotFoundError, IsADirectoryError, PermissionError):
                pass
    return gone


def atomic_write_text(folder: Path, name: str, text: str) -> Path:
    """Write ``folder/name`` atomically: an owned temporary name (:func:`.owner.owned_name`), then a rename.

    ``folder`` is yatbench's own (created if missing, refused if a link). The temporary file is
    created exclusively, never through a link, and removed again whatever goes wrong (a full disk,
    an interruption), so a failed write leaves nothing behind.
    """
    own_subdir(folder.parent, folder.name)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = owned_name(f".{name}")
    with open_dir(folder) as fd:
        assert fd is not None
        done = False
        try:
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644,
                             dir_fd=fd)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, name, src_dir_fd=fd, dst_dir_fd=fd)
            done = True
        finally:
            if not done:
                try:
                    os.unlink(temporary, dir_fd=fd)
                except OSError:
                    pass
    return folder / name
