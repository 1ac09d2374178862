"""XOR claims: which part of ⵟ solves it, whether one Yat neuron does, and against what.

The rows lead with the ablation (``xor_ablation_*``): the real ⵟ against its square (w·x + b)²
alone and its inverse distance 1/(‖w − x‖² + ε) alone (``model.kernel=square | distance``, run
beside it by ``yatbench sweep xor``), which sets ``earned_by`` on every XOR row. Then "one Yat
neuron solves XOR", then the comparison with networks of matched parameter count (``xor_matched_*``:
the ablation units have exactly ⵟ's 6 parameters; of every other model run alike, the size closest
to 6), and last DESIGN §2's reference comparison with the 2-2-1 ReLU net (9 parameters, stated).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
# "solves at least about as often": the Newcombe 95% interval of rate(ⵟ) − rate(other) lies below this.
# yatbench's choice (the seeds give no number); the verdicts at the neighbouring margins are shown.
MARGIN = 0.1
MARGIN_NEIGHBOURS = (0.05, 0.2)
PARTS = {"square": "the square (w·x+b)²", "distance": "the distance term 1/(‖w − x‖² + ε)"}


def solved(frame: pd.DataFrame) -> tuple[int, int]:
    """Seeds on which every test point was right (diverged runs count as not solved), and all seeds."""
    return int(col(frame, "solved").fillna(False).astype(bool).sum()), len(frame)


def _rate(frame: pd.DataFrame) -> str:
    k, n = solved(frame)
    lo, hi = wilson(k, n)
    return f"{k}/{n} solved (Wilson 95% {fmt_interval(lo, hi, 2)})"


@dataclass
class Against:
    """ⵟ's solve rate against another configuration's, trained alike: Newcombe 95% interval of the difference."""

    name: str
    frame: pd.DataFrame
    earns: str  # what to credit when this configuration solves at least about as often as ⵟ
    diff: float = math.nan
    lo: float = math.nan
    hi: float = math.nan

    def measure(self, yat: pd.DataFrame) -> Against:
        (k1, n1), (k2, n2) = solved(yat), solved(self.frame)
        self.diff, self.lo, self.hi = newcombe_diff(k1, n1, k2, n2)
        return self

    def text(self) -> str:
        k, n = solved(self.frame)
        return (f"{self.name} {k}/{n} (ⵟ − it = {self.diff:+.2f}, Newcombe 95% {fmt_interval(self.lo, self.hi, 2)})")


def decide_against(claim: Claim, yat: pd.DataFrame, others: list[Against], whole: str) -> None:
    """'ⵟ solves XOR more often than each of ``others``': supported when every interval of ⵟ − other lies above 0,
    contradicted when one lies below ``MARGIN`` (that one solves at least about as often); ``earned_by`` follows."""
    (k, n), enough = solved(yat), all(solved(o.frame)[1] >= MIN_SEEDS for o in others)
    claim.earned_by = "n/a"  # until decided
    if n < MIN_SEEDS or not others or not enough:
        claim.evidence = (f"ⵟ {k}/{n}; " + "; ".join(f"{o.name} {solved(o.frame)[0]}/{solved(o.frame)[1]}"
                                                     for o in others) + f" solved; needs ≥ {MIN_SEEDS} seeds each")
        return
    claim.seeds = min([n, *(solved(o.frame)[1] for o in others)])
    lo, hi = wilson(k, n)
    claim.evidence = f"ⵟ {k}/{n} solved (Wilson 95% {fmt_interval(lo, hi, 2)}); " + "; ".join(o.text() for o in others)
    rivals = sorted((o for o in others if o.hi < MARGIN), key=lambda o: o.diff)
    if all(o.lo > 0 for o in others):
        claim.verdict, claim.earned_by = SUPPORTED, whole
    elif rivals:
        claim.verdict = CONTRADICTED
        best = rivals[0]
        kb, nb = solved(best.frame)
        # a rival that itself fails on most seeds earns nothing: then nothing here solves XOR reliably
        claim.earned_by = best.earns if wilson(kb, nb)[0] >= SOLVE_RATE else "none (nothing here solves it)"
    claim.headline = (f"ⵟ {k}/{n}; " + ", ".join(f"{o.name} {solved(o.frame)[0]}/{solved(o.frame)[1]}"
                                                for o in others))

    def at(margin: float) -> str:
        if all(o.lo > 0 for o in others):
            return SUPPORTED
        return CONTRADICTED if any(o.hi < margin for o in others) else NOT_ENOUGH
    claim.thresholds = " · ".join(f"margin {m:g}: {at(m)}" for m in sorted({MARGIN, *MARGIN_NEIGHBOURS}))


def part_controls(ctx: Context, yat: pd.DataFrame) -> list[Against]:
    """The ablation kernels trained alike (same everything but ``model.kernel``), measured against ``yat``."""
    controls = ctx.ablations(yat, "model.kernel")
    return [Against(f"{name} alone", controls[name], PARTS[name]).measure(yat) for name in PARTS if name in controls]


def cost_text(yat: pd.DataFrame, parts: list[Against]) -> str:
    """What the other term costs (or gains) when added to each part alone, in seeds."""
    k, n = solved(yat)
    lines = []
    for part in parts:
        kp, np_ = solved(part.frame)
        this, other = ("the square", "the distance term") if part.name.startswith("square") else \
            ("the distance term", "the square")
        if np_ == n and kp != k:
            lines.append(f"adding {other} to {this} {'costs' if kp > k else 'gains'} {abs(kp - k)} of {n} seeds")
        elif np_ == n:
            lines.append(f"adding {other} to {this} changes nothing ({k} of {n} seeds either way)")
    return "; ".join(lines)


def ablation(ctx: Context, frame: pd.DataFrame) -> tuple[str, str]:
    """(earned_by, a note) for a one-neuron ⵟ configuration, from its ablation kernels trained alike."""
    parts = part_controls(ctx, frame)
    if not parts:
        return "n/a", ("no ablation runs (model.kernel=square,distance) in this configuration: which part of ⵟ "
                       f"earns the result is not measured — `{SWEEP['xor']}` runs them")
    probe = Claim("", "", "", "", "")
    decide_against(probe, frame, parts, "ⵟ as a whole")
    return probe.earned_by or "n/a", "which part of ⵟ earns it: " + "; ".join(p.text() for p in parts)


def one_neuron(ctx: Context, encoding: str) -> list[pd.DataFrame]:
    """The one-neuron Yat configurations (kernel yat) on noise-free XOR with this encoding."""
    return ctx.matching("xor", "yat", **{"model.hidden": "[1]", "model.readout": "linear", "dataset.encoding": encoding,
                                         "dataset.noise": "0", **yat_kernel(ctx.table.runs.columns)})


def xor_ablation(ctx: Context, encoding: str) -> list[Claim]:
    """Which part of ⵟ earns one neuron's XOR result: ⵟ against its square and its distance term alone."""
    def new() -> Claim:
        return Claim(
            f"xor_ablation_{encoding}",
            f"The kernel ⵟ as a whole is what solves XOR ({ENCODINGS[encoding]} inputs, one neuron): neither its "
            "square (w·x + b)² nor its inverse distance 1/(‖w − x‖² + ε) alone solves it as often.",
            "seeds/004 (the kernel learns non-linearity without activations); the ablation is yatbench's",
            "Share of seeds solved (all 4 points right) by one neuron + 1→1 readout (6 parameters each) with kernel "
            "yat, square (α(w·x + b)² alone) and distance (α/(‖w − x‖² + ε) alone), noise 0, trained alike; "
            "Newcombe 95% interval of rate(ⵟ) − rate(part) per part.",
            f"Supported if ⵟ solves more often than each part (every interval above 0); contradicted if a part solves "
            f"at least about as often (its interval lies below {MARGIN}: ⵟ adds less than {MARGIN:.0%} of seeds over "
            f"it; {MARGIN} is yatbench's choice, the verdicts at 0.05 and 0.2 are shown). earned_by names the part "
            "that earns the result.",
            quotes=(KERNEL_QUOTE,), command=SWEEP["xor"],
            short=f"which part of ⵟ solves XOR ({ENCODINGS[encoding]})")
    claims = []
    for frame in one_neuron(ctx, encoding):
        claim = new().about([frame])
        parts = part_controls(ctx, frame)
        claim.runs = "; ".join([runs_text(frame, "yat"), *(runs_text(p.frame, p.name) for p in parts)])
        if not parts:
            claim.evidence = "no ablation runs (model.kernel=square,distance) trained alike"
            claims.append(claim)
            continue
        decide_against(claim, frame, parts, "ⵟ as a whole")
        cost = cost_text(frame, parts)
        if cost:
            claim.evidence += f". {cost[0].upper()}{cost[1:]}"
        claims.append(claim)
    return or_missing(claims, new, "no one-neuron Yat runs (model.hidden=[1], kernel yat) of noise-free XOR")


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
    frames = one_neuron(ctx, encoding)
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
        claim.earned_by, note = ablation(ctx, frame)
        claim.notes.append(note)
        claims.append(claim)
    return claims


