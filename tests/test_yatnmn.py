"""``yatbench.nn.YatNMN`` against the real nmn 0.3.5 ``YatNMN`` (the ``test`` extra), and learnable ε.

Constructor and state dict: the same seed gives the same numbers under the same names, and state
dicts load strictly both ways for every bias and α mode. Accuracy: against a float64 oracle whose
distance is Σ(x − w)² (no cancellation), at x = w and beside it, eager and traced.
"""

from __future__ import annotations

import io
import math
import warnings

import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from tests.test_trainer import assert_equivalent_runs, run_both
from yatbench.core.errors import UserError
from yatbench.models.yat import YatConfig
from yatbench.nn import YatLayer, YatNMN
from yatbench.report.claims.pde import epsilon_text, tuned_epsilon

nmn_torch = pytest.importorskip("nmn.torch")
NmnYatNMN = nmn_torch.YatNMN

# Every bias mode × every α mode (constant_bias and the bias options are nmn's bias modes).
BIAS_MODES = [{}, {"bias": False}, {"constant_bias": 0.25}, {"scalar_bias": True}, {"softplus_bias": True}]
ALPHA_MODES = [{}, {"alpha": False}, {"constant_alpha": True}, {"constant_alpha": 0.3}]
MODES = [{**b, **a} for b in BIAS_MODES for a in ALPHA_MODES]


def pair(seed: int = 0, d: int = 6, m: int = 4, **options: object) -> tuple[torch.nn.Module, YatNMN]:
    """nmn's layer and ours built from the same seed."""
    torch.manual_seed(seed)
    theirs = NmnYatNMN(d, m, **options)
    torch.manual_seed(seed)
    ours = YatNMN(d, m, **options)
    return theirs, ours


def oracle(x: torch.Tensor, weight: torch.Tensor, bias: float | torch.Tensor, alpha: float, eps: float) -> torch.Tensor:
    """y (N, m) in float64 with the distance from the difference: nothing cancels."""
    x, w = x.double(), weight.detach().double()
    b = bias.detach().double() if isinstance(bias, torch.Tensor) else bias
    dist = (x.unsqueeze(1) - w.unsqueeze(0)).square().sum(-1)
    return alpha * (x @ w.T + b).square() / (dist + eps)


