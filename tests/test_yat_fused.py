"""The fused (numba) Yat layer against the float64 oracle and the eager reference path; the kernel switch.

Each case runs the same inputs through ``YATBENCH_KERNEL``'s two paths, forced with
``use_kernel_impl``, and through the plain-autograd formula in float64 with the distance taken from
the difference (the oracle): the fused path must be as accurate as the eager one, near x = w too,
in every bias, α and ε mode, for a single layer and for a stack of seeds.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from yatbench.core.errors import UserError
from yatbench.nn import YatLayer, yat_product
from yatbench.nn.kernel_impl import fused_applies, kernel_impl, parse_impl, path_name, use_kernel_impl
from yatbench.nn.yat import learned_epsilon

pytest.importorskip("numba", reason="numba is not installed: the fused path does not exist here (eager only)")

BIASES = ["inside", "outside", "none"]
ALPHAS = ["learnable", "none", 2.5]


def _case(n: int = 37, d: int = 23, m: int = 19, seed: int = 0, near: bool = True) -> tuple[torch.Tensor, ...]:
    """x (n, d), W (m, d), b (m,); with ``near`` some rows of x sit on or next to a weight row (the repair)."""
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(m, d, generator=gen) / d**0.25
    b = (torch.rand(m, generator=gen) * 2 - 1) / d**0.5
    x = torch.randn(n, d, generator=gen) / d**0.25
    if near:
        rms = w.pow(2).mean().sqrt()
        x[1 % n] = w[3 % m]  # exactly on a prototype: D = 0
        x[5 % n] = w[0] + 1e-4 * torch.randn(d, generator=gen) * rms
        x[n - 1] = w[m - 1] + 1e-3 * torch.randn(d, generator=gen) * rms
    return x, w, b


def _grads(impl: str, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, alpha: object, eps: object,
           mode: str, g: torch.Tensor) -> list[torch.Tensor | None]:
    """[y, ∂x, ∂W, ∂b, ∂α, ∂ε] through ``impl`` (eager | numba) for loss Σ y ⊙ g, in x's dtype."""
    leaves = [t.clone().requires_grad_() if isinstance(t, torch.Tensor) else t for t in (x, w, b, alpha, eps)]
    x_, w_, b_, a_, e_ = leaves
    with use_kernel_impl(impl):
        y = yat_product(x_, w_, b_, a_, learned_epsilon(e_, x.dtype) if isinstance(e_, torch.Tensor) else e_, mode)
    y.backward(g)
    return [y.detach(), *(t.grad if isinstance(t, torch.Tensor) else None for t in leaves)]


def _err(p: torch.Tensor, q: torch.Tensor) -> float:
    return ((p.double() - q).norm() / q.norm().clamp_min(1e-300)).item()


@pytest.mark.parametrize("mode", BIASES)
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("learned_eps", [False, True])
def test_fused_matches_the_float64_oracle_as_eager_does(mode: str, alpha: object, learned_eps: bool) -> None:
    x, w, b = _case(seed=len(mode) + 7 * learned_eps)
    a = torch.tensor([1.7]) if alpha == "learnable" else None if alpha == "none" else float(alpha)
    eps = torch.tensor([-3.0]) if learned_eps else 1e-5  # raw ε: softplus(−3) ≈ 0.049
    g = torch.randn(x.shape[0], w.shape[0], generator=torch.Generator().manual_seed(3))
    bias = None if mode == "none" else b
    oracle = _grads("eager", x.double(), w.double(), None if bias is None else bias.double(),
                    a.double() if isinstance(a, torch.Tensor) else a,
                    eps.double() if isinstance(eps, torch.Tensor) else eps, mode, g.double())
    fused = _grads("numba", x, w, bias, a, eps, mode, g)
    eager = _grads("eager", x, w, bias, a, eps, mode, g)
    names = ["y", "x", "W", "b", "alpha", "eps"]
    for name, f, e, o in zip(names, fused, eager, oracle, strict=True):
        assert (f is None) == (o is None), name
        if o is None:
            continue
        assert f.dtype == torch.float32 and f.shape == o.shape, name
        assert _err(f, o) <= max(4 * _err(e, o), 2e-6), (name, _err(f, o), _err(e, o))


def test_forward_is_the_eager_forward_bit_for_bit_away_from_the_repair() -> None:
    x, w, b = _case(n=70, d=50, m=90, near=False)
    for mode in BIASES:
        with use_kernel_impl("numba"):
            fused = yat_product(x, w, b, torch.tensor([0.7]), 1e-3, mode)
        with use_kernel_impl("eager"):
            eager = yat_product(x, w, b, torch.tensor([0.7]), 1e-3, mode)
        assert torch.equal(fused, eager), mode


