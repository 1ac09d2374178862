"""Who owns a temporary folder: this host and process id, written into its name.

Run folders and reports are written under a temporary name and renamed into place. A process
killed part-way leaves its temporary folder behind; the name says whose it was, so a later
command can tell a leftover (owner on this host and no longer alive) from work in progress
(owner alive, or on another host sharing the folder: then only age decides).
"""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# <stem>.<pid>@<host>.<8 hex>, optionally followed by a suffix such as ".old"
_OWNED = re.compile(r"^(?P<stem>.+)\.(?P<pid>\d+)@(?P<host>[A-Za-z0-9-]*)\.[0-9a-f]{8}(?:\.[a-z]+)?$")


def host_label() -> str:
    """This machine's name, reduced to letters, digits and dashes (it is part of a file name)."""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40]


def owned_name(stem: str) -> str:
    """A unique temporary name for ``stem`` that records this process as its owner."""
    return f"{stem}.{os.getpid()}@{host_label()}.{uuid.uuid4().hex[:8]}"


@dataclass
class Owner:
    """The process recorded in a temporary name."""

    stem: str
    pid: int
    host: str


def owner_of(name: str) -> Owner | None:
    """The owner recorded in ``name``, or None when the name was not made by :func:`owned_name`."""
    match = _OWNED.match(name)
    if match is None:
        return None
    return Owner(match["stem"], int(match["pid"]), match["host"])


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    try:  # Linux: a killed process that its parent has not reaped yet is a zombie, not alive
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def writer_gone(name: str, mtime: Callable[[], float], older_than_s: float) -> bool:
    """Whether the writer of the temporary entry ``name`` is gone: its recorded process is dead on this host,
    or (another host, or a name without an owner) the entry was untouched for ``older_than_s`` seconds.

    ``mtime`` gives the entry's own modification time (never a link target's), read only when needed;
    its ``OSError`` reaches the caller.
    """
    owner = owner_of(name)
    if owner is not None and owner.host == host_label():
        return not pid_alive(owner.pid)
    return time.time() - mtime() > older_than_s


def is_leftover(path: Path, older_than_s: float) -> bool:
    """A temporary folder whose owner is gone (:func:`writer_gone`); False when it cannot be read."""
    try:
        return writer_gone(path.name, lambda: path.lstat().st_mtime, older_than_s)
    except OSError:
        return False