def params_of(frame: pd.DataFrame) -> int:
    return int(col(frame, "params").dropna().iloc[0]) if col(frame, "params").notna().any() else 0


def size_name(frame: pd.DataFrame) -> str:
    """``relu 2-1-1`` for an MLP on XOR's 2 inputs and 1 output, else the model's name."""
    model = str(frame["model"].iloc[0])
    hidden = str(col(frame, "model.hidden").iloc[0]) if "model.hidden" in frame.columns else "nan"
    if hidden in ("nan", "None", "[]") or model == "yat":
        return model
    return f"{model} 2-{'-'.join(hidden.strip('[]').replace(' ', '').split(','))}-1"


def matched(ctx: Context, yat: pd.DataFrame) -> list[Against]:
    """Networks of (about) ⵟ's parameter count trained alike: the ablation units (exactly its count), and of every
    other model run in the same setting the configuration closest in count (the smaller one on a tie)."""
    size = params_of(yat)
    out = [Against(f"{p.name} ({params_of(p.frame)} params)", p.frame, p.earns) for p in part_controls(ctx, yat)]
    runs = ctx.table.runs
    for model in dict.fromkeys(runs.loc[runs["dataset"] == yat["dataset"].iloc[0], "model"]):
        frames = [] if model == "yat" else ctx.partner(yat, str(model))
        if frames:
            best = min(frames, key=lambda f: (abs(params_of(f) - size), params_of(f)))
            out.append(Against(f"{size_name(best)} ({params_of(best)} params)", best, "none (baseline wins)"))
    return [a.measure(yat) for a in out]


