"""Gradient norms per layer, at initialisation and after training, recorded in metrics.json.

Whether a deep stack without activations or normalisation trains (seeds/004) shows in how the
loss gradient reaches each layer: vanishing or exploding norms from the readout back to the first
layer. For every weight matrix of the model, in order from input to output (layer 1 = the first),
the Frobenius norm of ∂loss/∂W on the first ``SAMPLES`` training samples (one full-batch
backward, the training loss function), once for the freshly initialised model (rebuilt from the
same config and seed) and once for the trained one:

    grad_norm_init_1 … grad_norm_init_L,  grad_norm_final_1 … grad_norm_final_L

Only scalars go into the record, so a run of depth L adds 2·L columns. The model is measured as it
trains (training mode: a batch norm uses the batch's statistics); its buffers (a batch norm's running
statistics) are put back afterwards, so measuring never changes the model that is saved and scored.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from yatbench.measures.base import Given, measurement
from yatbench.train.objective import loss_function, loss_target

SAMPLES = 2048


def layer_gradient_norms(model: nn.Module, splits) -> list[float]:
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


def gradient_metrics(initial: nn.Module, trained: nn.Module, splits) -> dict[str, float]:
    """``grad_norm_init_<l>`` and ``grad_norm_final_<l>`` for l = 1 … L (see the module doc)."""
    out = {}
    for name, model in (("init", initial), ("final", trained)):
        for layer, norm in enumerate(layer_gradient_norms(model, splits), start=1):
            out[f"grad_norm_{name}_{layer}"] = norm
    return out


@measurement("gradients", needs=("model", "initial", "data"), records=("grad_norm_init_*", "grad_norm_final_*"))
def _gradients(given: Given) -> dict[str, float]:
    """Gradient norms per layer of the model as initialised (rebuilt) and as trained (module doc)."""
    return gradient_metrics(given.initial(), given.model, given.data)


MEASUREMENTS = (_gradients,)
