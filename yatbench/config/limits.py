"""Resource limits: a model too large for this machine is refused before it is allocated.

The model's parameter shapes come from its config (``param_shapes``; a model without one is built on
PyTorch's ``meta`` device: shapes only, no memory), its parameters are counted and its training memory
estimated: 24 bytes per parameter (fp32 weights, gradients, two optimizer moments, the best weights and the
weights as initialised) plus 12 bytes per activation kept for backward (batch
rows × the output width of every weight matrix). Limits come from the config's ``limits``
block (``limits.max_params``, ``limits.max_memory_gb``; null = half this machine's RAM) and
are execution settings: they never change a run id.

Budgets are checked the same way, before any data is made: ``limits.max_steps`` bounds the
optimizer steps a run asks for (``trainer.epochs``, each at least one step, plus a PDE's
``dataset.lbfgs_steps``), so also its history rows; ``limits.max_samples`` bounds every size
setting of a dataset (an integer named ``n``, ``n_*`` or ``max_*``: points drawn, kept or tested).
A size that passes and still cannot be allocated is caught where the data is made (:mod:`yatbench.run.execute`).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, fields
from typing import Any

from yatbench.core.errors import UserError

BYTES_PER_PARAM = 24  # weight, gradient, two Adam moments, the best weights, the weights as initialised; fp32
BYTES_PER_ACTIVATION = 12  # forward value, its gradient, one temporary, fp32
FALLBACK_RAM = 8 * 2**30


def machine_ram() -> int:
    """Physical memory of this machine in bytes (8 GiB where the platform cannot say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return FALLBACK_RAM


@dataclass
class Limits:
    """``max_params``: trainable parameters; ``max_memory_gb``: estimated training memory (null: half the RAM);
    ``max_steps``: optimizer steps of one run; ``max_samples``: any one size setting of a dataset."""

    max_params: int = 100_000_000
    max_memory_gb: float | None = None
    max_steps: int = 1_000_000
    max_samples: int = 100_000_000

    def __post_init__(self) -> None:
        for key in ("max_params", "max_steps", "max_samples"):
            if getattr(self, key) < 1:
                raise UserError(f"limits.{key}={getattr(self, key)} must be >= 1")
        if self.max_memory_gb is not None and not (math.isfinite(self.max_memory_gb) and self.max_memory_gb > 0):
            raise UserError(f"limits.max_memory_gb={self.max_memory_gb} must be a positive number or null "
                            "(half this machine's RAM)")

    @property
    def max_bytes(self) -> int:
        if self.max_memory_gb is None:
            return machine_ram() // 2
        return int(self.max_memory_gb * 2**30)


def model_shapes(model: Any, in_features: int, out_features: int) -> list[tuple[int, ...]]:
    """The shapes of the trainable parameters of ``model.build(in_features, out_features)`` (``model`` a model
    config), allocating nothing: the config's own ``param_shapes`` where it has one (every built-in model: no torch
    needed, so ``sweep --dry-run`` sizes a grid without it), else the model built on the ``meta`` device.

    Built on ``meta`` with its initialisation skipped: on a meta tensor, torch runs ``normal_`` and ``uniform_``
    through their Python references, whose first call imports ``torch._dynamo`` (about a second). A meta tensor
    holds no values, so skipping the in-place fills changes no shape and no count.
    """
    own = getattr(model, "param_shapes", None)
    if callable(own):
        return [tuple(int(n) for n in shape) for shape in own(in_features, out_features)]
    import torch  # here, not at the top: `yatbench list` and `sweep --dry-run` read configs without torch

    with torch.device("meta"), _skip_meta_fills():
        built = model.build(in_features, out_features)
    return [tuple(p.shape) for p in built.parameters() if p.requires_grad]


def estimate(shapes: list[tuple[int, ...]], batch: int) -> tuple[int, int]:
    """(trainable parameters, estimated training bytes) of a model whose parameters have these ``shapes``."""
    count = sum(math.prod(shape) for shape in shapes)
    widths = sum(shape[0] for shape in shapes if len(shape) >= 2)
    return count, BYTES_PER_PARAM * count + BYTES_PER_ACTIVATION * batch * widths


def _skip_meta_fills() -> Any:
    """A torch function mode in which an in-place operation (``normal_``, ``zero_``, ``copy_`` …) on a meta
    tensor returns that tensor untouched; everything else runs as usual."""
    from torch import Tensor
    from torch.overrides import TorchFunctionMode

    class SkipMetaFills(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                               kwargs: dict[str, Any] | None = None) -> Any:
            name = getattr(func, "__name__", "")
            if name.endswith("_") and not name.endswith("__") and args and isinstance(args[0], Tensor) \
                    and args[0].is_meta:
                return args[0]
            return func(*args, **(kwargs or {}))

    return SkipMetaFills()


def check_model_size(model: Any, in_features: int, out_features: int, batch: int, limits: Limits,
                     what: str) -> None:
    """Raise one :class:`UserError` line when ``model.build(in_features, out_features)`` (``model`` a model config)
    would exceed ``limits``, before anything is allocated."""
    try:
        count, needed = estimate(model_shapes(model, in_features, out_features), batch)
    except (OverflowError, RuntimeError, TypeError, ValueError) as exc:  # a width torch cannot even describe
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{what} cannot be built with these sizes ({reason[:120]}); make it smaller") from None
    if count > limits.max_params:
        raise UserError(f"{what} has {count:,} parameters, over limits.max_params={limits.max_params:,}; "
                        "make it smaller or raise the limit (limits.max_params=N)")
    if needed > limits.max_bytes:
        raise UserError(f"{what} needs about {needed / 2**30:.1f} GiB to train, over the limit of "
                        f"{limits.max_bytes / 2**30:.1f} GiB; make it smaller or raise limits.max_memory_gb")


# A dataset setting that is a count of examples or points, by the naming convention of the dataset configs.
SIZE_SETTING = re.compile(r"^(n|n_\w+|max_\w+)$")


def check_budget(dataset: Any, trainer: Any, limits: Limits) -> None:
    """Refuse, in one line and before any data is made, a run whose steps or data sizes exceed ``limits``."""
    steps = int(getattr(trainer, "epochs", 0)) + int(getattr(dataset, "lbfgs_steps", 0) or 0)
    if steps > limits.max_steps:
        asked = "trainer.epochs" + (" + dataset.lbfgs_steps" if getattr(dataset, "lbfgs_steps", 0) else "")
        raise UserError(f"{asked} = {steps:,} optimizer steps, over limits.max_steps={limits.max_steps:,}; "
                        "ask for fewer or raise the limit (limits.max_steps=N)")
    for item in fields(dataset):
        value = getattr(dataset, item.name)
        if SIZE_SETTING.match(item.name) and isinstance(value, int) and not isinstance(value, bool) \
                and value > limits.max_samples:
            raise UserError(f"dataset.{item.name}={value:,} is over limits.max_samples={limits.max_samples:,}; "
                            "ask for fewer or raise the limit (limits.max_samples=N)")