def test_on_a_prototype_value_and_gradients_are_exact_in_fp32() -> None:
    """At x = w (D = 0) the expansion gives D + ε wrong by far more than ε; the fused kernels repair it."""
    x, w, b = _case(near=True)
    g = torch.ones(x.shape[0], w.shape[0])
    fused = _grads("numba", x, w, b, torch.tensor([1.0]), 1e-5, "inside", g)
    oracle = _grads("eager", x.double(), w.double(), b.double(), torch.tensor([1.0], dtype=torch.float64), 1e-5,
                    "inside", g.double())
    y, y64 = fused[0][1, 3].double(), oracle[0][1, 3]
    assert y64 > 1e3  # the case is the one meant: ≈ (‖w‖² + b)² / ε
    assert abs(y / y64 - 1) <= 1e-5
    assert _err(fused[1][1], oracle[1][1]) <= 1e-4 and _err(fused[2][3], oracle[2][3]) <= 1e-4


@pytest.mark.parametrize("per_seed", [False, True])
def test_a_stack_of_seeds_matches_each_seed_alone_bit_for_bit(per_seed: bool) -> None:
    """Seed batching: each seed's forward and gradients are those of the same seed in a stack of one."""
    cases = [_case(n=40, seed=s) for s in range(3)]
    xs, ws, bs = (torch.stack(t) for t in zip(*cases, strict=True))
    alphas = torch.tensor([[1.0], [0.5], [2.0]]) if per_seed else torch.tensor([1.3])
    eps = torch.tensor([[-4.0], [-6.0], [-3.0]]) if per_seed else 1e-5
    g = torch.randn(3, 40, ws.shape[1], generator=torch.Generator().manual_seed(0))
    stacked = _grads("numba", xs, ws, bs, alphas, eps, "inside", g)
    for s in range(3):
        one = _grads("numba", xs[s:s + 1], ws[s:s + 1], bs[s:s + 1], alphas[s:s + 1] if per_seed else alphas,
                     eps[s:s + 1] if per_seed else eps, "inside", g[s:s + 1])
        for name, full, alone in zip(["y", "x", "W", "b"], stacked, one, strict=False):
            assert torch.equal(full[s:s + 1], alone), (name, s)
        if per_seed:
            assert torch.equal(stacked[4][s], one[4][0]) and torch.equal(stacked[5][s], one[5][0])
    eager = _grads("eager", xs, ws, bs, alphas, eps, "inside", g)
    for f, e in zip(stacked, eager, strict=True):
        if e is not None:
            assert _err(f, e.double()) <= 1e-5


def test_first_layer_needs_no_input_gradient() -> None:
    x, w, b = _case()
    layer = YatLayer(x.shape[1], w.shape[0])
    with torch.no_grad():
        layer.weight.copy_(w)
        layer.bias.copy_(b)
    with use_kernel_impl("numba"):
        layer(x).square().sum().backward()
    fused = [p.grad.clone() for p in layer.parameters()]
    layer.zero_grad()
    with use_kernel_impl("eager"):
        layer(x).square().sum().backward()
    for f, p in zip(fused, layer.parameters(), strict=True):
        assert _err(f, p.grad.double()) <= 1e-5


def test_evaluation_without_a_graph_is_the_same_forward() -> None:
    x, w, b = _case()
    with use_kernel_impl("numba"):
        with torch.no_grad():
            y0 = yat_product(x, w, b, torch.tensor([1.1]))
        y1 = yat_product(x, w.requires_grad_(), b, torch.tensor([1.1]))
    assert torch.equal(y0, y1.detach())


def test_gradcheck_and_double_backward_in_float64() -> None:
    """First derivatives through the fused kernels, second through the eager backward they fall back to."""
    x, w, b = (t.double().requires_grad_() for t in _case(n=6, d=4, m=4, seed=2))
    a = torch.tensor([1.2], dtype=torch.float64, requires_grad=True)
    e = torch.tensor([0.05], dtype=torch.float64, requires_grad=True)

    def f(*args: torch.Tensor) -> torch.Tensor:
        return yat_product(*args[:4], args[4], "inside")

    with use_kernel_impl("numba"):
        assert torch.autograd.gradcheck(f, (x, w, b, a, e))
        assert torch.autograd.gradgradcheck(f, (x, w, b, a, e))


def test_hessian_vector_products_agree_with_eager() -> None:
    x, w, b = (t.double() for t in _case(n=9, d=6, m=4, seed=5))

    def hvp(impl: str) -> torch.Tensor:
        xr = x.clone().requires_grad_()
        with use_kernel_impl(impl):
            (gx,) = torch.autograd.grad(yat_product(xr, w, b, 1.0).sum(), xr, create_graph=True)
            (hx,) = torch.autograd.grad(gx.square().sum(), xr)
        return hx

    assert torch.allclose(hvp("numba"), hvp("eager"), rtol=1e-10, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 70), d=st.integers(1, 12), m=st.integers(1, 9), seed=st.integers(0, 2**16),
       mode=st.sampled_from(BIASES), scale=st.sampled_from([1e-3, 1.0, 1e3]))
