"""A dataset's trainer budget and model sizes: each said once, and every run identity as it was.

``conf/dataset_trainer/`` and ``conf/dataset_model/`` hold one file per fact (the PDE problems' budget, the
image classifiers' sizes, ...); each dataset chooses them in its own defaults list (``conf/config.yaml``).
``tests/data/config_pairs.json`` pins the composed config of every (dataset, model) pair as it was before
they were shared, when each dataset had files of its own: a config change that moves one changes the run
ids of finished runs, and must say so by rewriting the pins (``python tests/test_config_sizes.py --write``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from omegaconf import OmegaConf

from yatbench.config.compose import compose_config, option_names, read_option
from yatbench.config.confdir import config_dir, packaged_names
from yatbench.core.identity import config_hash

PINS = Path(__file__).parent / "data" / "config_pairs.json"
CHOOSERS = ("dataset_trainer", "dataset_model")


def pair_hashes() -> dict[str, str]:
    """The identity hash of the composed config of every dataset × model pair of the config groups."""
    return {f"{dataset}/{model}": config_hash(OmegaConf.to_container(
                compose_config([f"dataset={dataset}", f"model={model}"])))
            for dataset in option_names("dataset") for model in option_names("model")}


def test_every_dataset_model_pair_composes_as_pinned() -> None:
    pinned = json.loads(PINS.read_text())
    now = pair_hashes()
    assert pinned and set(pinned) <= set(now), f"pinned pairs gone: {sorted(set(pinned) - set(now))}"
    moved = sorted(pair for pair, digest in pinned.items() if now[pair] != digest)
    assert not moved, f"composed configs changed (their run ids with them): {moved}"


def chosen(group: str) -> set[str]:
    """The ``dataset_trainer`` / ``dataset_model`` files that yatbench's datasets choose in their defaults lists."""
    names = set()
    for path in (config_dir() / "dataset").glob("*.yaml"):
        for item in read_option(path)[1].get("defaults", []):
            for key, value in item.items() if isinstance(item, dict) else ():
                if f"/{group}@" in key:
                    names |= {str(value).replace("${model}", model) for model in packaged_names("model")}
    return names


def test_each_budget_and_size_file_is_chosen_and_no_two_say_the_same() -> None:
    for group in CHOOSERS:
        files = {name: read_option(config_dir() / group / f"{name}.yaml")[1] for name in packaged_names(group)}
        assert set(files) <= chosen(group), f"{group}: files no dataset chooses: {sorted(set(files) - chosen(group))}"
    budgets = [read_option(config_dir() / "dataset_trainer" / f"{name}.yaml")[1]
               for name in packaged_names("dataset_trainer")]
    assert all(budgets.count(budget) == 1 for budget in budgets), "two trainer budgets are the same"
    # Sizes come in sets (pinn_relu, pinn_yat, ...): two sets that size every model alike would be one set
    # said twice. One model sized alike by two sets is not (attention's 2 experts on xor and on the digits).
    sets: dict[str, dict[str, object]] = {}
    for name in packaged_names("dataset_model"):
        model = next(m for m in packaged_names("model") if name.endswith(f"_{m}"))
        sets.setdefault(name.removesuffix(f"_{model}"), {})[model] = read_option(
            config_dir() / "dataset_model" / f"{name}.yaml")[1]
    alike = [(a, b) for a in sets for b in sets if a < b and sets[a] == sets[b]]
    assert not alike, f"size sets that say the same: {alike}"


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_config_sizes.py --write   (pins today's composed configs)")
    PINS.parent.mkdir(exist_ok=True)
    PINS.write_text(json.dumps(pair_hashes(), indent=1, sort_keys=True) + "\n")
    print(f"{PINS}: {len(json.loads(PINS.read_text()))} pairs")
