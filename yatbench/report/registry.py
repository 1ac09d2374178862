"""The models the report knows, read from the config group: their order in tables and their look in figures.

Nothing here lists the models by hand. The order and the styles follow the sorted names of
``conf/model/`` (:func:`yatbench.config.confdir.packaged_names`), so a model added there gets its own
row place, colour and marker; a model the group does not hold (one from a user's config folder) sorts
after them and is styled by the figure that draws it (see :func:`yatbench.report.style.color`).
The one fixed choice is :data:`SUBJECT`: the model every comparison is about comes first and keeps
its colour and marker in every figure.
"""

from __future__ import annotations

from functools import cache

from yatbench.config.confdir import packaged_names

SUBJECT = "yat"


@cache
def model_names() -> tuple[str, ...]:
    """The packaged models, :data:`SUBJECT` first, then the others by name."""
    names = packaged_names("model")
    return (*(n for n in names if n == SUBJECT), *(n for n in names if n != SUBJECT))


def model_rank(name: str) -> int:
    """``name``'s place in tables: its index in :func:`model_names`, after all of them if it is not there."""
    names = model_names()
    return names.index(name) if name in names else len(names)