@pytest.mark.parametrize("options", MODES, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_same_seed_same_state_dict_and_strict_loads_both_ways(options: dict) -> None:
    theirs, ours = pair(**options)
    mine, nmns = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(nmns)  # same keys, same order; a constant α or bias is no key
    assert all(torch.equal(mine[k], nmns[k]) and mine[k].dtype == nmns[k].dtype for k in mine)
    # Strict both ways between fresh layers of other seeds, then the same outputs (generic inputs).
    other_theirs, other_ours = pair(seed=1, **options)
    other_ours.load_state_dict(theirs.state_dict(), strict=True)
    other_theirs.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randn(9, 6, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(other_ours(x), theirs(x), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(other_theirs(x), ours(x), rtol=1e-5, atol=1e-6)
    assert ours.extra_repr() == theirs.extra_repr()


def test_attributes_and_options_as_nmn() -> None:
    theirs, ours = pair(learnable_epsilon=True, epsilon=1e-3, positive_init=True, lazy=True, constant_alpha=0.0)
    for name in ("in_features", "out_features", "dtype", "param_dtype", "epsilon", "learnable_epsilon", "lazy",
                 "use_alpha", "constant_alpha", "use_bias", "constant_bias", "softplus_bias", "scalar_bias",
                 "positive_init", "_constant_alpha_value", "_constant_bias_value"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert (ours.weight >= 0).all() and not ours.weight.requires_grad and ours.epsilon_param.requires_grad
    assert torch.equal(ours.epsilon_param, theirs.epsilon_param)
    # The *_init arguments and param_dtype / device are honoured as nmn does.
    theirs, ours = pair(kernel_init=torch.nn.init.ones_, bias_init=torch.nn.init.zeros_,
                        alpha_init=lambda a: torch.nn.init.constant_(a, 2.0), param_dtype=torch.float64, device="cpu")
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), theirs.state_dict().values(), strict=True))
    assert ours.weight.dtype == torch.float64 and ours.alpha.item() == 2.0


@pytest.mark.parametrize("option", ["spherical", "weight_normalized", "tie_kernel_bank"])
def test_options_not_offered_are_refused_by_name(option: str) -> None:
    with pytest.raises(ValueError, match=f"does not offer {option}=True"):
        YatNMN(4, 2, **{option: True})


@pytest.mark.parametrize("constant", [0.3, math.sqrt(2.0), 1 / 3])
def test_a_number_alpha_is_exact_in_float64(constant: float) -> None:
    torch.manual_seed(0)
    scaled = YatNMN(5, 3, constant_alpha=constant).double()
    plain = YatNMN(5, 3, alpha=False).double()
    plain.load_state_dict(scaled.state_dict(), strict=True)
    x = torch.randn(7, 5, dtype=torch.float64)
    assert "alpha" not in scaled.state_dict()
    assert torch.equal(scaled(x), plain(x) * constant)  # the Python float, not a float32 copy of it
    theirs = NmnYatNMN(5, 3, constant_alpha=constant).double()
    theirs.load_state_dict(scaled.state_dict(), strict=True)
    torch.testing.assert_close(scaled(x), theirs(x), rtol=1e-13, atol=0)


def test_learned_epsilon_gradient_matches_the_formula_and_nmn() -> None:
    theirs, ours = pair(d=4, m=3, learnable_epsilon=True, epsilon=0.05, param_dtype=torch.float64)
    x = torch.randn(5, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    # Exactly the same ε parametrisation: softplus of the same raw value.
    assert F.softplus(ours.epsilon_param).item() == pytest.approx(0.05, rel=1e-14)
    grads = [torch.autograd.grad(layer(x).square().sum(), layer.epsilon_param)[0] for layer in (ours, theirs)]
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-10, atol=0)

    def through_raw(raw: torch.Tensor, x_: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(ours, {"epsilon_param": raw}, (x_,))

    raw = ours.epsilon_param.detach().clone().requires_grad_()
    xg = x.clone().requires_grad_()
    assert torch.autograd.gradcheck(through_raw, (raw, xg))
    assert torch.autograd.gradgradcheck(through_raw, (raw, xg))


def test_learned_epsilon_is_floored_where_softplus_underflows() -> None:
    layer = YatNMN(3, 2, learnable_epsilon=True, bias=False)
    with torch.no_grad():
        layer.epsilon_param.fill_(-200.0)  # softplus(−200) = 0 in fp32
        x = layer.weight[:1].clone()  # x = w: distance exactly 0
    assert F.softplus(layer.epsilon_param).item() == 0.0
    assert layer(x).isfinite().all()  # ε = tiny, not 0: no division by zero


@pytest.mark.parametrize("move", ["half", "bfloat16", "to"])
def test_dtype_moves_keep_the_raw_epsilon_in_fp32(move: str) -> None:
    layer = YatNMN(3, 2, learnable_epsilon=True)
    raw = layer.epsilon_param
    layer.to(dtype=torch.float16) if move == "to" else getattr(layer, move)()
    assert layer.epsilon_param is raw and raw.dtype == torch.float32 and layer.weight.dtype != torch.float32


def test_half_precision_policies() -> None:
    x = torch.randn(4, 3).half()
    assert YatNMN(3, 2)(x).dtype == torch.float32  # yatbench's policy by default: fp32 out
    nmn_policy = YatNMN(3, 2, dtype=torch.float16)
    with torch.no_grad():
        nmn_policy.weight.copy_(x[:2].float())
        nmn_policy.bias.zero_()
    y = nmn_policy(x)  # asked for by dtype=: nmn's, fp16 out, saturated (‖w‖⁴/ε overflows fp16 at x = w)
    assert y.dtype == torch.float16 and y.isfinite().all() and y[0, 0] == torch.finfo(torch.float16).max


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf, "x"])
def test_a_bad_epsilon_is_a_value_error_everywhere(bad: object) -> None:
    for build in (lambda: YatNMN(3, 2, epsilon=bad), lambda: YatNMN(3, 2, epsilon=bad, learnable_epsilon=True),
                  lambda: YatLayer(3, 2, epsilon=bad)):
        with pytest.raises(ValueError) as caught:
            build()
        assert isinstance(caught.value, UserError) and "\n" not in str(caught.value)
    if isinstance(bad, str) or math.isfinite(bad):  # the config refuses NaN/∞ as every setting, later
        with pytest.raises(ValueError):
            YatConfig(epsilon=bad)


@pytest.mark.parametrize("grad", [False, True])
def test_trace_save_load_keep_the_repair(tmp_path, grad: bool) -> None:
    torch.manual_seed(0)
    layer = YatNMN(64, 8, learnable_epsilon=True).eval()
    example = torch.randn(4, 64)
    with torch.set_grad_enabled(grad), warnings.catch_warnings():
        warnings.simplefilter("error", torch.jit.TracerWarning)  # the trace check must not find two graphs
        traced = torch.jit.trace(layer, example)
    torch.jit.save(traced, str(tmp_path / "layer.pt"))
    loaded = torch.jit.load(str(tmp_path / "layer.pt"))
    w = layer.weight.detach()
    x = torch.cat([w, w * (1 + 1e-3), torch.randn(3, 64)])  # x = w, beside it, generic; another batch size
    eps = F.softplus(layer.epsilon_param.double()).item()
    expected = oracle(x, w, layer.bias, layer.alpha.item(), eps)
    matched = torch.cat([expected[:8].diagonal(), expected[8:16].diagonal()])
    for module in (layer, traced, loaded):
        got = module(x)
        mine = torch.cat([got[:8].diagonal(), got[8:16].diagonal()]).double()
        assert ((mine - matched) / matched).abs().max() < 1e-5  # x = w and beside it: the repair was traced
        torch.testing.assert_close(got, layer(x), rtol=1e-5, atol=1e-6)  # and everywhere else as eager
    xg = x.clone().requires_grad_()
    (g,) = torch.autograd.grad(loaded(xg).diagonal().sum(), xg)
    xo = x.double().requires_grad_()
    (go,) = torch.autograd.grad(oracle(xo, w, layer.bias, layer.alpha.item(), eps).diagonal().sum(), xo)
    assert ((g.double() - go).norm(dim=-1) / go.norm(dim=-1))[:8].max() < 1e-5


