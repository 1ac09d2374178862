"""Gradient norms per layer, at initialisation and after training, recorded in metrics.json.

Whether a deep stack without activations or normalisation trains (seeds/004) shows in how the
loss gradient reaches each layer: vanishing or exploding norms from the readout back to the first
layer. For every weight matrix of the model, in order from input to output (layer 1 = the first),
the Frobenius norm of ∂loss/∂W on the first ``SAMPLES`` training samples (one full-batch
backward, the training loss function), once for the model as initialised (its tensors from before
training) and once for the trained one:

    grad_norm_init_1 … grad_norm_init_L,  grad_norm_final_1 … grad_norm_final_L

Only scalars go into the record, so a run of depth L adds 2·L columns. The model is measured as it
trains (training mode: a batch norm uses the batch's statistics); its buffers (a batch norm's running
statistics) are put back afterwards, so measuring never changes the model that is saved and scored.

Seeds trained together are measured together (:func:`stacked_layer_gradient_norms`): their tensors
stacked, one forward through the model's ``forward_stacked`` and one backward of the sum of the seeds'
losses, whose gradient with respect to a seed's slice is that seed's alone. The same numbers as one by
one, beyond rounding (a batched product rounds otherwise than a single one); a model with buffers
(a batch norm) is measured one by one.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn

from yatbench.data.base import Splits
from yatbench.measures.base import Given, measurement
from yatbench.nn.stacked import backend_of, stacked_forward
from yatbench.train.objective import loss_function, loss_target, per_seed_loss
from yatbench.train.stacked import same_shapes, seed_set

SAMPLES = 2048
STACK_WORK = 2**26  # at most this many seeds × samples × parameters in one stacked pass: bounds its memory


def layer_gradient_norms(model: nn.Module, splits: Splits) -> list[float]:
    """‖∂loss/∂W‖_F for each weight matrix of ``model``, input to output (NaN where the loss is not finite)."""
    device = next(model.parameters()).device
    x = splits.x_train[:SAMPLES].to(device)
    target = loss_target(splits.y_train[:SAMPLES].to(device), splits)
    matrices = [p for p in model.parameters() if p.dim() == 2 and p.requires_grad]
    model.zero_grad(set_to_none=True)
    buffers = {name: value.clone() for name, value in model.named_buffers()}
    try:
        loss = loss_function(splits)(model(x), target)
        if not torch.isfinite(loss):
            return [math.nan] * len(matrices)
        grads = torch.autograd.grad(loss, matrices, allow_unused=True)
    finally:  # after the backward, which reads the statistics the forward saw
        with torch.no_grad():
            for name, value in model.named_buffers():
                value.copy_(buffers[name])
    return [float(g.norm()) if g is not None else 0.0 for g in grads]


def stacked_layer_gradient_norms(prototype: nn.Module, states: Sequence[Mapping[str, Tensor]],
                                 all_splits: Sequence[Splits]) -> Tensor:
    """(S, L): :func:`layer_gradient_norms` of S models shaped as ``prototype`` holding ``states`` (each a
    ``state_dict``), on their own data, in one stacked pass. The prototype must have no buffers."""
    device = next(prototype.parameters()).device
    trained = {name for name, p in prototype.named_parameters() if p.requires_grad}
    matrices = [name for name, p in prototype.named_parameters() if p.dim() == 2 and p.requires_grad]
    with torch.no_grad():
        params = {name: torch.stack([state[name] for state in states]).to(device).requires_grad_(name in trained)
                  for name in states[0]}
    train = seed_set(all_splits, "train", device)  # as the trainer stacks it (one shared copy where seeds share data)
    forward, _ = stacked_forward(prototype)
    losses = per_seed_loss(forward(params, train.x[:, :SAMPLES]), train.target[:, :SAMPLES], all_splits[0])
    grads = torch.autograd.grad(losses.sum(), [params[name] for name in matrices], allow_unused=True)
    zeros = torch.zeros(len(states), device=device)
    norms = torch.stack([g.flatten(1).norm(dim=1) if g is not None else zeros for g in grads], 1)
    return torch.where(torch.isfinite(losses).unsqueeze(1), norms, math.nan)


def named_norms(initial: Sequence[float], final: Sequence[float]) -> dict[str, float]:
    """``grad_norm_init_<l>`` and ``grad_norm_final_<l>`` for l = 1 … L (see the module doc)."""
    out = {}
    for name, norms in (("init", initial), ("final", final)):
        for layer, norm in enumerate(norms, start=1):
            out[f"grad_norm_{name}_{layer}"] = norm
    return out


def gradient_metrics(initial: nn.Module, trained: nn.Module, splits: Splits) -> dict[str, float]:
    """The gradient norms of two models (the module doc), one by one."""
    return named_norms(layer_gradient_norms(initial, splits), layer_gradient_norms(trained, splits))


def as_initialised(trained: nn.Module, state: Mapping[str, Tensor]) -> nn.Module:
    """A copy of ``trained`` holding its tensors of before training, in training mode (as it was built)."""
    model = copy.deepcopy(trained)
    model.load_state_dict(state)
    return model.train()


def _gradients_together(group: list[Given]) -> list[dict[str, float]] | None:
    """Seeds trained together, measured in stacked passes; ``None`` for a model that cannot (module doc)."""
    prototype, all_splits = group[0].model, [given.data for given in group]
    if len(group) < 2 or backend_of(prototype) != "stacked" or any(True for _ in prototype.buffers()) \
            or not same_shapes(all_splits):
        return None
    size = sum(p.numel() for p in prototype.parameters()) * min(SAMPLES, all_splits[0].x_train.shape[0])
    chunk = max(1, STACK_WORK // max(1, size))
    rows: list[dict[str, float]] = []
    for lo in range(0, len(group), chunk):
        part = group[lo:lo + chunk]
        splits = all_splits[lo:lo + chunk]
        initial = stacked_layer_gradient_norms(prototype, [given.initial_state for given in part], splits)
        final = stacked_layer_gradient_norms(prototype, [given.model.state_dict() for given in part], splits)
        rows += [named_norms(i, f) for i, f in zip(initial.tolist(), final.tolist(), strict=True)]
    return rows


@measurement("gradients", needs=("model", "initial_state", "data"),
             records=("grad_norm_init_*", "grad_norm_final_*"), group=_gradients_together)
def _gradients(given: Given) -> dict[str, float]:
    """Gradient norms per layer of the model as initialised and as trained (module doc)."""
    return gradient_metrics(as_initialised(given.model, given.initial_state), given.model, given.data)


MEASUREMENTS = (_gradients,)
