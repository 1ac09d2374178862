"""Train with torch's optimizers without importing ``torch._dynamo`` (the compiler), which eager training never uses.

torch guards its optimizers against the compiler: ``Optimizer.add_param_group`` and ``zero_grad`` are wrapped by
``torch._disable_dynamo``, and every ``step`` by a wrapper that calls ``torch._dynamo.graph_break()``. Each
guard imports ``torch._dynamo`` (and sympy with it) at its first call: 1-2 s measured, as long as ``import torch``
itself, and most of what a first ``yatbench run`` spent beyond it. While ``torch._dynamo`` is not imported
nothing can be compiling, so each guard does nothing but that import; these calls skip it:

- :func:`defer_dynamo_import` lets the ``_disable_dynamo`` wrappers of :class:`torch.optim.Optimizer` call the
  method itself until ``torch._dynamo`` has been imported by anyone (then torch's own path runs again);
- :func:`plain_step` calls an optimizer's ``step`` inside ``torch.no_grad()`` (what the guard sets for a
  non-differentiable optimizer) without the guard, and without the profiling hook wrapper, whose hooks
  yatbench never registers; once ``torch._dynamo`` is imported it is ``optimizer.step()`` again. yatbench's
  own Adam (``yatbench/train/adam.py``) has no guard: its ``update`` is called.

Same arithmetic, same numbers: the guards change no value. A torch whose wrappers look different is left as it
is; the import is then only slower.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import torch
from torch.optim import optimizer as torch_optimizer

from yatbench.train.adam import LeanAdam

DYNAMO = "torch._dynamo"


def defer_dynamo_import() -> None:
    """Make the ``_disable_dynamo`` wrappers of :class:`torch.optim.Optimizer`'s methods call the method itself
    while ``torch._dynamo`` is not imported.

    Such a wrapper looks for the disabled form in the method's ``__dynamo_disable`` attribute and imports
    ``torch._dynamo`` to make one when there is none; this puts there a stand-in that calls the method directly,
    and that removes itself (the wrapper then makes torch's own) at its first call after the import.
    """
    if DYNAMO in sys.modules:
        return
    guard = getattr(torch, "_disable_dynamo", None)
    if guard is None:
        return
    inner = guard(lambda: None).__code__  # the code every such wrapper runs
    for wrapper in vars(torch.optim.Optimizer).values():
        method = getattr(wrapper, "__wrapped__", None)
        if getattr(wrapper, "__code__", None) is inner and callable(method) and not hasattr(method, "__dynamo_disable"):
            method.__dynamo_disable = _direct(method, wrapper)


def _direct(method: Callable[..., Any], wrapper: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` itself while ``torch._dynamo`` is not imported; after, torch's ``wrapper`` as it was."""

    def call(*args: Any, **kwargs: Any) -> Any:
        if DYNAMO in sys.modules:
            vars(method).pop("__dynamo_disable", None)  # the wrapper makes its own again
            return wrapper(*args, **kwargs)
        return method(*args, **kwargs)

    return call


def _code(wrap: Callable[..., Any]) -> Any:
    """The code of the wrapper ``wrap`` makes (None when torch has no such decorator)."""
    try:
        return wrap(lambda *args, **kwargs: None).__code__
    except Exception:  # another torch: nothing to recognise
        return None


_HOOKED = _code(getattr(torch.optim.Optimizer, "profile_hook_step", lambda f: f))
_GUARDED = _code(getattr(torch_optimizer, "_use_grad_for_differentiable", lambda f: f))


def _raw_step(optimizer: torch.optim.Optimizer) -> Callable[..., Any] | None:
    """The optimizer's own ``step`` under exactly torch's two wrappers (hooks, then compiler guard), else None."""
    hooked = type(optimizer).step
    guarded = getattr(hooked, "__wrapped__", None)
    raw = getattr(guarded, "__wrapped__", None)
    if getattr(hooked, "__code__", None) is not _HOOKED or getattr(guarded, "__code__", None) is not _GUARDED \
            or not callable(raw):
        return None
    return raw


def plain_step(optimizer: torch.optim.Optimizer) -> None:
    """``optimizer.step()`` without torch's compiler guard while ``torch._dynamo`` is not imported (see above)."""
    hooks = (getattr(torch_optimizer, "_global_optimizer_pre_hooks", None),
             getattr(torch_optimizer, "_global_optimizer_post_hooks", None),
             optimizer._optimizer_step_pre_hooks, optimizer._optimizer_step_post_hooks)
    if isinstance(optimizer, LeanAdam) and not any(hooks):
        optimizer.update()  # its step has no compiler guard; this skips the profiling wrapper (15 µs) too
        return
    raw = _raw_step(optimizer)
    if raw is None or DYNAMO in sys.modules or optimizer.defaults.get("differentiable") or any(hooks):
        optimizer.step()
        return
    with torch.no_grad():
        raw(optimizer)


defer_dynamo_import()