@pytest.mark.parametrize("d", [16, 784])
def test_accurate_at_and_beside_x_equals_w_where_nmn_is_not(d: int) -> None:
    errors = {"ours": [], "nmn": []}
    for seed in range(4):
        theirs, ours = pair(seed=seed, d=d, m=16)
        w = ours.weight.detach()
        rms = w.square().mean().sqrt()
        noise = torch.randn(w.shape, generator=torch.Generator().manual_seed(seed))
        for x in (w.clone(), w * (1 + 1e-3), w + 1e-3 * rms * noise):
            expected = oracle(x, w, ours.bias, 1.0, ours.epsilon).diagonal()
            for key, layer in (("ours", ours), ("nmn", theirs)):
                errors[key].append(((layer(x).diagonal().double() - expected) / expected).abs().max().item())
    assert max(errors["ours"]) < 2e-6  # n = 4 draws × 3 cases × 16 units
    assert max(errors["nmn"]) > 1e-2  # the cases are hard: the expanded distance cancels there


def test_state_dict_of_an_nmn_learned_epsilon_means_the_same_epsilon() -> None:
    theirs, ours = pair(learnable_epsilon=True, epsilon=1e-3)
    with torch.no_grad():
        theirs.epsilon_param.fill_(-3.0)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(5, 6)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-6)


def test_yat_layer_learns_epsilon_and_trains_seed_batched_as_alone(spec_for, tmp_path) -> None:
    layer = YatLayer(3, 2, epsilon="learnable")
    assert F.softplus(layer.epsilon_param).item() == pytest.approx(1e-5, rel=1e-6)
    assert sum(p.numel() for p in layer.parameters()) == sum(p.numel() for p in YatLayer(3, 2).parameters()) + 1
    batched, single = run_both(spec_for, tmp_path, "poisson1d", "yat", [0, 1, 2], "model.epsilon=learnable",
                               "trainer.epochs=30", "trainer.eval_every=10", "model.hidden=[6,5]",
                               "dataset.n_interior=24", "dataset.n_test=21", "dataset.lbfgs_steps=0")
    for b, s in zip(batched, single, strict=True):
        assert b.record["seed_batch"]["backend"] == "stacked"
        # alone and in a group agree to float32 rounding, as every model's runs do (tests/test_trainer.py)
        assert_equivalent_runs(b, s)
        saved_b = torch.load(b.run_dir / "model.pt")
        learned = F.softplus(saved_b["yat.0.epsilon_param"]).item()
        assert learned != pytest.approx(1e-5, rel=1e-6)  # it moved


def test_numeric_epsilon_config_is_stored_as_before() -> None:
    assert YatConfig(epsilon="0.1").epsilon == 0.1 and isinstance(YatConfig(epsilon=1).epsilon, float)
    assert YatConfig(epsilon="Learnable").epsilon == "learnable"
    with pytest.raises(UserError, match="nothing to learn"):
        YatConfig(epsilon="learnable", kernel="square")


def test_a_learned_epsilon_checkpoint_round_trips_through_bytes() -> None:
    layer = YatNMN(2, 1, learnable_epsilon=True, epsilon=1e-20, bias=False, alpha=False)
    buffer = io.BytesIO()
    torch.save(layer.state_dict(), buffer)
    buffer.seek(0)
    theirs = NmnYatNMN(2, 1, learnable_epsilon=True, epsilon=1e-20, bias=False, alpha=False)
    theirs.load_state_dict(torch.load(buffer, weights_only=True), strict=True)
    assert torch.equal(theirs.epsilon_param, layer.epsilon_param)


def test_the_pde_report_names_a_learned_epsilon_and_does_not_call_it_tuned() -> None:
    rows = {"learnable": ("learnable", False), 0.1: ("0.1", True), 1e-5: ("1e-05", False)}
    for value, (text, tuned) in rows.items():
        frame = pd.DataFrame({"model.epsilon": [value, value]})
        assert (epsilon_text(frame), tuned_epsilon(frame)) == (text, tuned)
    assert epsilon_text(pd.DataFrame({"model": ["yat"]})) == "1e-05"  # runs from before the column existed
