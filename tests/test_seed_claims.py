"""The further seed claims (issue 13): far field, XOR on (u + v, u·v), the cost objection, softmax
sharpening, division of labour, depth without normalisation — each on real (shrunk) runs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from yatbench.bench import layer_benchmark
from yatbench.bench_table import write_csv
from yatbench.compose import compose_config
from yatbench.config import validate
from yatbench.data.xor import XorConfig
from yatbench.errors import UserError
from yatbench.labour import nmi
from yatbench.objective import max_prob
from yatbench.report import build_report
from yatbench.report.claims import families
from yatbench.report.claims.base import CONTRADICTED, NOT_ENOUGH, SUPPORTED
from yatbench.report.claims.far_field import far_value
from yatbench.run import execute

DECIDED = (SUPPORTED, CONTRADICTED)


def rows(report, key: str) -> list:
    return [c for c in report.claims if c.key == key]


def test_every_claim_module_is_found_without_registration() -> None:
    names = [m.__name__.rsplit(".", 1)[1] for m in families()]
    assert names[:5] == ["xor", "compositional", "prototypes", "inversion", "formula"]
    assert {"far_field", "xor_features", "cost", "sharpening", "labour", "depth"} <= set(names)


def test_far_field_tends_to_w_squared_cos_squared_not_zero(tmp_path: Path) -> None:
    assert far_value((1.0, 1.0), 0.0, 0.0, 1e4) == pytest.approx(2.0004, abs=1e-4)
    assert far_value((1.0, 1.0), 0.0, 60.0, 1e6) == pytest.approx(2 * math.cos(math.radians(60)) ** 2, rel=1e-4)
    assert far_value((1.0, 1.0), 0.0, 90.0, 1e4) < 1e-20
    report = build_report(tmp_path / "results")
    (bare,) = rows(report, "far_field_decay")
    assert bare.verdict == CONTRADICTED and "2.0004" in bare.headline and "0.5: contradicted" in bare.thresholds


def test_sum_product_features_make_xor_linear_and_bad_values_are_refused() -> None:
    for encoding in ("pm1", "binary"):
        splits = XorConfig(encoding=encoding, features="sum_product").load(0)
        s, p = splits.x_train[:, 0], splits.x_train[:, 1]
        xor = s - 2 * p if encoding == "binary" else (1 - p) / 2  # the labels, linear in (u + v, u·v)
        assert torch.equal(xor.long(), splits.y_train)
        assert splits.source.endswith("-sum_product")
    with pytest.raises(UserError, match=r"dataset\.features='square' is not valid; choose one of raw, sum_product"):
        validate(compose_config(["dataset=xor", "model=linear", "dataset.features=square"]))


def test_the_xor_claim_on_linear_runs(spec_for, tmp_path: Path) -> None:
    for seed in range(3):
        for features in ("sum_product", "raw"):
            execute(spec_for("xor", "linear", f"dataset.features={features}", f"seed={seed}", "trainer.epochs=300"))
    (claim,) = rows(build_report(tmp_path / "results"), "xor_sum_product_pm1")
    assert claim.runs.startswith("linear (sum_product): 3 runs") and "solved 3 / 3" in claim.evidence
    assert "on raw (u, v) solved 0 / 3" in claim.evidence
    # 3 / 3 seeds: Wilson [0.44, 1], not enough to decide at any of the thresholds
    assert claim.verdict == NOT_ENOUGH and claim.thresholds.startswith("0.5: not enough data")
    assert claim.command == "yatbench sweep xor seed='range(12)'"


def test_the_cost_claim_reads_the_bench_csv_or_names_its_command(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (missing,) = rows(build_report(results), "cost_memory")
    assert missing.verdict == NOT_ENOUGH and missing.command == f"yatbench bench --out {results / 'bench'}"
    (results / "bench").mkdir()
    (results / "bench" / "layer.csv").write_text("batch,contender\n1,yat\n")
    (broken,) = rows(build_report(results), "cost_memory")
    assert broken.verdict == NOT_ENOUGH and "lacks the columns" in broken.evidence
    write_csv(layer_benchmark([(16, 8, 8)], repeats=3, threads=1), results / "bench" / "layer.csv")
    claims = rows(build_report(results), "cost_memory")
    ours = [c for c in claims if c.setting.startswith("yatbench's YatLayer")]
    assert ours and all(c.verdict in DECIDED and c.command == "" for c in claims)
    assert "not the on-chip accumulators" in missing.measurement or "Does not cover: on-chip" in missing.measurement


def test_max_prob_is_the_winning_probability() -> None:
    logits = torch.tensor([[0.0, 0.0], [10.0, -10.0]])
    assert max_prob(logits).tolist() == pytest.approx([0.5, 1.0])
    assert max_prob(torch.tensor([[0.0], [-50.0]])).tolist() == pytest.approx([0.5, 1.0])


def test_nmi_is_one_for_a_relabelling_and_zero_for_a_constant() -> None:
    a = torch.tensor([0, 0, 1, 1, 2, 2])
    assert nmi(a, torch.tensor([5, 5, 3, 3, 4, 4])) == pytest.approx(1.0)
    assert nmi(a, torch.zeros(6, dtype=torch.long)) == 0.0
    assert nmi(a, torch.tensor([0, 1, 0, 1, 0, 1])) == pytest.approx(0.0, abs=1e-12)  # independent labelings


def test_division_of_labour_is_measured_at_run_time_and_decided(spec_for, tmp_path: Path) -> None:
    small = ("dataset.n=200", "trainer.epochs=50")
    for seed in range(3):
        att = execute(spec_for("compositional", "attention", *small, f"seed={seed}")).record["metrics"]
        assert 0 <= att["unit_nmi"] <= 1 and 0 <= att["expert_slope_recovered"] <= 1
        yat = execute(spec_for("compositional", "yat", "model.hidden=[7]", *small, f"seed={seed}")).record["metrics"]
        assert 0 <= yat["unit_nmi"] <= 1 and "expert_slope_recovered" not in yat
    report = build_report(tmp_path / "results")
    (gate,) = rows(report, "labour_gate_nmi")
    (slopes,) = rows(report, "labour_expert_slopes")
    assert gate.seeds == 3 and gate.thresholds and "yat (" in " ".join(gate.notes)
    assert slopes.seeds == 3 and "slope error" in " ".join(slopes.notes)


MNIST = ("dataset.source=bundled", "dataset.max_train=200", "dataset.max_test=100", "trainer.epochs=2")


def test_depth_and_sharpening_on_shrunk_mnist(spec_for, tmp_path: Path) -> None:
    for seed in range(3):
        for hidden in ("[4]", "[4,4]"):
            run = execute(spec_for("mnist", "yat", "model.readout=linear", f"model.hidden={hidden}", *MNIST,
                                   f"seed={seed}"))
            layers = hidden.count("4") + 1  # hidden layers and the readout
            grads = [k for k in run.record["metrics"] if k.startswith("grad_norm_init_")]
            assert len(grads) == layers and f"grad_norm_final_{layers}" in run.record["metrics"]
            execute(spec_for("mnist", "relu", f"model.hidden={hidden}", *MNIST, f"seed={seed}"))
        proto = execute(spec_for("mnist", "yat", "model.hidden=[]", "model.readout=none", *MNIST, f"seed={seed}"))
        history = (proto.run_dir / "history.csv").read_text().splitlines()
        assert "test_max_prob" in history[0] and len(history) == 3
        execute(spec_for("mnist", "linear", *MNIST, f"seed={seed}"))
    report = build_report(tmp_path / "results")
    depth = rows(report, "deep_no_norm")
    assert [c.setting for c in depth] == ["depth 1 × 4", "depth 2 × 4"]
    assert all(c.seeds == 3 and "relu training loss" in " ".join(c.notes) for c in depth)
    assert all("chance level: ln 10" in " ".join(c.notes) for c in depth)
    (sharp,) = rows(report, "softmax_sharpens")
    assert sharp.seeds == 3 and "linear:" in " ".join(sharp.notes)
    figures = {f.name: f for f in report.figures}
    assert {"depth_1", "softmax_sharpening_1"} <= set(figures)
    assert all(figures[n].section == "seeds" for n in ("depth_1", "softmax_sharpening_1"))
    assert "Further seed claims" in report.index_md.read_text()


def test_the_claims_preset_holds_the_depth_series_and_the_claims_runs() -> None:
    from yatbench.sweep.grid import build_grid

    specs = build_grid("claims", []).specs
    assert len(specs) == 65 and {s.seed for s in specs} == set(range(5))
    stacks = [s for s in specs if s.dataset.name == "mnist" and getattr(s.model, "hidden", [])]
    assert {(s.model.name, len(s.model.hidden)) for s in stacks} == {(m, d) for m in ("yat", "relu")
                                                                     for d in (1, 2, 4, 8)}
    assert {tuple(set(s.model.hidden)) for s in stacks} == {(64,)}
    assert {s.model.readout for s in stacks if s.model.name == "yat"} == {"linear"}
    trainers = {(s.trainer.epochs, s.trainer.patience, s.trainer.lr, s.trainer.batch_size)
                for s in specs if s.dataset.name == "mnist"}
    assert trainers == {(100, 10, 0.001, 64)}  # the same maximum budget and rule for every MNIST model
