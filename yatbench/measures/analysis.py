"""Run-time measurements that need the training data, recorded in metrics.json for the report.

The report never loads training data, so what it cannot compute from weights alone is
measured here, while the run still holds its data:

- ``prototype_class_corr``: for a model whose first layer *is* its classifier (one weight row
  per class: the Yat prototype classifier, the linear classifier), the mean over classes k of
  the Pearson correlation between weight row k and the mean training input of class k, taken
  as the model sees the inputs (centred when the dataset centres them). 1 = each prototype
  is its class's average image up to scale and offset.
- ``prototype_class_abs_corr``: the same with |correlation|. A Yat neuron's numerator
  (w·x + b)² cannot tell a template from its negative, and with small weights the distance
  term barely can either, so a Yat prototype may be its digit drawn in negative; this is the
  fair "looks like its digit" measure for both models.
- ``prototype_self_match``: the share of classes whose weight row has the largest |correlation|
  with its own class mean (1.0 = every prototype is recognisably its own digit).

The class means themselves (the mean training image per class, as the model saw it) are also
saved in the run folder (``class_means.npy``, see :func:`class_means`), so that the report can draw
them beside the prototypes without loading the data.

The geometry of the prototypes among themselves (mean |cosine|) needs no data: the report
computes it from model.pt.

Models whose first layer is not per-class (ReLU, attention, Yat with a readout) get none of these.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from yatbench.measures.base import Given, Measured, measurement


def is_prototype_classifier(model: nn.Module, out_features: int) -> bool:
    """True when the only weight matrix of the model is its first layer, with one row per output."""
    matrices = [p for p in model.parameters() if p.dim() >= 2]
    return len(matrices) == 1 and matrices[0].shape[0] == out_features and out_features > 1


def has_class_means(splits: Any) -> bool:
    """Whether the data is image classification (more than one class): what class means are taken of."""
    return splits.task == "classification" and getattr(splits, "image_shape", None) is not None \
        and splits.out_features >= 2


@torch.no_grad()
def class_means(splits: Any) -> torch.Tensor | None:
    """(classes × features) mean training input per class, as the model sees it (after preprocessing).

    None for anything but image classification; a class with no training sample gets zeros.
    """
    if not has_class_means(splits):
        return None
    x = splits.x_train.double().cpu().reshape(len(splits.x_train), -1)
    y = splits.y_train.cpu()
    return torch.stack([x[y == k].mean(0) if (y == k).any() else torch.zeros(x.shape[1])
                        for k in range(splits.out_features)])


@torch.no_grad()
def prototype_metrics(model: nn.Module, means: torch.Tensor | None) -> dict[str, float]:
    """``prototype_class_corr``, ``prototype_class_abs_corr`` and ``prototype_self_match`` (see module doc).

    ``means`` is :func:`class_means` of the run's data. Returns {} where there are none (regression data,
    non-image data) and for models that are not prototype classifiers.
    """
    if means is None or not is_prototype_classifier(model, means.shape[0]):
        return {}
    weights = model.input_weights()[0].detach().double().cpu()
    classes = means.shape[0]
    corr = _pearson(weights, means)  # (prototype, class)
    own = corr.diagonal()
    return {
        "prototype_class_corr": float(own.mean()),
        "prototype_class_abs_corr": float(own.abs().mean()),
        "prototype_self_match": float((corr.abs().argmax(1) == torch.arange(classes)).double().mean()),
    }


def _pearson(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pearson correlation between every row of ``a`` and every row of ``b``."""
    a = a - a.mean(1, keepdim=True)
    b = b - b.mean(1, keepdim=True)
    a = a / a.norm(dim=1, keepdim=True).clamp_min(1e-12)
    b = b / b.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return a @ b.t()


@measurement("class_means", needs=("data",), records=(), artifacts=("class_means",),
             applies=lambda given: has_class_means(given.data))
def _saved_class_means(given: Given) -> Measured:
    """The mean training image per class, saved beside the run for the report to draw next to the prototypes."""
    return Measured(artifacts={"class_means": class_means(given.data).float().numpy()})


@measurement("prototypes", needs=("data", "model"),
             records=("prototype_class_corr", "prototype_class_abs_corr", "prototype_self_match"),
             applies=lambda given: has_class_means(given.data)
             and is_prototype_classifier(given.model, given.data.out_features))
def _prototypes(given: Given) -> dict[str, float]:
    """How much each prototype classifier's weight row looks like its class's mean image (module doc)."""
    return prototype_metrics(given.model, class_means(given.data))


MEASUREMENTS = (_saved_class_means, _prototypes)