def xor_matched(ctx: Context, encoding: str) -> list[Claim]:
    """One Yat neuron against networks of matched parameter count, the square-only unit included."""
    def new() -> Claim:
        return Claim(
            f"xor_matched_{encoding}",
            f"One Yat neuron (plus a 1→1 readout) solves XOR ({ENCODINGS[encoding]} inputs) more reliably than "
            "networks of the same parameter count — the square-only and distance-only units of exactly its size, "
            "and the closest size of every other model trained alike.",
            "seeds/004 (less information loss → fewer parameters); the matched comparison is yatbench's",
            "Share of seeds solved (all 4 points right, noise 0, trained alike) by ⵟ and by each matched network, "
            "Newcombe 95% interval of rate(ⵟ) − rate(network); each network's parameter count stated (yatbench sweep "
            "xor --dry-run lists them).",
            f"Supported if ⵟ solves more often than every matched network (every interval above 0); contradicted if "
            f"one solves at least about as often (its interval lies below {MARGIN}); otherwise not enough data. "
            "earned_by: ⵟ as a whole when it wins; the square when the square-only unit matches it; 'none "
            "(baseline wins)' when another model does.",
            quotes=(Quote("004", "since you can learn to represent the same problem with less amount of params"),),
            command=SWEEP["xor"], short=f"1 Yat neuron beats matched-size networks on XOR ({ENCODINGS[encoding]})")
    claims = []
    for yat in one_neuron(ctx, encoding):
        others = matched(ctx, yat)
        claim = new().about([yat])
        claim.runs = "; ".join([runs_text(yat, "yat"), *(runs_text(o.frame, o.name) for o in others)])
        if not others:
            claim.evidence = "no other network trained alike"
            claims.append(claim)
            continue
        with_parts = len(part_controls(ctx, yat)) == len(PARTS)
        decide_against(claim, yat, others, "ⵟ as a whole" if with_parts else "ⵟ (its parts were not run alike)")
        size = params_of(yat)
        gaps = [f"{o.name.split(' (')[0]} {params_of(o.frame) - size:+d}" for o in others
                if params_of(o.frame) != size]
        claim.notes.append(f"ⵟ has {size} parameters; the ablation units the same"
                           + (f"; the remaining differences: {', '.join(gaps)}" if gaps else ""))
        if any(size_name(o.frame) == "relu 2-1-1" for o in others):
            claim.notes.append("relu 2-1-1 is the closest a ReLU net gets to ⵟ's count (a 2-h-1 net has 4h + 1), "
                               "and it cannot represent XOR (one ReLU then a line: its decision region is a "
                               "half-plane); the smallest ReLU net that can, 2-2-1 (9), is the xor_vs_relu row")
        claims.append(claim)
    return or_missing(claims, new, "no one-neuron Yat runs (model.hidden=[1], kernel yat) of noise-free XOR")


def xor_vs_relu(ctx: Context) -> list[Claim]:
    """One Yat neuron against the 2-2-1 ReLU net, per setting where both were run (±1, noise 0)."""
    def new() -> Claim:
        return Claim(
            "xor_vs_relu",
            "One Yat neuron (6 parameters) solves XOR more reliably than the classic 2-2-1 ReLU net (9 parameters: "
            "not parameter-matched, the xor_matched rows are), which Adam trains to a solution on only ~20–33% of "
            "seeds.",
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
            claim.earned_by, note = ablation(ctx, yat)
            claim.notes.append(f"parameters: yat {params_of(yat)}, relu 2-2-1 {params_of(relu)}; {note}")
            claims.append(claim)
    return or_missing(claims, new, "needs yat (hidden [1]) and relu (hidden [2]) runs of ±1 XOR trained alike")


CLAIMS = [lambda ctx: xor_ablation(ctx, "pm1"), lambda ctx: xor_ablation(ctx, "binary"),
          lambda ctx: xor_single_neuron(ctx, "pm1"), lambda ctx: xor_single_neuron(ctx, "binary"),
          lambda ctx: xor_matched(ctx, "pm1"), lambda ctx: xor_matched(ctx, "binary"), xor_vs_relu]
