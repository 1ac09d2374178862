"""The Yat layer: parity with nmn, gradients, formula facts, dtypes, options, torch.func, benchmark."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch.func import functional_call, grad, vmap

from yatbench.core.errors import UserError
from yatbench.nn import YatLayer, yat_product, yat_reference
from yatbench.nn.cancellation import KAPPA

BIASES = ["inside", "outside", "none"]
ALPHAS = ["learnable", "none", 2.5]


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-30)).item()


def _params(layer: YatLayer) -> dict[str, torch.Tensor]:
    return dict(layer.named_parameters())


# --- parity with nmn -------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(8, 5, 3), (64, 784, 32), (3, 7, 20, 16)])
def test_matches_nmn_at_defaults(shape: tuple[int, ...]) -> None:
    nmn_torch = pytest.importorskip("nmn.torch.nmn")
    torch.manual_seed(0)
    *lead, d_in, d_out = shape
    ref = nmn_torch.YatNMN(d_in, d_out)
    with torch.no_grad():  # a non-trivial alpha, so its placement is tested too
        ref.alpha.fill_(1.7)
    ours = YatLayer(d_in, d_out)
    ours.load_state_dict(ref.state_dict())  # same names and shapes: weight, bias, alpha
    x = torch.randn(*lead, d_in)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    y_ref, y = ref(x1), ours(x2)
    assert y.shape == y_ref.shape == (*lead, d_out)
    assert _rel(y, y_ref) <= 1e-5
    g = torch.randn_like(y)
    (y_ref * g).sum().backward()
    (y * g).sum().backward()
    assert _rel(x2.grad, x1.grad) <= 1e-5
    ref_params = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        assert _rel(p.grad, ref_params[name].grad) <= 1e-5, name


def test_init_matches_nmn_distribution() -> None:
    torch.manual_seed(0)
    layer = YatLayer(400, 300)
    assert layer.weight.shape == (300, 400) and layer.bias.shape == (300,) and layer.alpha.shape == (1,)
    assert isinstance(layer.alpha, torch.nn.Parameter) and layer.alpha.item() == 1.0
    assert layer.weight.std().item() == pytest.approx(math.sqrt(2 / 700), rel=0.05)  # xavier normal
    assert layer.bias.abs().max().item() <= 1 / math.sqrt(400)
    assert layer.bias.abs().max().item() > 0.9 / math.sqrt(400)


# --- gradients -----------------------------------------------------------------------------


def _inputs(
    bias: str, alpha: object, dtype: torch.dtype, n: int = 5, d: int = 4, m: int = 3, near: bool = False
) -> tuple:
    torch.manual_seed(1)
    x = torch.randn(n, d, dtype=dtype)
    w = torch.randn(m, d, dtype=dtype)
    if near:  # one pair where the expanded distance has cancelled: D + ε < KAPPA (‖x‖² + ‖w‖²)
        x[0] *= 10
        w[0] = x[0] + 1e-3
    x.requires_grad_()
    w.requires_grad_()
    b = None if bias == "none" else (0.5 * torch.randn(m, dtype=dtype)).requires_grad_()
    if alpha == "learnable":
        a = torch.tensor([1.3], dtype=dtype, requires_grad=True)
    elif alpha == "none":
        a = None
    else:
        a = float(alpha)
    return x, w, b, a


@pytest.mark.parametrize(("bias", "alpha", "eps"), list(itertools.product(BIASES, ALPHAS, [1e-5, 0.3])))
def test_gradcheck_and_gradgradcheck_all_options(bias: str, alpha: object, eps: float) -> None:
    """First and second derivatives (float64); with ε = 0.3 also through a repaired entry (x ≈ w,
    where finite differences stay well conditioned)."""
    x, w, b, a = _inputs(bias, alpha, torch.float64, near=eps > 0.1)
    if eps > 0.1:
        den = ((x[0] - w[0]) ** 2).sum() + eps
        assert den < KAPPA * (x[0] @ x[0] + w[0] @ w[0])
    tensors = [t for t in (x, w, b, a) if isinstance(t, torch.Tensor)]

    def f(*ts: torch.Tensor) -> torch.Tensor:
        it = iter(ts)
        xx, ww = next(it), next(it)
        bb = next(it) if b is not None else None
        aa = next(it) if isinstance(a, torch.Tensor) else a
        return yat_product(xx, ww, bb, aa, eps, bias)

    assert torch.autograd.gradcheck(f, tensors, eps=1e-6, atol=1e-6, rtol=1e-5)
    assert torch.autograd.gradgradcheck(f, tensors, eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize(("bias", "alpha"), list(itertools.product(BIASES, ALPHAS)))
def test_fast_path_equals_reference(bias: str, alpha: object) -> None:
    torch.manual_seed(2)
    layer = YatLayer(12, 7, bias=bias, alpha=alpha, epsilon=1e-3)
    if isinstance(layer.alpha, torch.nn.Parameter):
        with torch.no_grad():
            layer.alpha.fill_(0.8)
    x = torch.randn(2, 9, 12)
    outs, grads = [], []
    for use_ref in (False, True):
        layer.zero_grad(set_to_none=True)
        xi = x.clone().requires_grad_()
        if use_ref:
            y = yat_reference(xi, layer.weight, layer.bias, layer.alpha, layer.epsilon, bias)
        else:
            y = layer(xi)
        (y * torch.linspace(-1, 1, y.numel()).reshape(y.shape)).sum().backward()
        outs.append(y.detach())
        grads.append([xi.grad, *(p.grad for p in layer.parameters())])
    assert _rel(outs[0], outs[1]) <= 1e-5
    for g_fast, g_ref in zip(*grads, strict=True):
        assert _rel(g_fast, g_ref) <= 1e-5


# --- formula facts -----------------------------------------------------------------------


def _yat1(w: torch.Tensor, x: torch.Tensor, b: float = 0.0, eps: float = 1e-5) -> torch.Tensor:
    """ⵟ for one weight row and a batch of inputs, no alpha."""
    bias = torch.tensor([b], dtype=w.dtype)
    return yat_product(x, w[None], bias, None, eps, "inside")[..., 0]


def test_zero_iff_dot_plus_bias_is_zero() -> None:
    torch.manual_seed(3)
    w, b = torch.randn(6, dtype=torch.float64), 0.7
    x = torch.randn(10, 6, dtype=torch.float64)
    x_on = x - ((x @ w + b) / (w @ w))[:, None] * w  # project onto the hyperplane w·x + b = 0
    assert torch.allclose(x_on @ w + b, torch.zeros(10, dtype=torch.float64), atol=1e-12)
    assert _yat1(w, x_on, b).abs().max().item() < 1e-20
    assert (_yat1(w, x, b) > 0).all()


def test_sign_flip_identities() -> None:
    torch.manual_seed(4)
    eps = 1e-2
    w = torch.randn(5, dtype=torch.float64)
    x = torch.randn(20, 5, dtype=torch.float64)
    y, y_neg = _yat1(w, x, eps=eps), _yat1(w, -x, eps=eps)
    factor = (((w - x) ** 2).sum(1) + eps) / (((w + x) ** 2).sum(1) + eps)
    assert torch.allclose(y_neg, y * factor, rtol=1e-10)
    assert torch.allclose(y_neg, _yat1(-w, x, eps=eps), rtol=1e-10)
    x_perp = x - ((x @ w) / (w @ w))[:, None] * w + 1e-3 * w  # nearly orthogonal: nearly even
    x_orth = x - ((x @ w) / (w @ w))[:, None] * w
    assert torch.allclose(_yat1(w, x_orth, eps=eps), _yat1(w, -x_orth, eps=eps), atol=1e-20)
    assert not torch.allclose(_yat1(w, x_perp, eps=eps), _yat1(w, -x_perp, eps=eps), rtol=1e-12)


@pytest.mark.parametrize("eps", [1e-5, 1e-2, 0.5])
def test_maximum_value_and_location(eps: float) -> None:
    torch.manual_seed(5)
    w = torch.randn(4, dtype=torch.float64)
    n2 = (w @ w).item()
    x_star = (1 + eps / n2) * w
    peak = _yat1(w, x_star[None], eps=eps).item()
    assert peak == pytest.approx(n2**2 / eps + n2, rel=1e-6)
    for scale in (1e-3, 1e-2, 1e-1):
        near = x_star + scale * math.sqrt(eps) * torch.randn(200, 4, dtype=torch.float64)
        assert (_yat1(w, near, eps=eps) < peak).all()


def test_outputs_non_negative() -> None:
    torch.manual_seed(6)
    layer = YatLayer(10, 8)
    assert (layer(torch.randn(50, 10) * 3).detach() >= 0).all()


# --- numerics and dtypes -------------------------------------------------------------------


def test_float64_and_leading_dims() -> None:
    layer = YatLayer(6, 5).double()
    y = layer(torch.randn(2, 3, 4, 6, dtype=torch.float64))
    assert y.shape == (2, 3, 4, 5) and y.dtype == torch.float64


# --- options --------------------------------------------------------------------------------


def test_option_variants() -> None:
    layer = YatLayer(3, 2, bias="none", alpha="none")
    assert layer.bias is None and layer.alpha is None and len(list(layer.parameters())) == 1
    fixed = YatLayer(3, 2, alpha="2.5")
    assert fixed.alpha_mode == 2.5 and "alpha" in dict(fixed.named_buffers())
    assert "alpha" not in dict(fixed.named_parameters()) and fixed.alpha.item() == 2.5
    one = YatLayer(3, 2, alpha="none", bias="outside")
    x = torch.randn(4, 3)
    with torch.no_grad():
        ref = yat_reference(x, one.weight, None, None, one.epsilon, "none") + one.bias
        assert torch.allclose(one(x), ref)
        fixed.load_state_dict({**fixed.state_dict()})
        scaled = YatLayer(3, 2, alpha=2.5)
        scaled.load_state_dict(fixed.state_dict())
        assert torch.allclose(scaled(x), 2.5 * yat_reference(x, fixed.weight, fixed.bias, None))
    assert "bias=outside" in repr(one) and "alpha=none" in repr(one) and "epsilon=1e-05" in repr(one)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bias": "middle"},
        {"bias": True},
        {"alpha": "sometimes"},
        {"alpha": float("nan")},
        {"alpha": True},
        {"epsilon": 0.0},
        {"epsilon": -1.0},
        {"epsilon": "tiny"},
    ],
)
def test_bad_options_raise_user_error(kwargs: dict) -> None:
    with pytest.raises(UserError) as info:
        YatLayer(3, 2, **kwargs)
    assert "\n" not in str(info.value)
    assert info.value.exit_code == 2


def test_bad_bias_mode_in_function() -> None:
    with pytest.raises(UserError, match="inside"):
        yat_product(torch.randn(2, 3), torch.randn(4, 3), bias_mode="sideways")


# --- torch.func -----------------------------------------------------------------------------


def test_vmap_over_stacked_parameters_matches_loop() -> None:
    torch.manual_seed(9)
    layers = [YatLayer(5, 4) for _ in range(3)]
    for i, lay in enumerate(layers):
        with torch.no_grad():
            lay.alpha.fill_(1.0 + 0.25 * i)
    stacked = {k: torch.stack([_params(lay)[k].detach() for lay in layers]) for k in _params(layers[0])}
    x = torch.randn(7, 5)
    target = torch.randn(7, 4)
    base = layers[0]

    def loss(params: dict[str, torch.Tensor], xb: torch.Tensor) -> torch.Tensor:
        return ((functional_call(base, params, (xb,)) - target) ** 2).mean()

    ys = vmap(lambda p: functional_call(base, p, (x,)))(stacked)
    gs = vmap(grad(loss), in_dims=(0, None))(stacked, x)
    for i, lay in enumerate(layers):
        y_loop = lay(x)
        assert torch.allclose(ys[i], y_loop.detach(), rtol=1e-5, atol=1e-6)
        lay.zero_grad(set_to_none=True)
        ((y_loop - target) ** 2).mean().backward()
        for name, p in lay.named_parameters():
            assert torch.allclose(gs[name][i], p.grad, rtol=1e-4, atol=1e-7), name


def test_vmap_over_inputs_and_alpha_only() -> None:
    torch.manual_seed(10)
    layer = YatLayer(5, 3)
    params = {k: v.detach() for k, v in _params(layer).items()}
    xs = torch.randn(4, 6, 5)
    ys = vmap(lambda xb: functional_call(layer, params, (xb,)))(xs)
    assert torch.allclose(ys, layer(xs).detach(), rtol=1e-5)
    alphas = torch.tensor([[0.5], [1.0], [2.0]])

    def f(a: torch.Tensor) -> torch.Tensor:
        return functional_call(layer, {**params, "alpha": a}, (xs[0],)).sum()

    ga = vmap(grad(f))(alphas)
    expected = yat_reference(xs[0], params["weight"], params["bias"], None).sum()
    assert torch.allclose(ga, expected.expand(3, 1), rtol=1e-5)


# --- benchmark smoke ------------------------------------------------------------------------


def test_layer_benchmark_smoke(tmp_path) -> None:
    pytest.importorskip("pandas")
    from yatbench.bench.layer import COLUMNS, layer_benchmark
    from yatbench.bench.table import format_table, write_csv

    df = layer_benchmark([(8, 6, 4)], repeats=2, threads=1, min_sample_s=0.0)
    assert set(df["layer"]) == {"hidden", "first"}
    assert list(df.columns) == COLUMNS
    timed = df[df["median_ms"].notna()]
    assert {"linear_relu", "yat", "yat_reference"} <= set(timed["contender"])
    assert set(df.loc[df["contender"] == "yat", "path"]) <= {"eager", "numba"}  # which path the layer ran
    assert (timed["median_ms"] > 0).all() and (timed["time_ratio"] > 0).all()
    assert (timed["saved_bytes"] > 0).all() and (timed["saved_ratio"] > 0).all()
    base = timed[timed["contender"] == "linear_relu"].iloc[0]
    assert base["saved_ratio"] == 1.0
    assert format_table(df).row_count == len(df)
    assert write_csv(df, tmp_path / "sub" / "bench.csv").exists()


# --- ablation kernels -------------------------------------------------------------------------


@pytest.mark.parametrize(("kernel", "bias"), list(itertools.product(["square", "distance"], BIASES)))
def test_ablation_kernels_follow_their_formula(kernel: str, bias: str) -> None:
    torch.manual_seed(12)
    layer = YatLayer(6, 4, bias=bias, alpha=1.5, epsilon=1e-3, kernel=kernel).double()
    x = torch.randn(9, 6, dtype=torch.float64, requires_grad=True)
    w = layer.weight.detach()
    b = layer.bias.detach() if layer.bias is not None else torch.zeros(4, dtype=torch.float64)
    dot = x @ w.t()
    dist = ((x[:, None, :] - w[None]) ** 2).sum(-1)  # directly, in float64
    if kernel == "square":
        expected = 1.5 * (dot + b) ** 2 if bias == "inside" else 1.5 * dot**2 + b
    else:  # no numerator: an inside bias is added after the ratio, as an outside one
        expected = 1.5 / (dist + 1e-3) + b
    y = layer(x)
    assert torch.allclose(y, expected, rtol=1e-10)
    assert f"kernel={kernel}" in repr(layer)
    (gx,) = torch.autograd.grad(y.sum(), x)
    (gx_ref,) = torch.autograd.grad(expected.sum(), x)
    assert torch.allclose(gx, gx_ref, rtol=1e-8)


def test_ablation_kernels_train_and_keep_parameter_names() -> None:
    torch.manual_seed(13)
    names = {k: [n for n, _ in YatLayer(5, 3, kernel=k).named_parameters()] for k in ("yat", "square", "distance")}
    assert names["yat"] == names["square"] == names["distance"] == ["weight", "bias", "alpha"]
    layer = YatLayer(5, 3, kernel="distance")
    layer(torch.randn(4, 5)).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in layer.parameters())
    assert "kernel" not in repr(YatLayer(5, 3))


@pytest.mark.parametrize("kernel", ["gauss", "", 3])
def test_bad_kernel_is_a_user_error(kernel: object) -> None:
    with pytest.raises(UserError, match="square") as info:
        YatLayer(3, 2, kernel=kernel)
    assert info.value.exit_code == 2
    with pytest.raises(UserError, match="distance"):
        yat_product(torch.randn(2, 3), torch.randn(4, 3), kernel="gauss")
