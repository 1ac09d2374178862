"""Division of labour (seeds/001), measured at run time and recorded in metrics.json for the report.

On data drawn from several laws (the compositional toy: slope band k picks z = a_k·x; see
``Splits.regime_test``), the report cannot tell which part of a model serves which law without the
data, so it is measured here on the test set:

- ``unit_nmi``: normalised mutual information between the *argmax unit* of the model's first
  layer (the gate's scores for the attention model, the first hidden layer for Yat and ReLU nets)
  and the band k: 1 = the winning unit tells the band exactly, 0 = unrelated. NMI uses the
  arithmetic mean of the two entropies, 2·I(U; K)/(H(U) + H(K)), in nats on the empirical joint
  distribution; 0 when either side never varies.
- ``expert_slope_recovered`` (gated experts only): the share of bands whose *dominant expert* (the
  gate's most frequent argmax on that band's samples) has a weight on input x within
  ``SLOPE_TOLERANCE`` (relative) of the band's true slope a_k; ``expert_slope_error``: the mean
  relative error |ŵ − a_k|/|a_k| over bands.

Models without a hidden layer (one weight matrix) and data without regimes get none of these.
"""

from __future__ import annotations

import torch
from torch import nn

from yatbench.models.attention import GatedExperts

SLOPE_TOLERANCE = 0.1  # an expert 'recovers' its band's slope within 10%


def nmi(a: torch.Tensor, b: torch.Tensor) -> float:
    """Normalised mutual information (arithmetic mean of the entropies) of two integer labelings."""
    _, ia = torch.unique(a, return_inverse=True)
    _, ib = torch.unique(b, return_inverse=True)
    joint = torch.zeros(int(ia.max()) + 1, int(ib.max()) + 1, dtype=torch.float64)
    joint.index_put_((ia, ib), torch.ones(len(ia), dtype=torch.float64), accumulate=True)
    joint /= joint.sum()
    pa, pb = joint.sum(1), joint.sum(0)

    def entropy(p: torch.Tensor) -> float:
        p = p[p > 0]
        return float(-(p * p.log()).sum())

    ha, hb = entropy(pa), entropy(pb)
    if ha == 0 or hb == 0:
        return 0.0
    nz = joint > 0
    mutual = float((joint[nz] * (joint[nz] / (pa[:, None] * pb[None, :])[nz]).log()).sum())
    return max(0.0, min(1.0, 2 * mutual / (ha + hb)))


def _first_layer(model: nn.Module) -> nn.Module | None:
    """The module holding the first weight matrix, when the model has more than one (a hidden layer)."""
    layers = [m for m in model.modules() if isinstance(getattr(m, "weight", None), torch.Tensor)
              and m.weight.dim() == 2]
    return layers[0] if len(layers) > 1 else None


@torch.no_grad()
def labour_metrics(model: nn.Module, splits) -> dict[str, float]:
    """``unit_nmi`` and, for gated experts, ``expert_slope_recovered`` and ``expert_slope_error`` (module doc)."""
    if splits.regime_test is None:
        return {}
    first = _first_layer(model)
    if first is None:
        return {}
    device = next(model.parameters()).device
    x, bands = splits.x_test.to(device), splits.regime_test.cpu()
    model.eval()
    units = first(x).argmax(-1).cpu()
    model.train()
    out = {"unit_nmi": nmi(units, bands)}
    if isinstance(model, GatedExperts):
        slopes = model.expert.weight.view(model.experts, model.out_features, -1)[:, 0, 0].cpu()
        errors = []
        for band, truth in enumerate(splits.regime_slopes):
            chosen = units[bands == band]
            if len(chosen) == 0 or truth == 0:
                continue
            expert = int(torch.mode(chosen).values)
            errors.append(abs(float(slopes[expert]) - truth) / abs(truth))
        if errors:
            out["expert_slope_recovered"] = sum(e <= SLOPE_TOLERANCE for e in errors) / len(errors)
            out["expert_slope_error"] = sum(errors) / len(errors)
    return out
