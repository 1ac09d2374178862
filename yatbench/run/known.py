"""Recognise a finished run without importing torch: `yatbench run` answers "already complete" at once.

A run's id comes from its *validated* config (:func:`yatbench.config.spec.validate`). Validating imports no
torch now (the config dataclasses are read apart from the networks they build), but it composes with Hydra
and builds every dataclass through OmegaConf: about half a second before a finished run can be recognised.
So the first time ``yatbench run`` validates a
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

Composing costs too (Hydra and OmegaConf: most of what a skipped run spent). So the command line is
remembered as well, in ``<results_dir>/.known/cmd-<key>.json`` with the config it composed to, where the
key hashes what composition reads: the command's words (dataset, model, overrides, in order), every
YAML file of the config folders searched (paths and bytes), and the code fingerprint above. The results
folder is the command's own ``results_dir=`` override, else the primary config's. A command whose
composition could depend on more (a resolver such as ``${oc.env:…}`` in a file or an override, a
quoted or list value for ``results_dir``) is not remembered; a memo whose config does not name the folder
it was found in is not believed; and the composed config it holds passes the same checks as above.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yatbench.config.confdir import search_dirs
from yatbench.core.errors import UserError
from yatbench.core.identity import identity_name
from yatbench.core.progress import warn
from yatbench.core.safe_paths import atomic_write_text
from yatbench.rundir.results import DAMAGED_DIR, damage, is_complete, read_metrics

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
    """A hash of this yatbench's modules (their text) and of what composes and validates: the package
    files of Hydra and OmegaConf that hold their versions (read, not imported)."""
    if not _CODE:
        from yatbench import __version__

        digest = hashlib.sha1(__version__.encode())
        for package in ("hydra", "omegaconf"):
            spec = importlib.util.find_spec(package)
            digest.update(Path(spec.origin).read_bytes() if spec and spec.origin else package.encode())
        for path in sorted(PACKAGE_DIR.rglob("*.py")):
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        _CODE.append(digest.hexdigest())
    return _CODE[0]


def memo_key(cfg: DictConfig) -> tuple[Path, str] | None:
    """(results folder, key) of a composed config, or None when its identity may depend on more than it."""
    from omegaconf import OmegaConf

    return content_key(OmegaConf.to_container(cfg, resolve=True))


def content_key(content: Any) -> tuple[Path, str] | None:
    """(results folder, key) of a composed config as plain data (see :func:`memo_key`).

    Left out: a group whose ``_target_`` is not yatbench's (its code is not in the fingerprint).
    """
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


# A resolver call (``${oc.env:HOME}``, ``${now:%H}``): its value may change with no file or word changing.
RESOLVER = re.compile(r"\$\{[^}]*:")
# A results_dir override whose value is the folder as written (no quotes, lists, interpolations or escapes).
PLAIN_VALUE = re.compile(r"^[^'\"\[\]{}(),$\\\s=]+$")


def command_key(words: list[str], user_dir: str | Path | None = None) -> tuple[Path, str] | None:
    """(results folder, key) of a ``yatbench run`` command line (``dataset=…``, ``model=…``, then the
    overrides), decided from its words and the config files without composing; None when that cannot be."""
    if any("${" in word for word in words):
        return None
    try:
        dirs = search_dirs(user_dir)
    except UserError:  # composing says what is wrong
        return None
    digest = hashlib.sha1(json.dumps({"words": words, "code": code_fingerprint()}).encode())
    primary = None
    for folder in dirs:
        digest.update(b"\0dir\0" + str(folder).encode())
        for path in sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml")):
            try:
                data = path.read_bytes()
            except OSError:
                return None
            if RESOLVER.search(data.decode("utf-8", "replace")):
                return None
            digest.update(b"\0" + path.relative_to(folder).as_posix().encode() + b"\0" + data)
            if primary is None and path.parent == folder and path.name == "config.yaml":
                primary = data
    results_dir = _results_dir(words, primary)
    return (Path(results_dir), f"cmd-{digest.hexdigest()}") if results_dir else None


def _results_dir(words: list[str], primary: bytes | None) -> str | None:
    """The results folder a command line names: its last ``results_dir=`` override, else the primary config's."""
    given = [word.split("=", 1)[1] for word in words if word.split("=", 1)[0].strip() == "results_dir"]
    if any(word.lstrip("+~").split("=", 1)[0].strip() == "results_dir" and not word.startswith("results_dir=")
           for word in words):
        return None  # +results_dir=, ~results_dir: composing decides
    if given:
        return given[-1] if PLAIN_VALUE.match(given[-1]) else None
    import yaml

    try:
        value = yaml.safe_load(primary or b"").get("results_dir")
    except (yaml.YAMLError, AttributeError):
        return None
    return value if isinstance(value, str) and PLAIN_VALUE.match(value) else None


def recall_command(words: list[str], user_dir: str | Path | None = None) -> KnownRun | None:
    """The finished run this command line composed and validated to before, or None (then compose)."""
    found = command_key(words, user_dir)
    if found is None:
        return None
    results_dir, key = found
    memo = _read_memo(results_dir, key)
    content = memo.get("config") if memo is not None else None
    if not isinstance(content, dict) or not isinstance(content.get("results_dir"), str) \
            or Path(content["results_dir"]) != results_dir:
        return None  # composed to another folder than the one it was found in
    return _recall(content, memo.get("run_id"), results_dir)


