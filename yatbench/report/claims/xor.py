"""XOR claims: one Yat neuron solves it on both encodings, more reliably than the 2-2-1 ReLU net.

Each is checked against the ablation kernels (``model.kernel=square | distance``, run beside the
real ⵟ by ``yatbench sweep xor``), so that the verdict says which part of ⵟ earns the effect.
"""

from __future__ import annotations

import pandas as pd

from yatbench.report.claims.base import (
    CONTRADICTED,
    MIN_SEEDS,
    NOT_ENOUGH,
    SUPPORTED,
    SWEEP,
    Claim,
    Quote,
    ablation_text,
    at_thresholds,
    or_missing,
    runs_text,
    yat_kernel,
)
from yatbench.report.context import Context
from yatbench.report.stats import fmt_interval, newcombe_diff, wilson
from yatbench.report.tables import col

ENCODINGS = {"pm1": "±1", "binary": "{0,1}"}
KERNEL_QUOTE = Quote("004", "I was able to create a new kernel that allows you to learn non-linearity without using "
                            "activation functions")
SOLVE_RATE = 0.5  # "solves XOR": on most seeds from a random start
SOLVE_NEIGHBOURS = (0.25, 0.75)


def solved(frame: pd.DataFrame) -> tuple[int, int]:
    """Seeds on which every test point was right (diverged runs count as not solved), and all seeds."""
    return int(col(frame, "solved").fillna(False).astype(bool).sum()), len(frame)


def _rate(frame: pd.DataFrame) -> str:
    k, n = solved(frame)
    lo, hi = wilson(k, n)
    return f"{k}/{n} solved (Wilson 95% {fmt_interval(lo, hi, 2)})"


def _credit(yat: pd.DataFrame, controls: dict[str, pd.DataFrame]) -> str:
    """Which part of ⵟ earns the XOR result: each control's rate against the full ⵟ's."""
    k, n = solved(yat)
    lines = []
    for name, frame in controls.items():
        if name == "yat" or frame.empty:
            continue
        kc, nc = solved(frame)
        diff, lo, hi = newcombe_diff(k, n, kc, nc)
        part = {"square": "the distance term", "distance": "the squared dot product"}[name]
        effect = ("adds" if lo > 0 else "costs" if hi < 0 else "makes no clear difference to")
        lines.append(f"against {name} alone, {part} {effect} success (ⵟ − {name} = {diff:+.2f}, Newcombe 95% "
                     f"{fmt_interval(lo, hi, 2)})")
    return "; ".join(lines)


def xor_single_neuron(ctx: Context, encoding: str) -> list[Claim]:
    """One row per configuration of the one-neuron Yat net on noise-free XOR with this encoding."""
    def new() -> Claim:
        return Claim(
            f"xor_one_neuron_{encoding}",
            f"One Yat neuron (plus a 1→1 linear readout, 6 parameters) solves 4-point XOR with "
            f"{ENCODINGS[encoding]} inputs, with no activation function.",
            "seeds/004 (the kernel learns non-linearity without activations); the XOR test is DESIGN §2's",
            "Share of seeds on which xor · yat (model.hidden=[1], readout linear, kernel yat, noise 0) classifies "
            "all 4 points correctly, with its Wilson 95% interval; the same for the ablation kernels run alike.",
            f"Supported if the Wilson lower bound ≥ {SOLVE_RATE} (yatbench's reading of 'solves': on most seeds "
            f"from a random start); contradicted if the upper bound < {SOLVE_RATE}. At least {MIN_SEEDS} seeds.",
            quotes=(KERNEL_QUOTE,),
            command=SWEEP["xor"],
            short=f"one Yat neuron solves XOR ({ENCODINGS[encoding]})",
        )
    runs = ctx.table.runs
    frames = ctx.matching("xor", "yat", **{"model.hidden": "[1]", "model.readout": "linear",
                                           "dataset.encoding": encoding, "dataset.noise": "0",
                                           **yat_kernel(runs.columns)})
    if not frames:
        claim = new()
        claim.runs = "yat: none"
        claim.evidence = "no runs of this configuration"
        return [claim]
    claims = []
    for frame in frames:
        claim = new().about([frame])
        claim.runs = runs_text(frame, "yat")
        k, n = solved(frame)
        lo, hi = wilson(k, n)
        claim.evidence = f"solved {k} / {n} seeds, Wilson 95% {fmt_interval(lo, hi, 2)}"
        claim.headline = claim.evidence if n else ""
        if n >= MIN_SEEDS:
            claim.seeds = n
            claim.verdict = SUPPORTED if lo >= SOLVE_RATE else CONTRADICTED if hi < SOLVE_RATE else NOT_ENOUGH
            claim.thresholds = at_thresholds(lo, hi, (SOLVE_NEIGHBOURS[0], SOLVE_RATE, SOLVE_NEIGHBOURS[1]), True)
        controls = ctx.ablations(frame, "model.kernel")
        if len(controls) > 1:
            claim.evidence += f". Ablations run alike — {ablation_text(controls, _rate)}"
            claim.notes.append("which part of ⵟ earns it: " + _credit(frame, controls))
        elif "model.kernel" in runs.columns:
            claim.notes.append("no ablation runs (model.kernel=square,distance) in this configuration: which part "
                               f"of ⵟ earns the result is not measured — `{SWEEP['xor']}` runs them")
        claims.append(claim)
    return claims


