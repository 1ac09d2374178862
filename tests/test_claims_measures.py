"""Issue 21, item 6: the measures behind three seed claims test the seeds' own sentences.

- each band's slope is the trained model's ∂ŷ/∂x, recovered exactly from hand-built models (a gated
  mixture whose gate and experts are set by hand, a ReLU net), whatever the experts do with y;
- softmax sharpening is judged against the linear classifier trained alike (contradicted when linear
  sharpens as much);
- the cost objection counts the on-chip running state of streamed computations that give the real
  layers' outputs, and training memory counts a first layer's resident weight once.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from yatbench.data.compositional import CompositionalConfig
from yatbench.measures.labour import band_slopes, labour_metrics
from yatbench.measures.onchip import SCHEMES, streamed, training_bytes
from yatbench.models.attention_net import GatedExperts
from yatbench.models.relu import ReluConfig
from yatbench.nn.yat import YatLayer
from yatbench.report.claims.base import CONTRADICTED, NOT_ENOUGH, SUPPORTED
from yatbench.report.claims.cost import cost_memory
from yatbench.report.claims.sharpening import Curve, judge

SLOPES = (-2.0, -1.0, 0.5, 1.5, 3.0)


def banded_experts(pairs: int = 1, y_weight: float = 7.0) -> GatedExperts:
    """A gate that picks band k = ⌊y⌋ (hard: score_k = s·k·y − s·k(k+1)/2, whose argmax is ⌊y⌋), and experts whose
    law on band k is z = a_k·x. With ``pairs`` = 2, each band's law is split in halves over two experts the gate
    weights equally: x-weights 2a_k and 0, so no single expert carries the slope but the model does. Every expert
    also weighs y (``y_weight``) and has a bias of its own: the model's slope in x must not depend on either."""
    k = len(SLOPES)
    model = GatedExperts(2, 1, experts=k * pairs, temperature=1.0)
    sharp = 1e5
    with torch.no_grad():
        band = torch.arange(k, dtype=torch.float32).repeat(pairs)
        model.gate.weight.copy_(torch.stack([torch.zeros_like(band), sharp * band], dim=1))
        model.gate.bias.copy_(-sharp * band * (band + 1) / 2)
        laws = torch.tensor(SLOPES)
        x_weight = laws if pairs == 1 else torch.cat([2 * laws, torch.zeros(k)])
        model.expert.weight.copy_(torch.stack([x_weight, torch.full_like(x_weight, y_weight)], dim=1))
        model.expert.bias.copy_(torch.linspace(-3, 3, k * pairs))
    return model