def recall(cfg: DictConfig) -> KnownRun | None:
    """The finished run this composed config was validated to before, or None (then validate as usual)."""
    from omegaconf import OmegaConf

    content = OmegaConf.to_container(cfg, resolve=True)
    found = content_key(content)
    if found is None:
        return None
    results_dir, key = found
    memo = _read_memo(results_dir, key)
    if memo is None or "run_id" not in memo:
        return None
    return _recall(content, memo["run_id"], results_dir)


def _read_memo(results_dir: Path, key: str) -> dict[str, Any] | None:
    """The memo ``key`` under ``results_dir``'s memo folder as a mapping, or None (absent, unreadable, not JSON)."""
    try:
        memo = json.loads((results_dir / KNOWN_DIR / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return memo if isinstance(memo, dict) else None


def _recall(content: dict[str, Any], run_id: object, results_dir: Path) -> KnownRun | None:
    """The run ``run_id`` under ``results_dir``, when it is finished, sound and of the composed config ``content``."""
    if content_key(content) is None:
        return None
    if not isinstance(run_id, str) or Path(run_id).name != run_id or run_id in ("", ".", ".."):
        return None
    run_dir = results_dir / run_id
    if not is_complete(run_dir) or damage(run_dir) is not None:
        return None  # the ordinary path says what is wrong with it, and reruns
    record = read_metrics(run_dir)
    dataset, model = content.get("dataset"), content.get("model")
    expected = (dataset.get("name"), model.get("name"), str(content.get("seed")))
    if (record.get("dataset"), record.get("model"), str(record.get("seed"))) != expected \
            or not _agrees(content, run_dir):
        return None
    from yatbench.rundir.tags import check_tags

    tag_list = check_tags(content.get("tags"))
    return KnownRun(run_dir, record, update_finished_run(run_dir, tuple(tag_list), str(content.get("export", "none"))))


def _agrees(composed: dict[str, Any], run_dir: Path) -> bool:
    """Whether the run folder's config.yaml holds the composed config's values: every number, text and flag under
    ``dataset``, ``model`` and ``trainer`` that both name. A memo is a file anyone could have copied or edited;
    this keeps one from pointing a config at another finished run (another learning rate, say)."""
    import yaml

    try:
        saved = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
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


def remember(cfg: DictConfig, spec: RunSpec, words: list[str] | None = None,
             user_dir: str | Path | None = None) -> None:
    """Remember that ``cfg`` (as composed) validated to ``spec``'s run, and that the command line ``words``
    composed to ``cfg`` (see :func:`recall_command`); never fails the command."""
    if "data" in spec.resolved:  # e.g. MNIST: which files are found is part of the identity, not the config
        return
    remember_words(cfg, spec.run_id, spec.results_dir, words, user_dir, config_too=True)


def remember_words(cfg: DictConfig, run_id: str, results_dir: Path, words: list[str] | None,
                   user_dir: str | Path | None = None, config_too: bool = False) -> None:
    """Remember that the command line ``words`` composed to ``cfg``, of the run ``run_id`` (and, with
    ``config_too``, that ``cfg`` validated to it); never fails the command."""
    from omegaconf import OmegaConf

    content = OmegaConf.to_container(cfg, resolve=True)
    found = content_key(content)
    if found is None or found[0] != results_dir:
        return
    memos = {found[1]: {"run_id": run_id}} if config_too else {}
    command = command_key(words, user_dir) if words is not None else None
    if command is not None and command[0] == results_dir:
        memos[command[1]] = {"run_id": run_id, "config": content}
    try:
        for key, memo in memos.items():
            atomic_write_text(results_dir / KNOWN_DIR, f"{key}.json", json.dumps(memo) + "\n")
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


@dataclass
class RunOutcome:
    """Where a run's folder is, its metrics record, and whether it was skipped as already done."""

    run_dir: Path
    record: dict[str, Any]
    skipped: bool
    messages: list[str] = field(default_factory=list)  # what was done to a finished run (tags, exports)


def completed_outcome(spec: RunSpec, force: bool = False) -> RunOutcome | None:
    """The finished folder of this exact run, read back, unless ``force`` asks to redo it.

    A folder that is complete but damaged (:func:`yatbench.rundir.results.damage`) is not trusted: it is
    reported on stderr and the run counts as not done; :func:`yatbench.run.execute.save_run` moves it aside
    when the rerun is written.
    """
    existing = spec.results_dir / spec.run_id
    if force or not is_complete(existing):
        return None
    problem = damage(existing)
    if problem is not None:
        warn(f"run folder {existing} is damaged ({problem}); it will be run again and the damaged folder "
             f"moved to {existing.parent / DAMAGED_DIR}/")
        return None
    return RunOutcome(existing, read_metrics(existing), skipped=True)


def update_finished(spec: RunSpec, outcome: RunOutcome) -> RunOutcome:
    """What a command may still do to a finished run without training it: add ``spec.tags``, write the
    export ``spec`` asks for when the folder lacks it (:func:`update_finished_run`)."""
    outcome.messages += update_finished_run(outcome.run_dir, spec.tags, str(spec.resolved.get("export", "none")))
    return outcome
