"""yatbench's Adam (yatbench/train/adam.py) takes torch.optim.Adam's and AdamW's numbers, bit for bit, step by step."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from yatbench.train.adam import LeanAdam
from yatbench.train.no_dynamo import plain_step
from yatbench.train.trainer import Phase, make_optimizer

SHAPES = st.lists(st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(shapes=SHAPES, lr=st.sampled_from([1e-3, 0.01, 0.3]), decay=st.sampled_from([0.0, 1e-4, 0.1]),
       decoupled=st.booleans(), steps=st.integers(1, 40), seed=st.integers(0, 2**31 - 1),
       float64=st.booleans(), missing=st.booleans())
def test_each_step_equals_torchs_own(shapes: list[tuple[int, ...]], lr: float, decay: float, decoupled: bool,
                                     steps: int, seed: int, float64: bool, missing: bool) -> None:
    # Gradients of every magnitude (1e-7 … 1e5: the ε and bias-correction terms each dominate somewhere), and a
    # parameter without a gradient at some steps (both skip it: its step count stays behind the others').
    dtype = torch.float64 if float64 else torch.float32
    generator = torch.Generator().manual_seed(seed)
    ours = [torch.randn(shape, generator=generator, dtype=dtype).requires_grad_() for shape in shapes]
    theirs = [p.detach().clone().requires_grad_() for p in ours]
    reference = (torch.optim.AdamW if decoupled else torch.optim.Adam)(theirs, lr=lr, weight_decay=decay)
    lean = LeanAdam(ours, lr, decay, decoupled=decoupled)
    for step in range(steps):
        for i, (p, q) in enumerate(zip(ours, theirs, strict=True)):
            scale = 10.0 ** torch.randint(-7, 6, (), generator=generator).item()
            grad = torch.randn(p.shape, generator=generator, dtype=dtype) * scale
            skip = missing and i == 0 and step % 3 == 1
            p.grad, q.grad = (None, None) if skip else (grad, grad.clone())
        lean.update()
        reference.step()
        for p, q in zip(ours, theirs, strict=True):
            assert torch.equal(p, q), (step, p, q)
    for p, q in zip(ours, theirs, strict=True):  # the same state too: torch's layout, so it can move (compaction)
        mine, its = lean.state[p], reference.state[q]
        assert mine.keys() == its.keys()
        assert all(torch.equal(mine[k], its[k]) and mine[k].dtype == its[k].dtype for k in mine)


def test_step_with_a_closure_returns_its_loss_after_one_update() -> None:
    p = torch.tensor([1.0, -2.0], requires_grad=True)
    q = p.detach().clone().requires_grad_()
    lean, reference = LeanAdam([p], 0.1), torch.optim.Adam([q], lr=0.1)

    def closure(t: torch.Tensor) -> torch.Tensor:
        t.grad = None
        loss = (t * t).sum()
        loss.backward()
        return loss

    assert lean.step(lambda: closure(p)).item() == reference.step(lambda: closure(q)).item() == 5.0
    assert torch.equal(p, q)


def test_the_trainer_takes_it_for_adam_and_adamw_on_a_cpu_and_torchs_class_when_asked() -> None:
    params = [torch.zeros(3, requires_grad=True)]
    for name, decoupled in (("adam", False), ("adamw", True)):
        phase = Phase(name, 0.01, 1, weight_decay=0.1)
        ours = make_optimizer(params, phase)
        assert isinstance(ours, LeanAdam) and ours.param_groups[0]["decoupled_weight_decay"] is decoupled
        assert type(make_optimizer(params, phase, lean=False)) is (torch.optim.AdamW if decoupled else torch.optim.Adam)
    assert type(make_optimizer(params, Phase("sgd", 0.01, 1))) is torch.optim.SGD
    with pytest.raises(ValueError, match="CPU"):
        LeanAdam([torch.zeros(2, dtype=torch.int64)], 0.01)


def test_plain_step_calls_its_update_but_honours_step_hooks() -> None:
    p = torch.zeros(2, requires_grad=True)
    lean = LeanAdam([p], 0.1)
    seen: list[str] = []
    p.grad = torch.ones(2)
    plain_step(lean)  # no hooks: the update itself
    assert lean.state[p]["step"].item() == 1.0
    handle = lean.register_step_pre_hook(lambda *_: seen.append("pre"))
    plain_step(lean)
    handle.remove()
    assert seen == ["pre"] and lean.state[p]["step"].item() == 2.0
