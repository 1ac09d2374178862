"""Where a run came from: the source commit, the command, the machine and the library versions.

Every run records :func:`provenance` and :func:`versions` in its metrics.json, so that a number in
a report can be traced to the code and the machine that made it, and the report can warn when the
seeds of one configuration were made by different code.

- ``commit``: the git commit of the tree holding the ``yatbench`` package, with ``dirty`` true when
  tracked files differ from it; ``"not a git checkout"`` (and ``dirty`` None) for an installed
  wheel, a tree git does not track, or a machine without git. Git is asked twice at most per
  process (cached), locally, with a short timeout: it never reaches the network and never blocks a run.
- ``command``: the command line that started the work (``yatbench sweep xor seed=...``); sweep
  workers inherit it from the command through :data:`COMMAND_ENV`.
- ``host``, ``cpu`` (the CPU model), ``threads`` (torch's intra-op threads when the record is made),
  ``device_name`` (the GPU's name on CUDA, else the CPU model).
"""

from __future__ import annotations

import functools
import os
import platform
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from yatbench.core.errors import UserError

COMMAND_ENV = "YATBENCH_COMMAND"
NOT_GIT = "not a git checkout"
GIT_TIMEOUT_S = 3.0
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the yatbench package


def remember_command(argv: list[str] | None = None) -> None:
    """Record this process's command line for the runs it (and its workers) will make."""
    words = list(sys.argv if argv is None else argv)
    if any("\x00" in word for word in words):  # no shell passes one; the environment could not hold it
        raise UserError("an argument contains a NUL byte (\\x00); a command-line word cannot")
    os.environ[COMMAND_ENV] = shlex.join(["yatbench", *words[1:]])


def command_line() -> str:
    """The command that started this work: the CLI's (inherited by workers), else this process's argv."""
    return os.environ.get(COMMAND_ENV) or shlex.join(sys.argv)


def _git(*args: str) -> subprocess.CompletedProcess[str] | None:
    """``git -C <package dir> ARGS``: local only, no prompt, no lock taken; None when git is absent or stuck."""
    git = shutil.which("git")
    if git is None:
        return None
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        return subprocess.run([git, "-C", str(PACKAGE_DIR), *args], capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_S, env=env, stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.SubprocessError):
        return None


@functools.lru_cache(maxsize=1)
def source_commit() -> tuple[str, bool | None]:
    """(commit, dirty) of the git tree that tracks this package's source, or (``NOT_GIT``, None).

    The package must be *tracked* by that tree: an installed copy inside some other checkout (a
    virtual environment in a project folder) is not that project's commit.
    """
    tracked = _git("ls-files", "--error-unmatch", "__init__.py")
    if tracked is None or tracked.returncode != 0:
        return NOT_GIT, None
    head = _git("rev-parse", "HEAD")
    if head is None or head.returncode != 0 or not head.stdout.strip():
        return NOT_GIT, None
    status = _git("status", "--porcelain", "--untracked-files=no")
    dirty = None if status is None or status.returncode != 0 else bool(status.stdout.strip())
    return head.stdout.strip(), dirty


@functools.lru_cache(maxsize=1)
def cpu_model() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what the platform says."""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def versions() -> dict[str, str]:
    """The versions of yatbench, torch, NumPy and Python in this process."""
    import numpy
    import torch

    from yatbench import __version__

    # Plain strings: torch's is a TorchVersion (a str subclass), which a record sent to the sweep's main process
    # would unpickle by importing torch there.
    return {"yatbench": str(__version__), "torch": str(torch.__version__), "numpy": str(numpy.__version__),
            "python": platform.python_version()}


def provenance(device: Any = "cpu") -> dict[str, Any]:
    """Everything but the versions: source commit and dirty flag, command, host, CPU, threads, device name."""
    import torch

    commit, dirty = source_commit()
    name = cpu_model()
    if str(device).startswith("cuda") and torch.cuda.is_available():
        name = torch.cuda.get_device_name(torch.device(device))
    return {"commit": commit, "dirty": dirty, "command": command_line(), "host": platform.node(),
            "cpu": cpu_model(), "threads": torch.get_num_threads(), "device_name": name}