def xor_vs_relu(ctx: Context) -> list[Claim]:
    """One Yat neuron against the 2-2-1 ReLU net, per setting where both were run (±1, noise 0)."""
    def new() -> Claim:
        return Claim(
            "xor_vs_relu",
            "One Yat neuron (6 parameters) solves XOR more reliably than the classic 2-2-1 ReLU net (9 parameters), "
            "which Adam trains to a solution on only ~20–33% of seeds.",
            "seeds/004 (activation functions lose information); the comparison is DESIGN §2's reference",
            "Difference of success rates, yat (hidden [1], kernel yat) minus relu (hidden [2]), ±1 encoding, noise 0, "
            "same training settings, with Newcombe's 95% interval.",
            "Supported if the interval lies above 0; contradicted if below 0; otherwise not enough data.",
            quotes=(Quote("004", "ReLU (f (x) = max(0, x)) maps all negative pre-activations, which can signify a "
                                 "spectrum of relationships from weak dissimilarity to strong anti-alignment, to a "
                                 "single zero output"),),
            command=SWEEP["xor"], short="1 Yat neuron beats the 2-2-1 ReLU net on XOR",
        )
    runs = ctx.table.runs
    base = {"dataset.encoding": "pm1", "dataset.noise": "0"}
    claims = []
    for yat in ctx.matching("xor", "yat", **base, **{"model.hidden": "[1]", "model.readout": "linear",
                                                      **yat_kernel(runs.columns)}):
        for relu in ctx.partner(yat, "relu", **{"model.hidden": "[2]"}):
            claim = new().about([yat, relu])
            claim.runs = f"{runs_text(yat, 'yat')}; {runs_text(relu, 'relu')}"
            (k1, n1), (k2, n2) = solved(yat), solved(relu)
            if n1 < MIN_SEEDS or n2 < MIN_SEEDS:
                claim.evidence = f"yat {k1}/{n1}, relu 2-2-1 {k2}/{n2} solved; needs ≥ {MIN_SEEDS} seeds each"
            else:
                claim.seeds = min(n1, n2)
                diff, lo, hi = newcombe_diff(k1, n1, k2, n2)
                claim.evidence = (f"yat {k1}/{n1} vs relu 2-2-1 {k2}/{n2} solved; difference {diff:+.2f}, "
                                  f"Newcombe 95% {fmt_interval(lo, hi, 2)}")
                claim.headline = claim.evidence
                claim.verdict = SUPPORTED if lo > 0 else CONTRADICTED if hi < 0 else NOT_ENOUGH
            claims.append(claim)
    return or_missing(claims, new, "needs yat (hidden [1]) and relu (hidden [2]) runs of ±1 XOR trained alike")


CLAIMS = [lambda ctx: xor_single_neuron(ctx, "pm1"), lambda ctx: xor_single_neuron(ctx, "binary"), xor_vs_relu]
