"""Recognise a finished run without importing torch: `yatbench run` answers "already complete" at once.

A run's id comes from its *validated* config (:func:`yatbench.config.spec.validate`), and validating
imports the config dataclasses, which live beside the torch code they configure (``yatbench/data``,
``yatbench/models``), and builds the model on the meta device for the size check. That is seconds
of imports before a finished run can be recognised. So the first time ``yatbench run`` validates a
composed config it remembers which run it is, in ``<results_dir>/.known/<key>.json``, where the key
is a hash of

- the composed config (after Hydra and interpolation: every value the command line and the config
  folders gave, tags included), and
- this yatbench's code: the text of every module of the package, the yatbench, omegaconf and
  hydra versions. Any change to the code that validates (new defaults, new normalisation) changes
  the key, so a memo never outlives the code that made it.

Next time the same command composes the same config (Hydra only, no torch), finds the memo, and the
run folder it names is complete, sound (:func:`yatbench.rundir.results.damage`) and of the same dataset,
model and seed: that is the run, reported as skipped. Anything else (no memo, a damaged folder, a
config naming a dataclass outside yatbench, data whose identity depends on files found at run time)
takes the ordinary path, which validates, and remembers. The memo is an optimisation only: deleting
``.known/`` loses nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yatbench.core.errors import UserError
from yatbench.core.identity import identity_name
from yatbench.core.safe_paths import atomic_write_text
from yatbench.rundir.results import damage, is_complete, read_metrics

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from yatbench.config.spec import RunSpec

KNOWN_DIR = ".known"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the yatbench package
_CODE: list[str] = []


@dataclass
class KnownRun:
    """A finished run recognised from its composed config: its folder, its record, what was done to it."""

    run_dir: Path
    record: dict[str, Any]
    messages: list[str] = field(default_factory=list)


def code_fingerprint() -> str:
    """A hash of this yatbench's modules (their text) and of the versions of what composes and validates."""
    if not _CODE:
        import hydra
        import omegaconf

        from yatbench import __version__

        digest = hashlib.sha1(f"{__version__} {omegaconf.__version__} {hydra.__version__}".encode())
        for path in sorted(PACKAGE_DIR.rglob("*.py")):
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        _CODE.append(digest.hexdigest())
    return _CODE[0]


def memo_key(cfg: DictConfig) -> tuple[Path, str] | None:
    """(results folder, key) of a composed config, or None when its identity may depend on more than it.

    Left out: a group whose ``_target_`` is not yatbench's (its code is not in the fingerprint).
    """
    from omegaconf import OmegaConf

    content = OmegaConf.to_container(cfg, resolve=True)
    results_dir = content.get("results_dir") if isinstance(content, dict) else None
    if not isinstance(results_dir, str) or not results_dir.strip():
        return None
    for group in ("dataset", "model", "trainer"):
        node = content.get(group)
        target = node.get("_target_") if isinstance(node, dict) else None
        if not isinstance(target, str) or not target.startswith("yatbench."):
            return None
    blob = json.dumps({"config": content, "code": code_fingerprint()}, sort_keys=True, default=str)
    return Path(results_dir), hashlib.sha1(blob.encode()).hexdigest()


def recall(cfg: DictConfig) -> KnownRun | None:
    """The finished run this composed config was validated to before, or None (then validate as usual)."""
    found = memo_key(cfg)
    if found is None:
        return None
    results_dir, key = found
    try:
        memo = json.loads((results_dir / KNOWN_DIR / f"{key}.json").read_text(encoding="utf-8"))
        run_id = memo["run_id"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(run_id, str) or Path(run_id).name != run_id or run_id in ("", ".", ".."):
        return None
    run_dir = results_dir / run_id
    if not is_complete(run_dir) or damage(run_dir) is not None:
        return None  # the ordinary path says what is wrong with it, and reruns
    record = read_metrics(run_dir)
    expected = (cfg.dataset.get("name"), cfg.model.get("name"), str(cfg.get("seed")))
    if (record.get("dataset"), record.get("model"), str(record.get("seed"))) != expected or not _agrees(cfg, run_dir):
        return None
    tags = cfg.get("tags")
    from omegaconf import OmegaConf

    from yatbench.rundir.tags import check_tags

    tag_list = check_tags(OmegaConf.to_container(tags) if OmegaConf.is_config(tags) else tags)
    return KnownRun(run_dir, record, update_finished_run(run_dir, tuple(tag_list), str(cfg.get("export", "none"))))


def _agrees(cfg: DictConfig, run_dir: Path) -> bool:
    """Whether the run folder's config.yaml holds the composed config's values: every number, text and flag under
    ``dataset``, ``model`` and ``trainer`` that both name. A memo is a file anyone could have copied or edited;
    this keeps one from pointing a config at another finished run (another learning rate, say)."""
    import yaml
    from omegaconf import OmegaConf

    try:
        saved = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
        composed = OmegaConf.to_container(cfg, resolve=True)
    except Exception:  # anything unreadable: no shortcut, the ordinary path decides
        return False
    if not isinstance(saved, dict) or not isinstance(composed, dict):
        return False

    def leaves(node: object, prefix: str = "") -> dict[str, object]:
        if isinstance(node, dict):
            return {k: v for key, value in node.items() for k, v in leaves(value, f"{prefix}{key}.").items()}
        if isinstance(node, list):
            return {prefix[:-1]: tuple(node)} if all(not isinstance(v, (dict, list)) for v in node) else {}
        return {prefix[:-1]: node}

    for group in ("dataset", "model", "trainer"):
        ours, theirs = leaves(composed.get(group, {})), leaves(saved.get(group, {}))
        for key in ours.keys() & theirs.keys():
            a, b = ours[key], theirs[key]
            if key == "_target_":
                a, b = identity_name(a), identity_name(b)
            if a != b and not (isinstance(a, (int, float)) and isinstance(b, (int, float)) and float(a) == float(b)):
                return False
    return True


def remember(cfg: DictConfig, spec: RunSpec) -> None:
    """Remember that ``cfg`` (as composed) validated to ``spec``'s run; never fails the command."""
    if "data" in spec.resolved:  # e.g. MNIST: which files are found is part of the identity, not the config
        return
    found = memo_key(cfg)
    if found is None or found[0] != spec.results_dir:
        return
    try:
        atomic_write_text(found[0] / KNOWN_DIR, f"{found[1]}.json", json.dumps({"run_id": spec.run_id}) + "\n")
    except (OSError, UserError):
        pass  # a read-only or full results folder: the next command validates again


def update_finished_run(run_dir: Path, tags: tuple[str, ...], export: str) -> list[str]:
    """What a command may still do to a finished run without training it: add ``tags``, write the export
    it asks for when the folder lacks it. Each thing done (or refused) is one message."""
    from yatbench.rundir.export import export_finished
    from yatbench.rundir.tags import edit_tags

    messages = []
    if tags:
        try:
            now, changed = edit_tags(run_dir, add=tags)
        except UserError as exc:  # e.g. a run folder that is a link: refused, and the other runs go on
            messages.append(f"{run_dir.name}: tags not added: {exc}")
        else:
            if changed:
                messages.append(f"{run_dir.name}: finished run, tags now {', '.join(now)}")
    said = export_finished(export, run_dir)
    if said:
        messages.append(said)
    return messages
