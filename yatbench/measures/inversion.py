"""The inversion test's model side, and every altered test set's retention (seeds' inversion claim).

The data carries the input inversions as extra test sets (``Splits.eval_sets``, see
:mod:`yatbench.data.inversion`), which the trainer scores. Two things remain for the run:

- ``weight_negation``: the first layer's weights negated (w → −w), scored on the clean test set:
  ``weight_negated_loss``, ``weight_negated_accuracy``. It is the model-side counterpart of the sign
  inversion (w·(−x) = (−w)·x), so it is measured on data that carries the sign-inverted test set.
- ``retention``: ``retention_<name>`` = accuracy on the altered set / clean test accuracy, for every extra
  test set and for the negated weights, from the metrics recorded before it (so on every run that has them,
  diverged or not), on data that carries extra test sets.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

from yatbench.data.inversion import SIGN_INVERTED
from yatbench.measures.base import Given, measurement
from yatbench.train.objective import evaluate

NEGATED = "weight_negated"


@measurement("weight_negation", needs=("model", "data"), records=(f"{NEGATED}_loss", f"{NEGATED}_accuracy"),
             applies=lambda given: SIGN_INVERTED in given.data.eval_sets)
def weight_negation(given: Given) -> dict[str, float]:
    """Loss and accuracy on the clean test set with the first layer's weights negated (w → −w)."""
    model, splits = given.model, given.data
    device = next(model.parameters()).device
    negated = copy.deepcopy(model)
    with torch.no_grad():
        for weight in negated.input_weights():
            weight.neg_()
    result = evaluate(negated, splits.x_test.to(device), splits.y_test.to(device), splits)
    return {f"{NEGATED}_loss": result["loss"], f"{NEGATED}_accuracy": result["accuracy"]}


def retention_of(metrics: dict[str, Any], names: list[str]) -> dict[str, float]:
    """retention_<name> = accuracy on the altered set / clean test accuracy, for the names that have both."""
    clean = metrics.get("test_accuracy")
    out = {}
    for name in names:
        altered = metrics.get(f"{name}_accuracy")
        if clean and altered is not None:
            out[f"retention_{name}"] = altered / clean
    return out


@measurement("retention", needs=("data", "metrics"), records=("retention_*",),
             applies=lambda given: bool(given.data.eval_sets))  # the negated weights' too: see weight_negation
def retention(given: Given) -> dict[str, float]:
    """Retention of every extra test set of the data and of the negated weights (module doc)."""
    return retention_of(given.metrics, [*given.data.eval_sets, NEGATED])


MEASUREMENTS = (weight_negation, retention)