def test_any_shape_and_scale_agrees_with_eager(n: int, d: int, m: int, seed: int, mode: str, scale: float) -> None:
    x, w, b = (t * scale for t in _case(n=n, d=d, m=m, seed=seed))
    g = torch.randn(x.shape[0], m, generator=torch.Generator().manual_seed(seed))
    oracle = _grads("eager", x.double(), w.double(), b.double(), torch.tensor([0.9], dtype=torch.float64), 1e-5,
                    mode, g.double())
    fused = _grads("numba", x, w, b, torch.tensor([0.9]), 1e-5, mode, g)
    eager = _grads("eager", x, w, b, torch.tensor([0.9]), 1e-5, mode, g)
    for f, e, o in zip(fused, eager, oracle, strict=True):
        if o is not None:
            assert _err(f, o) <= max(4 * _err(e, o), 1e-5)


def test_the_switch() -> None:
    assert parse_impl(" Numba ") == "numba" and parse_impl("eager") == "eager"
    with pytest.raises(UserError, match="YATBENCH_KERNEL='fast' is not valid; choose one of: eager, numba"):
        parse_impl("fast")
    assert fused_applies("numba", "cpu", True) and not fused_applies("eager", "cpu", True)
    assert not fused_applies("numba", "cuda", True) and not fused_applies("numba", "cpu", False)
    with use_kernel_impl("eager"):
        assert path_name() == "eager"
    with use_kernel_impl("numba"):
        assert path_name() == "numba" and path_name("cuda") == "eager"
    if os.environ.get("YATBENCH_KERNEL") is None:
        assert kernel_impl() == "eager"  # the default: trained numbers stay the eager path's, bit for bit


def test_a_bad_kernel_setting_is_one_line_before_any_timing(tmp_path) -> None:
    env = {**os.environ, "YATBENCH_KERNEL": "gpu"}
    proc = subprocess.run([sys.executable, "-m", "yatbench", "bench", "--no-throughput", "--shapes", "4x4x4",
                           "--out", str(tmp_path / "bench")], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: YATBENCH_KERNEL='gpu' is not valid; choose one of: eager, numba"]
    assert not (tmp_path / "bench").exists()


def test_bench_times_both_paths_side_by_side_and_says_which_ran() -> None:
    from yatbench.bench.layer import layer_benchmark
    from yatbench.bench.table import format_table

    with use_kernel_impl("numba"):
        frame = layer_benchmark([(8, 6, 4)], repeats=2, threads=1, min_sample_s=0.0)
    rows = {(r["layer"], r["contender"]): r for _, r in frame.iterrows()}
    for layer in ("hidden", "first"):
        fused, eager = rows[layer, "yat"], rows[layer, "yat_eager"]
        assert (fused["path"], eager["path"]) == ("numba", "eager")
        assert fused["median_ms"] > 0 and eager["median_ms"] > 0
        assert fused["saved_bytes"] == eager["saved_bytes"]  # the fused path keeps what eager keeps
    with use_kernel_impl("eager"):  # the default: the fused path is timed beside it
        frame = layer_benchmark([(8, 6, 4)], repeats=1, threads=1, min_sample_s=0.0, positions=("first",))
    assert dict(zip(frame["contender"], frame["path"], strict=True))["yat"] == "eager"
    assert "yat_numba" in set(frame["contender"])
    assert format_table(frame).row_count == len(frame)


@pytest.mark.parametrize(("args", "line"), [
    (["--clock", "cpu"], "error: --clock cpu needs --threads 1 and --device cpu: it counts this thread's CPU time, "
                         "which misses the work of other threads and of a GPU"),
    (["--clock", "gpu", "--threads", "1"], "error: --clock 'gpu' is not valid; choose wall or cpu"),
])
def test_a_bad_clock_is_one_line(tmp_path, args: list[str], line: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "yatbench", "bench", "--no-throughput", "--shapes", "4x4x4",
                           "--out", str(tmp_path / "bench"), *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [line]
    assert not (tmp_path / "bench").exists()


def test_cpu_clock_times_this_thread() -> None:
    from yatbench.bench.layer import layer_benchmark

    frame = layer_benchmark([(8, 6, 4)], repeats=2, threads=1, min_sample_s=0.0, positions=("first",), clock="cpu")
    assert set(frame["clock"]) == {"cpu"} and (frame["median_ms"].dropna() > 0).all()