def interior_points(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Points of every band away from its edges (where a hard gate could still mix), with their bands."""
    gen = torch.Generator().manual_seed(seed)
    bands = torch.arange(len(SLOPES)).repeat_interleave(20)
    y = bands + 0.05 + 0.9 * torch.rand(len(bands), generator=gen)
    return torch.stack([5 * torch.rand(len(bands), generator=gen), y], dim=1), bands


@pytest.mark.parametrize("seed", [0, 1])
def test_band_slopes_of_hand_built_experts_are_their_laws(seed: int) -> None:
    x, bands = interior_points(seed)
    measured = band_slopes(banded_experts(), x, bands, len(SLOPES))
    assert measured == pytest.approx(SLOPES, abs=1e-5)
    # Split over two experts each: the model's slope is the law; the dominant expert's x-weight is 2a_k or 0.
    split = band_slopes(banded_experts(pairs=2, y_weight=-3.0), x, bands, len(SLOPES))
    assert split == pytest.approx(SLOPES, abs=1e-5)


def test_labour_metrics_on_the_compositional_data_read_the_model_not_its_parts() -> None:
    splits = CompositionalConfig(slopes=list(SLOPES)).load(3)
    whole = labour_metrics(banded_experts(), splits)
    assert [whole[f"band_slope_{k}"] for k in range(5)] == pytest.approx(SLOPES, abs=1e-4)
    assert whole["band_slope_recovered"] == 1.0 and whole["band_slope_error"] < 1e-4
    assert whole["unit_nmi"] == pytest.approx(1.0) and whole["expert_slope_recovered"] == 1.0
    split = labour_metrics(banded_experts(pairs=2), splits)
    assert split["band_slope_recovered"] == 1.0 and split["band_slope_error"] < 1e-4
    # The old reading, the dominant expert's x-weight, is 2a_k or 0 here: 100% off on every band.
    assert split["expert_slope_recovered"] == 0.0 and split["expert_slope_error"] == pytest.approx(1.0, abs=1e-6)


def test_band_slopes_of_a_hand_built_relu_net() -> None:
    """ŷ = 1.5·relu(x) + 3·relu(y − 2.5): slope 1.5 in every band (x ≥ 0 on the toy), 1 band of 5 recovered."""
    net = ReluConfig(hidden=[2]).build(2, 1)
    first, readout = (m for m in net.modules() if isinstance(m, nn.Linear))
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        first.bias.copy_(torch.tensor([0.0, -2.5]))
        readout.weight.copy_(torch.tensor([[1.5, 3.0]]))
        readout.bias.zero_()
    splits = CompositionalConfig(slopes=list(SLOPES)).load(0)
    got = labour_metrics(net, splits)
    assert [got[f"band_slope_{k}"] for k in range(5)] == pytest.approx([1.5] * 5, abs=1e-6)
    assert got["band_slope_recovered"] == pytest.approx(0.2)
    errors = [abs(1.5 - a) / abs(a) for a in SLOPES]
    assert got["band_slope_error"] == pytest.approx(sum(errors) / 5, rel=1e-6)
    assert "expert_slope_recovered" not in got and 0 <= got["unit_nmi"] <= 1


def curves(ends: list[float], first: float = 0.2) -> dict[int, Curve]:
    return {seed: Curve(first, end, 0.0) for seed, end in enumerate(ends)}


def test_sharpening_is_contradicted_when_linear_sharpens_as_much() -> None:
    yat = curves([0.83, 0.85, 0.81, 0.84])
    assert judge(yat, curves([0.83, 0.85, 0.81, 0.84], first=0.4)).verdict == CONTRADICTED  # as much
    beaten = judge(yat, curves([0.90, 0.91, 0.88, 0.92]))
    assert beaten.verdict == CONTRADICTED and beaten.earned_by == "none (baseline wins)"
    ahead = judge(yat, curves([0.70, 0.74, 0.69, 0.72]))
    assert ahead.verdict == SUPPORTED and ahead.ahead.lo > 0
    assert judge(yat, curves([0.80, 0.88, 0.78, 0.86])).verdict == NOT_ENOUGH  # the paired CI spans 0
    # Only the seeds both arms ran are paired.
    assert judge(yat, {**curves([0.70, 0.74, 0.69]), 9: Curve(0.2, 0.99, 0.0)}).ahead.n == 3


@pytest.mark.parametrize("batch,fan_in,fan_out,tile,chunk", [(1, 10, 7, 1, 3), (3, 33, 8, 3, 16), (2, 5, 4, 4, 64)])
def test_streamed_layers_give_the_real_layers_outputs_and_count_their_running_state(
        batch: int, fan_in: int, fan_out: int, tile: int, chunk: int) -> None:
    torch.manual_seed(fan_in)
    x = torch.randn(batch, fan_in)
    linear, yat = nn.Linear(fan_in, fan_out), YatLayer(fan_in, fan_out, epsilon=1e-3)
    with torch.no_grad():
        dot = streamed(x, linear.weight, linear.bias, "linear", tile, chunk)
        assert torch.allclose(dot.out, linear(x), rtol=1e-5, atol=1e-6)
        per_tile = batch * min(tile, fan_out) * 4  # fp32 running totals of the first (largest) tile
        assert dot.state_bytes == per_tile
        state = {}
        for scheme in SCHEMES:
            got = streamed(x, yat.weight, yat.bias, scheme, tile, chunk, alpha=float(yat.alpha), epsilon=1e-3)
            assert torch.allclose(got.out, yat(x), rtol=1e-4, atol=1e-6), scheme
            state[scheme] = got.state_bytes
    assert state == {"seed": per_tile + batch * 4, "direct": 2 * per_tile, "norms_first": per_tile}


def test_training_memory_counts_a_first_layers_resident_weight_once() -> None:
    torch.manual_seed(0)
    layer, baseline = YatLayer(64, 32), nn.Sequential(nn.Linear(64, 32), nn.ReLU())
    weight = layer.weight.numel() * 4
    for needs_grad in (True, False):  # hidden layer, first layer
        x = torch.randn(16, 64, requires_grad=needs_grad)
        yat, base = training_bytes(layer, x), training_bytes(baseline, x)
        params = sum(p.numel() * 4 for p in layer.parameters())
        assert yat >= params + x.numel() * 4  # the weight, and at least the input kept for backward
        assert abs(yat - base) < weight  # whatever differs, it is not a second copy of W


def test_the_cost_claim_is_decided_on_the_running_state() -> None:
    (claim,) = cost_memory(None)
    assert claim.verdict == CONTRADICTED and claim.kind == "analytic"
    assert "seed: 2× at 1, 1.12× at 8" in claim.evidence and "direct: 2× at 1, 2× at 8, 2× at 64" in claim.evidence
    assert "first layer: YatLayer 1.00" in " ".join(claim.notes)
