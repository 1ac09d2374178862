"""Whether a run solved its task: every test point right, and from which step.

For data whose dataset config declares ``track_solved`` (a class attribute: XOR's 4 corners or its blobs),
from the final metrics and the history:

- ``solved``: the final test accuracy is 1 (every test point classified correctly);
- ``steps_to_solve``: the step of the first history row with test accuracy 1, when solved (else None).
"""

from __future__ import annotations

from typing import Any

from yatbench.core.history import column
from yatbench.measures.base import Given, measurement


@measurement("solved", needs=("spec", "metrics", "history"), records=("solved", "steps_to_solve"),
             applies=lambda given: bool(getattr(given.spec.dataset, "track_solved", False)))
def solved(given: Given) -> dict[str, Any]:
    """``solved`` and ``steps_to_solve`` (module doc); nothing for a run without a test accuracy (diverged)."""
    if "test_accuracy" not in given.metrics:
        return {}
    done = given.metrics["test_accuracy"] == 1.0
    if not done:
        return {"solved": done, "steps_to_solve": None}
    accuracies = column(given.history, "test_accuracy")
    first = next((step for step, accuracy in zip(column(given.history, "step"), accuracies, strict=True)
                  if accuracy == 1.0), None)
    return {"solved": done, "steps_to_solve": first}


MEASUREMENTS = (solved,)
