"""Division of labour (seeds/001), measured at run time and recorded in metrics.json for the report.

On data drawn from several laws (the compositional toy: slope band k picks z = a_k·x; see
``Splits.regime_test``), the report cannot tell which part of a model serves which law without the
data, so it is measured here on the test set, on the model as training left it (with early stopping:
the weights of its best validation evaluation):

- ``unit_nmi``: normalised mutual information between the *argmax unit* of the model's first
  layer (the gate's scores for the attention model, the first hidden layer for Yat and ReLU nets)
  and the band k: 1 = the winning unit tells the band exactly, 0 = unrelated. NMI uses the
  arithmetic mean of the two entropies, 2·I(U; K)/(H(U) + H(K)), in nats on the empirical joint
  distribution; 0 when either side never varies. Models without a hidden layer get none.
- ``band_slope_<k>``: the slope the *trained model* has in band k, ∂ŷ/∂x (input 0, output 0) by
  autograd at each of the band's test points, averaged over them — every model, whatever its
  architecture, so the attention model is compared with its baselines on one measure. A model that
  has learnt law k has ∂ŷ/∂x = a_k there, whatever its parts do with y.
  ``band_slope_error``: the mean over bands (a_k ≠ 0) of |ŝ_k − a_k| / |a_k|;
  ``band_slope_recovered``: the share of those bands with that error ≤ ``SLOPE_TOLERANCE``.
- ``expert_slope_recovered`` / ``expert_slope_error`` (gated experts only): the same two numbers for
  the x-weight of each band's *dominant expert* (the gate's most frequent argmax on the band). The
  experts also see y and the gate also sees x, so this reads a part, not the model's slope; it is
  kept beside ``band_slope_*`` to show whether the laws sit in single experts.

Data without regimes get none of these.
"""

from __future__ import annotations

import torch
from torch import nn

from yatbench.measures.base import Given, measurement

SLOPE_TOLERANCE = 0.1  # a band's slope is 'recovered' within 10% (relative)


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


def band_slopes(model: nn.Module, x: torch.Tensor, bands: torch.Tensor, n_bands: int) -> list[float]:
    """Per band k < ``n_bands``, the mean over its points of ∂ŷ₀/∂x₀ (NaN for a band without points).

    One backward of Σ ŷ₀ gives every point's own derivative, because a point's output depends on that
    point alone (no batch statistics in these models; evaluated in eval mode).
    """
    inputs = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(model(inputs)[..., 0].sum(), inputs)
    slope = grad[:, 0].detach().double().cpu()
    bands = bands.cpu()
    return [float(slope[bands == k].mean()) if bool((bands == k).any()) else float("nan") for k in range(n_bands)]


def slope_errors(measured: list[float], truth: list[float]) -> list[float]:
    """|ŝ_k − a_k| / |a_k| per band with a measured slope and a_k ≠ 0 (a zero slope has no relative error)."""
    return [abs(m - a) / abs(a) for m, a in zip(measured, truth, strict=True) if a != 0 and m == m]


def _summary(prefix: str, errors: list[float]) -> dict[str, float]:
    if not errors:
        return {}
    return {f"{prefix}_recovered": sum(e <= SLOPE_TOLERANCE for e in errors) / len(errors),
            f"{prefix}_error": sum(errors) / len(errors)}


def labour_metrics(model: nn.Module, splits) -> dict[str, float]:
    """``unit_nmi``, ``band_slope_*`` and, for gated experts, ``expert_slope_*`` (module doc)."""
    if splits.regime_test is None:
        return {}
    device = next(model.parameters()).device
    x, bands = splits.x_test.to(device), splits.regime_test.cpu()
    truth = list(splits.regime_slopes)
    was_training = model.training
    model.eval()
    try:
        measured = band_slopes(model, x, bands, len(truth))
        out = {f"band_slope_{k}": value for k, value in enumerate(measured) if value == value}  # bands with points
        out.update(_summary("band_slope", slope_errors(measured, truth)))
        first = _first_layer(model)
        if first is not None:
            with torch.no_grad():
                units = first(x).argmax(-1).cpu()
            out["unit_nmi"] = nmi(units, bands)
            if is_gated_experts(model):
                out.update(_summary("expert_slope", _expert_errors(model, units, bands, truth)))
    finally:
        model.train(was_training)
    return out


def is_gated_experts(model: nn.Module) -> bool:
    """Whether ``model`` is a gate over experts (:class:`yatbench.models.attention_net.GatedExperts`), by what it has:
    asked without importing the attention model, which a run of any other model need not load."""
    return all(hasattr(model, part) for part in ("gate", "expert", "experts", "out_features"))


def _expert_errors(model: nn.Module, units: torch.Tensor, bands: torch.Tensor, truth: list[float]) -> list[float]:
    """Relative error of each band's dominant expert's weight on x (bands with points and a_k ≠ 0)."""
    weights = model.expert.weight.detach().view(model.experts, model.out_features, -1)[:, 0, 0].cpu()
    errors = []
    for band, slope in enumerate(truth):
        chosen = units[bands == band]
        if len(chosen) and slope != 0:
            errors.append(abs(float(weights[int(torch.mode(chosen).values)]) - slope) / abs(slope))
    return errors


@measurement("labour", needs=("model", "data"),
             records=("unit_nmi", "band_slope_*", "expert_slope_recovered", "expert_slope_error"),
             applies=lambda given: given.data.regime_test is not None)
def _labour(given: Given) -> dict[str, float]:
    """Division of labour on data drawn from several laws (module doc)."""
    return labour_metrics(given.model, given.data)


MEASUREMENTS = (_labour,)
