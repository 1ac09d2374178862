"""The run folder: its layout, its atomic writing, and reading it back.

    results/<dataset>-<model>-s<seed>-<hash>/
        config.yaml     the normalised resolved config (what the hash is taken over)
        metrics.json    status, final metrics and run facts (device, data source, params, time)
        history.csv     one row per evaluation: epoch, step, train loss, test metrics
        model.pt        the trained weights (state_dict)
        *.png           run-level artifacts, e.g. prototypes.png for image data

A folder is complete or absent: everything is written under ``results/.partial/`` and
renamed into place in one step, so a crash or a kill never leaves half a run behind.
A complete folder is still never trusted blindly (:func:`damage`): one whose metrics.json or
config.yaml was truncated or edited is reported, moved aside to ``results/.damaged/`` and rerun.
"""

from __future__ import annotations

import array
import csv
import json
import operator
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from yatbench.core.errors import UserError
from yatbench.core.identity import config_hash
from yatbench.core.owner import owned_name, owner_of, writer_gone
from yatbench.core.record import RunRecord
from yatbench.core.safe_paths import check_output_dir, open_dir, own_subdir, remove_entry, remove_tree

PARTIAL_DIR = ".partial"
DAMAGED_DIR = ".damaged"
# The temporary names of yatbench before 0.x recorded the owner's pid only: <run_id>.<pid>.<8 hex>[.old]
_LEGACY_PARTIAL = re.compile(r"^.+\.\d+\.[0-9a-f]{8}(?:\.old)?$")
METRICS_FILE = "metrics.json"
CONFIG_FILE = "config.yaml"


def ensure_writable(results_dir: Path, what: str = "results_dir") -> None:
    """Fail early, with one line, when run folders cannot be written under ``results_dir``.

    Creates nothing: a run that is refused or fails before its first folder leaves no trace. Also
    refused: the root, the home folder or a system folder (:func:`yatbench.core.safe_paths.check_output_dir`),
    and a ``.partial`` that is a link (yatbench never writes or deletes through one).
    """
    check_output_dir(results_dir, what)
    existing = results_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"cannot write to results directory {results_dir}: {existing} is a file, not a folder", 1)
    try:  # a real probe (permissions alone do not show a read-only mount, or /proc to root)
        os.rmdir(tempfile.mkdtemp(prefix=".yatbench-probe-", dir=existing))
    except OSError as exc:
        raise UserError(f"cannot write to results directory {results_dir}: {existing} is not writable "
                        f"({exc.strerror or exc}); choose another with results_dir=PATH", 1) from None
    own_subdir(results_dir, PARTIAL_DIR)


def is_complete(run_dir: Path) -> bool:
    """A run folder counts once its metrics file is there (it is renamed in whole)."""
    return (run_dir / METRICS_FILE).is_file()


