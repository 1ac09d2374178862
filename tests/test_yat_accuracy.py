"""The Yat layer's numerics: accuracy near x ≈ w against a float64 direct oracle, second
derivatives, half precision and autocast, stacked layers.

Oracle: ⵟ in float64 with the distance computed directly, ‖x − w‖² = Σ (x − w)², on the same
(fp32) inputs. Forward: elementwise relative error over the entries whose numerator is itself
well conditioned (|w·x + b| ≥ 1e-2 (‖x‖‖w‖ + |b|)) — where the numerator cancels, no fp32
formula gets the relative error right, the direct one included. Gradients: norm-wise.
"""

from __future__ import annotations

import itertools

import pytest
import torch
from torch.func import functional_call, grad, vmap

from yatbench.nn import YatLayer, yat_product, yat_reference

CASES = ["generic", "x=w", "noise1e-4", "noise1e-3", "noise1e-2", "orthogonal", "times1e3", "times1e-3", "batch1"]
DIMS = [2, 64, 784, 4096]


def direct64(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, a: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """The oracle: float64, distance from the difference (no expansion)."""
    dist = ((x[:, None, :] - w[None]) ** 2).sum(-1)
    return a * (x @ w.t() + b) ** 2 / (dist + eps)


def make_case(name: str, d: int, m: int = 8, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """fp32 inputs x, W, b, α for one row of the issue's table (weights at unit-ish scale)."""
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(m, d, generator=gen) / d**0.25
    b = (torch.rand(m, generator=gen) * 2 - 1) / d**0.5
    rms = w.pow(2).mean().sqrt()
    noise = torch.randn(m, d, generator=gen)
    if name == "generic":
        x = torch.randn(24, d, generator=gen) / d**0.25
    elif name == "x=w":
        x = w.clone()
    elif name.startswith("noise"):
        x = w + float(name[len("noise"):]) * rms * noise
    elif name == "orthogonal":  # x ⟂ w row by row: the numerator is the bias alone
        x = noise - ((noise * w).sum(1, keepdim=True) / (w * w).sum(1, keepdim=True)) * w
    elif name == "times1e3":
        w, b = w * 1e3, b * 1e3
        x = w + 1e-3 * rms * 1e3 * noise
    elif name == "times1e-3":
        w, b = w * 1e-3, b * 1e-3
        x = w + 1e-3 * rms * 1e-3 * noise
    else:  # batch of one, near its prototype
        x = w[:1] + 1e-4 * rms * noise[:1]
    return x, w, b, torch.tensor([1.3])


def errors(fn, x, w, b, a, device: torch.device | str = "cpu") -> tuple[float, dict[str, float]]:
    """(forward elementwise error, {input: gradient norm-wise error}) of fp32 ``fn`` on ``device`` vs the oracle
    (float64, on the CPU)."""
    leaves = [t.to(device, copy=True).requires_grad_() for t in (x, w, b, a)]
    leaves64 = [t.double().requires_grad_() for t in (x, w, b, a)]
    y, truth = fn(*leaves), direct64(*leaves64)
    x64, w64, b64 = (t.double() for t in (x, w, b))
    num = (x64 @ w64.t() + b64).abs()
    scale = x64.norm(dim=1)[:, None] * w64.norm(dim=1)[None] + b64.abs()
    ok = num >= 1e-2 * scale
    fwd = ((y.double().cpu() - truth).abs() / truth.abs())[ok].max().item()
    g = torch.randn(y.shape, generator=torch.Generator().manual_seed(1))
    grads = torch.autograd.grad((y * g.to(device)).sum(), leaves)
    grads64 = torch.autograd.grad((truth * g.double()).sum(), leaves64)
    names = ["x", "W", "b", "alpha"]
    return fwd, {n: ((p.double().cpu() - q).norm() / q.norm()).item()
                 for n, p, q in zip(names, grads, grads64, strict=True)}


def _ours(x, w, b, a):
    return yat_product(x, w, b, a)


@pytest.mark.parametrize(("name", "d"), list(itertools.product(CASES, DIMS)))
def test_accuracy_against_float64_direct(name: str, d: int) -> None:
    x, w, b, a = make_case(name, d)
    fwd, grads = errors(_ours, x, w, b, a)
    assert fwd <= 1e-4, fwd
    assert max(grads.values()) <= 1e-3, grads


@pytest.mark.parametrize("name", ["noise1e-4", "noise1e-3", "times1e3", "batch1"])
def test_nmn_is_the_inaccurate_one_near_w(name: str) -> None:
    """nmn as a second reference: accurate on generic inputs (agrees with us there, see the
    parity tests), but its expanded distance cancels near x = w — where we still match float64."""
    nmn_torch = pytest.importorskip("nmn.torch.nmn")
    x, w, b, a = make_case(name, 784)
    layer = nmn_torch.YatNMN(784, w.shape[0])

    def nmn(x, w, b, a):
        return functional_call(layer, {"weight": w, "bias": b, "alpha": a}, (x,))

    ours, _ = errors(_ours, x, w, b, a)
    theirs, _ = errors(nmn, x, w, b, a)
    assert ours <= 1e-4 < theirs


@pytest.mark.parametrize("d", [64, 784])
def test_generic_inputs_agree_with_nmn(d: int) -> None:
    nmn_torch = pytest.importorskip("nmn.torch.nmn")
    x, w, b, a = make_case("generic", d)
    layer = nmn_torch.YatNMN(d, w.shape[0])
    with torch.no_grad():
        ref = functional_call(layer, {"weight": w, "bias": b, "alpha": a}, (x,))
        assert ((yat_product(x, w, b, a) - ref).abs() / ref.abs()).max().item() <= 1e-4


def test_distance_ablation_is_accurate_near_w() -> None:
    x, w, _, a = make_case("noise1e-4", 784)
    y = yat_product(x, w, None, a, kernel="distance")
    dist = ((x.double()[:, None] - w.double()[None]) ** 2).sum(-1)
    truth = 1.3 / (dist + 1e-5)
    assert ((y.double() - truth).abs() / truth).max().item() <= 1e-4


# --- second derivatives -----------------------------------------------------------------


def test_second_derivative_through_a_stack_matches_reference() -> None:
    """∂²y/∂x² (the Laplacian a PINN needs) through Yat → Yat → sum, automatically."""
    torch.manual_seed(2)
    net = torch.nn.Sequential(YatLayer(2, 8, epsilon=1e-2), YatLayer(8, 3, epsilon=1e-2)).double()
    x = torch.randn(5, 2, dtype=torch.float64, requires_grad=True)

    def laplacian(forward) -> torch.Tensor:
        y = forward(x).sum()
        (gx,) = torch.autograd.grad(y, x, create_graph=True)
        return sum(torch.autograd.grad(gx[:, i].sum(), x, create_graph=True)[0][:, i] for i in range(2))

    def reference(xi: torch.Tensor) -> torch.Tensor:
        for lay in net:
            xi = yat_reference(xi, lay.weight, lay.bias, lay.alpha, lay.epsilon)
        return xi

    lap, lap_ref = laplacian(net), laplacian(reference)
    assert torch.allclose(lap, lap_ref, rtol=1e-9, atol=1e-12)
    lap.sum().backward()  # third order into the parameters works too
    assert all(torch.isfinite(p.grad).all() for p in net.parameters())


# --- half precision -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_inputs_return_fp32_without_saturation_or_underflow(dtype: torch.dtype) -> None:
    x, w, b, a = make_case("x=w", 4096)
    truth = direct64(x.to(dtype).double(), w.to(dtype).double(), b.to(dtype).double(), a.to(dtype).double())
    assert truth.max() > 65504  # beyond fp16
    xh = x.to(dtype).requires_grad_()
    y = yat_product(xh, w.to(dtype), b.to(dtype), a.to(dtype))
    assert y.dtype == torch.float32 and torch.isfinite(y).all()
    # exactly the fp32 computation on the half-rounded values; on the diagonal (x = w) also the truth
    rounded = (t.to(dtype).float() for t in (x, w, b, a))
    assert torch.equal(y, yat_product(*rounded))
    assert ((y.diagonal().double() - truth.diagonal()).abs() / truth.diagonal()).max().item() <= 1e-4
    tiny = yat_product(1e-3 * torch.randn(4, 4096).to(dtype), w.to(dtype), None, None)  # ~1e-6 outputs
    assert tiny.dtype == torch.float32 and (tiny > 0).all()
    y.sum().backward()
    assert xh.grad.dtype == dtype


def test_autocast_computes_and_returns_fp32() -> None:
    x, w, b, _a = make_case("noise1e-3", 784)
    layer = YatLayer(784, 8)
    with torch.no_grad():
        layer.weight.copy_(w)
        layer.bias.copy_(b)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = layer(x)
        lin = torch.nn.functional.linear(x, w)  # autocast does lower a plain GEMM here
    assert lin.dtype == torch.bfloat16 and y.dtype == torch.float32
    truth = direct64(x.double(), w.double(), b.double(), torch.ones(1, dtype=torch.float64))
    assert ((y.double() - truth).abs() / truth).max().item() <= 1e-4


# --- stacked layers and torch.func --------------------------------------------------------


def test_stacked_inputs_match_one_by_one() -> None:
    s, d, m = 3, 64, 5
    cases = [make_case("noise1e-4", d, m=m, seed=i) for i in range(s)]
    x, w, b = (torch.stack([c[i] for c in cases]) for i in range(3))
    a = torch.tensor([[1.0], [1.5], [0.5]])
    leaves = [t.clone().requires_grad_() for t in (x, w, b, a)]
    y = yat_product(*leaves)
    g = torch.randn_like(y)
    grads = torch.autograd.grad((y * g).sum(), leaves)
    for i in range(s):
        one = [t[i].clone().requires_grad_() for t in (x, w, b, a)]
        yi = yat_product(*one)
        assert torch.equal(y[i], yi)
        for stacked, single in zip(grads, torch.autograd.grad((yi * g[i]).sum(), one), strict=True):
            assert torch.allclose(stacked[i], single, rtol=1e-5, atol=1e-6)
    fwd, _ = errors(lambda *t: yat_product(*t), x[0], w[0], b[0], a[0])
    assert fwd <= 1e-4


def test_vmap_over_weights_falls_back_to_plain_autograd() -> None:
    x, w, b, a = make_case("generic", 16)
    ws = torch.stack([w, 2 * w])
    ys = vmap(lambda wi: yat_product(x, wi, b, a))(ws)
    assert torch.allclose(ys[1], yat_product(x, 2 * w, b, a), rtol=1e-5)
    gs = vmap(grad(lambda wi: yat_product(x, wi, b, a).sum()))(ws)
    w2 = (2 * w).requires_grad_()
    yat_product(x, w2, b, a).sum().backward()
    assert torch.allclose(gs[1], w2.grad, rtol=1e-4, atol=1e-6)


def test_jacrev_goes_through_the_fast_path() -> None:
    x, w, b, a = make_case("noise1e-4", 6, m=3)
    jac = torch.func.jacrev(lambda xi: yat_product(xi, w, b, a))(x[:1])
    x64 = x[:1].double()
    jac64 = torch.autograd.functional.jacobian(lambda xi: direct64(xi, w.double(), b.double(), a.double()), x64)
    assert ((jac.double() - jac64).norm() / jac64.norm()).item() <= 1e-3


@pytest.mark.parametrize("name", ["x=w", "noise1e-4", "times1e3", "batch1"])
@pytest.mark.parametrize("stacked", [False, True])
def test_backward_reusing_forwards_repair_equals_searching_again(name: str, stacked: bool) -> None:
    """Backward puts forward's repaired entries back (kept on ctx) instead of searching and recomputing them: the
    same bits as the transformable Function, which always searches again."""
    from yatbench.nn.yat_function import YatFunction, YatFunctionTransformable, yat_forward

    x, w, b, a = make_case(name, 16)
    if stacked:  # a stack of three seeds, as seed batching trains them
        x, w, b, a = (torch.stack([t, t * 0.5, t * 2.0]) for t in (x, w, b, a))
        a = a.reshape(3, 1)
    assert yat_forward(x, w, b, a, 1e-5, False, inplace=True)[4] is not None  # repairs happen in this case
    g = torch.randn(*x.shape[:-1], w.shape[-2], generator=torch.Generator().manual_seed(2))
    results = []
    for function in (YatFunction, YatFunctionTransformable):
        leaves = [t.clone().requires_grad_() for t in (x, w, b, a)]
        out = function.apply(*leaves, 1e-5, False)
        y = out if isinstance(out, torch.Tensor) else out[0]
        results.append([y.detach(), *torch.autograd.grad((y * g).sum(), leaves)])
    for kept, searched in zip(*results, strict=True):
        assert torch.equal(kept, searched)
