"""The configs travel with the package: a built wheel composes runs from any directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_installed_wheel_finds_its_configs(tmp_path: Path) -> None:
    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(wheel_dir), str(REPO)], check=True, capture_output=True)
    (wheel,) = wheel_dir.glob("yatbench-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    code = ("import yatbench.config.compose as h, yatbench.config.confdir as d, yatbench.config.spec as c; "
            "spec = c.validate(h.compose_config(['dataset=compositional', 'model=relu'])); "
            "print(c.__file__, d.config_dir(), spec.model.hidden)")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}, check=True)
    module, conf, hidden = result.stdout.split(maxsplit=2)
    assert module.startswith(str(target)) and conf == str(target / "yatbench" / "conf")
    assert hidden.strip() == "[7]"