def damage(run_dir: Path) -> str | None:
    """Why the complete run folder ``run_dir`` cannot be trusted, or None when it can.

    Its metrics.json must be a valid record (:meth:`RunRecord.from_dict`) of this very run, and its
    config.yaml must hash to the run id's hash: a truncated, hand-edited or swapped file is damage.
    """
    try:
        record = RunRecord.from_dict(json.loads((run_dir / METRICS_FILE).read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError;
        # RecursionError: nesting too deep for json (e.g. 200 000 '['): damage too, said in one line
        return f"{METRICS_FILE}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    if record.run_id != run_dir.name:
        return f"{METRICS_FILE} is the record of {record.run_id}, not of this folder"
    try:
        config = read_config_text((run_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    except Exception as exc:  # unreadable, not UTF-8, not YAML: all damage
        return f"{CONFIG_FILE}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    if not isinstance(config, dict) or config_hash(config) != record.config_hash \
            or not run_dir.name.endswith(f"-{record.config_hash}"):
        return f"{CONFIG_FILE} is not the config this run was made with (its hash differs)"
    return None


def move_damaged(run_dir: Path) -> Path:
    """Move a damaged run folder aside, under ``.damaged/`` beside it (hidden from the report), never deleting it."""
    # own_subdir: a .damaged that is a link is refused, so a run folder is never moved out through it
    aside = own_subdir(run_dir.parent, DAMAGED_DIR) / f"{run_dir.name}.{uuid.uuid4().hex[:8]}"
    aside.parent.mkdir(exist_ok=True)
    os.rename(run_dir, aside)
    return aside


def write_run(results_dir: Path, run_id: str, write_contents: Callable[[Path], None],
              replace: bool = False) -> Path:
    """Write a run folder atomically: ``write_contents`` fills a temporary folder, then one rename.

    The temporary folder's name records this process (:mod:`yatbench.core.owner`), so a sweep can
    remove it when the process is killed. If another process finished the same run first, its
    folder is kept and ours dropped (identical config means identical result) unless ``replace``
    asks for the new one. A folder of the same name that is not a complete run is moved aside
    (``<run_id>.incomplete.<suffix>``), never deleted.
    """
    if Path(run_id).name != run_id or run_id in ("", ".", ".."):
        raise UserError(f"run id {run_id!r} is not a plain folder name", 2)
    final = results_dir / run_id
    partial = own_subdir(results_dir, PARTIAL_DIR) / owned_name(run_id)
    try:
        partial.mkdir(parents=True)
    except OSError as exc:
        raise UserError(f"cannot write to results directory {results_dir}: {exc.strerror or exc}", 1) from None
    try:
        write_contents(partial)
        if final.exists() and not is_complete(final):
            os.rename(final, results_dir / f"{run_id}.incomplete.{uuid.uuid4().hex[:8]}")
        if replace and final.exists():
            # Move the old folder aside first: the run id is never absent *and* half-written.
            retired = partial.with_name(partial.name + ".old")
            os.rename(final, retired)  # a link in the way is moved, and then removed, as a link
            remove_tree(retired)
        try:
            os.rename(partial, final)
        except OSError:
            if not is_complete(final):
                raise
            remove_tree(partial)
    except BaseException:
        remove_tree(partial)
        raise
    return final


def remove_leftovers(results_dir: Path, older_than_s: float) -> list[Path]:
    """Remove temporary run folders in ``.partial/`` whose writer is gone; return what was removed.

    Only names that yatbench makes are considered (:func:`yatbench.core.owner.owned_name`, or the older
    ``<run_id>.<pid>.<hex>``). One whose owner (recorded in its name) is a dead process on this host
    goes at once; one from another host sharing the folder, or with an older name, goes when untouched
    for ``older_than_s`` seconds. ``.partial`` is opened without following a link (one there is
    refused), and nothing is removed through a link.
    """
    removed = []
    with open_dir(own_subdir(results_dir, PARTIAL_DIR)) as fd:
        if fd is None:
            return []
        for name in os.listdir(fd):
            owner = owner_of(name)
            if owner is None and not _LEGACY_PARTIAL.match(name):
                continue  # not a name yatbench makes: not ours to remove
            try:
                if not writer_gone(name, lambda n=name: os.stat(n, dir_fd=fd, follow_symlinks=False).st_mtime,
                                   older_than_s):
                    continue
                remove_entry(name, fd)
                removed.append(results_dir / PARTIAL_DIR / name)
            except OSError:
                pass  # another sweep removed it first
    return removed


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def write_history(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """history.csv: one row per evaluation, the union of the rows' keys as columns (a missing cell is empty).

    The bytes are ``csv.DictWriter``'s, in a fraction of its time (a sweep writes thousands of these): the
    trainer's :class:`~yatbench.core.history.History` is written from its columns, rows that all hold the same
    keys are read into columns by one C getter, and where every cell is a number the lines are made column by
    column (:func:`_number_lines`); anything else goes through ``csv.writer`` as lists.
    """
    from yatbench.core.history import History  # here: it imports NumPy, which a sweep's main process does not need

    lines = None
    if isinstance(rows, History) and len(rows):
        columns = list(rows.columns)
        lines = _number_lines(rows.columns.values())
    if lines is None:
        keys = rows[0].keys() if rows else {}
        full = all(row.keys() == keys for row in rows)
        columns = list(keys) if full else list(dict.fromkeys(key for row in rows for key in row))
        table = list(map(operator.itemgetter(*columns), rows)) if full and len(columns) > 1 else None
        lines = _number_lines(zip(*table, strict=True)) if table is not None else None
    if lines is not None:
        with path.open("w", newline="") as handle:
            handle.write(",".join(columns) + "\r\n" + "\r\n".join(lines) + "\r\n")
        return
    cells = table if table is not None else ([row.get(key, "") for key in columns] for row in rows)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(cells)


def _number_lines(columns: Iterable[Sequence[Any]]) -> list[str] | None:
    """The CSV lines of columns whose cells are all ints and floats (exactly those types), or None.

    A column is a sequence of values or a numpy array (int64: ints, float64: floats, any other dtype: None).
    A number's cell is its ``repr``, as ``csv.writer`` writes it, and never needs quoting. A float column
    identical bit for bit to an earlier one (XOR's test columns repeat its validation columns: the same
    points) reuses that column's text: formatting floats is most of the time.
    """
    texts: list[list[str]] = []
    bits: list[bytes | None] = []
    for column in columns:
        dtype = getattr(column, "dtype", None)
        if dtype is not None:  # a numpy array: its dtype says what its cells are
            if dtype.kind not in "if" or dtype.itemsize != 8:
                return None
            packed = column.tobytes() if dtype.kind == "f" else None
            values = column.tolist()
        else:
            kinds = set(map(type, column))
            if not kinds <= {int, float}:
                return None
            packed = array.array("d", column).tobytes() if kinds == {float} else None
            values = column
        same = next((i for i, earlier in enumerate(bits) if packed is not None and earlier == packed), None)
        texts.append(texts[same] if same is not None else list(map(repr, values)))
        bits.append(packed)
    return list(map(",".join, zip(*texts, strict=True)))


def config_text(resolved: dict[str, Any]) -> str:
    """config.yaml's text for a resolved config: byte for byte ``OmegaConf.to_yaml(OmegaConf.create(resolved))``.

    The same representer as OmegaConf's dumper (a string that reads as a bool or a number is quoted, so
    that it reads back as a string). A sweep writes one per run and OmegaConf's way costs milliseconds,
    so where every string is plain ASCII text libyaml's emitter writes it (a tenth of the time); libyaml
    escapes some characters that PyYAML's writes as they are (beyond U+FFFF, tabs) and writes some keys
    otherwise (the empty one), so any config with other strings or keys goes through PyYAML's.
    ``tests/test_fast_paths.py`` holds them equal.
    """
    seed = resolved.get("seed")
    if type(seed) is not int:
        return _dump(resolved)
    # The seeds of one configuration differ in their top-level seed line only: the rest is dumped once per
    # configuration, with a seed that no run has, and each seed's text is that with its own number in its line.
    key = repr([k if k == "seed" else (k, v) for k, v in resolved.items()])
    template = _TEMPLATES.get(key)
    if template is None:
        if len(_TEMPLATES) >= _TEMPLATES_KEPT:
            _TEMPLATES.clear()
        text = "\n" + _dump({**resolved, "seed": _NO_SEED})
        template = text if text.count(str(_NO_SEED)) == 1 and _SEED_LINE in text else ""
        _TEMPLATES[key] = template
    if not template:  # the number is in the text elsewhere too: no template for this configuration
        return _dump(resolved)
    return template.replace(_SEED_LINE, f"\nseed: {seed}\n")[1:]


# config_text's templates: configuration (all but its seed) → "\n" + its text with seed _NO_SEED ("" for none).
_TEMPLATES: dict[str, str] = {}
_TEMPLATES_KEPT = 256
_NO_SEED = 9_007_199_254_740_993  # no seed: seeds end at 2³²−1 (yatbench.config.spec.MAX_SEED)
_SEED_LINE = f"\nseed: {_NO_SEED}\n"


def _dump(resolved: dict[str, Any]) -> str:
    import yaml

    return yaml.dump(resolved, Dumper=_config_dumper(_plain_ascii(resolved)), default_flow_style=False,
                     allow_unicode=True, sort_keys=False)


_PLAIN = re.compile(r"[\x20-\x7e\n]*")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def _plain_ascii(value: Any) -> bool:
    """Every string in ``value`` is printable ASCII or newlines, every key an identifier (as yatbench's are)."""
    if isinstance(value, str):
        return _PLAIN.fullmatch(value) is not None
    if isinstance(value, dict):
        return all(isinstance(k, str) and _PLAIN_KEY.fullmatch(k) and _plain_ascii(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain_ascii(v) for v in value)
    return True


_DUMPERS: dict[bool, type] = {}
_LOADERS: list[type] = []
# OmegaConf's float rule (omegaconf._utils.get_yaml_loader): 1e-5 and 1_000.5 are floats, as YAML 1.2 reads them.
_FLOAT = re.compile(r"""^(?:
     [-+]?[0-9]+(?:_[0-9]+)*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+)
    |\.[0-9]+(?:_[0-9]+)*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9]+(?:_[0-9]+)*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", re.X)


def read_config_text(text: str) -> Any:
    """A config.yaml's values as ``OmegaConf.to_container(OmegaConf.create(text))`` reads them (the reader of
    :func:`config_text`), without importing OmegaConf: PyYAML's safe loader with OmegaConf's rules (its float
    pattern, no timestamps, a repeated key is an error). ``tests/test_fast_paths.py`` holds the two equal."""
    import yaml

    if not _LOADERS:
        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class ConfigLoader(base):  # type: ignore[misc, valid-type]
            def construct_mapping(self, node: Any, deep: bool = False) -> Any:
                keys = set()
                for key_node, _ in node.value:
                    if key_node.tag == yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG:
                        if key_node.value in keys:
                            raise yaml.constructor.ConstructorError("while constructing a mapping", node.start_mark,
                                                                    f"found duplicate key {key_node.value}",
                                                                    key_node.start_mark)
                        keys.add(key_node.value)
                return super().construct_mapping(node, deep=deep)

        ConfigLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
        ConfigLoader.yaml_implicit_resolvers = {
            key: [(tag, rule) for tag, rule in rules if tag != "tag:yaml.org,2002:timestamp"]
            for key, rules in ConfigLoader.yaml_implicit_resolvers.items()}
        _LOADERS.append(ConfigLoader)
    return yaml.load(text, Loader=_LOADERS[0])  # a safe loader: no Python objects


def _config_dumper(fast: bool) -> type:
    """A PyYAML dumper with OmegaConf's string representer, its emitter libyaml's when ``fast``; made once."""
    if fast not in _DUMPERS:
        import yaml
        from omegaconf._utils import OmegaConfDumper

        base = getattr(yaml, "CDumper", yaml.Dumper) if fast else yaml.Dumper

        class ConfigDumper(base):  # type: ignore[misc, valid-type]
            pass

        ConfigDumper.add_representer(str, OmegaConfDumper.str_representer)
        _DUMPERS[fast] = ConfigDumper
    return _DUMPERS[fast]


def read_metrics(run_dir: Path) -> dict[str, Any]:
    """The metrics record of one complete run folder."""
    return json.loads((run_dir / METRICS_FILE).read_text())


def iter_run_dirs(results_dir: Path) -> Iterator[Path]:
    """Every complete run folder directly under ``results_dir``, in name order."""
    if not results_dir.is_dir():
        return
    for child in sorted(results_dir.iterdir()):
        if child.is_dir() and not child.name.startswith(".") and is_complete(child):
            yield child


# A run's history.csv is read (by the report, by exports) only up to this many bytes.
HISTORY_MAX_BYTES = 32 * 2**20


def history_too_large(path: Path, limit: int = HISTORY_MAX_BYTES) -> str:
    """Why a CSV the report would read (a run's history.csv) is not read — over ``limit`` bytes — or ""."""
    try:
        size = path.stat().st_size
    except OSError:
        return ""  # absent or unreadable: the reader says so itself
    if size <= limit:
        return ""
    return f"{path.name} is {size / 2**20:,.0f} MiB, over the report's limit of {limit / 2**20:,.0f} MiB: not read"
