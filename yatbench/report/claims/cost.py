"""The cost objection (seeds/004): does a Yat layer need about twice the memory of a dot product?

Decided from what ``yatbench bench`` wrote into ``<results>/bench/layer.csv``: per shape (batch, in,
out) and device, the bytes autograd keeps for backward and the median time of a forward + backward
step, each as a ratio to Linear+ReLU. That is *training memory* of a layer in PyTorch (on CPU unless
the bench ran with ``--device cuda``), not the on-chip accumulators of a fused GEMV/GEMM kernel the
seed speaks of, which nothing in yatbench measures. The report reads the CSV when it exists and
otherwise names the command that writes it.
"""

from __future__ import annotations

import pandas as pd

from yatbench.report.claims.base import CONTRADICTED, SUPPORTED, Claim, Quote, at_thresholds, or_missing
from yatbench.report.context import Context
from yatbench.report.load import history_too_large

BENCH_CSV = ("bench", "layer.csv")
DOUBLED = 1.5  # 'doubles': closer to 2× than to 1× the baseline's saved bytes
NEIGHBOURS = (1.25, 2.0)
NEEDED = {"batch", "in_features", "out_features", "contender", "time_ratio", "saved_bytes", "saved_ratio", "device",
          "repeats"}
BASELINE = "linear_relu"
NAMES = {"yat": "yatbench's YatLayer (custom backward)", "yat_reference": "the formula through plain autograd",
         "nmn": "nmn's YatNMN", "yat_compiled": "torch.compile of the YatLayer"}
COVERS = ("Covers: bytes of the tensors autograd keeps between forward and backward of one layer (unique storages, "
          "parameters included) and the wall time of a forward + backward step, in PyTorch on the bench's device. "
          "Does not cover: on-chip accumulators or registers of a fused GEMV/GEMM kernel, peak memory during the "
          "step, or inference.")


def _new(command: str) -> Claim:
    return Claim(
        "cost_memory", "A Yat layer essentially doubles the memory a dot-product layer needs (it must keep running "
                       "norms beside the dot product).", "seeds/004",
        "Bytes kept for backward by a Yat layer ÷ the same for Linear+ReLU on the same input (saved_ratio of "
        "`yatbench bench`), per shape and device; the time-per-step ratio beside it. " + COVERS,
        f"Supported if the ratio ≥ {DOUBLED} (closer to 2× than to 1×); contradicted if below. A byte count is "
        "exact, so no interval is needed; the time ratio is a median over interleaved repeats.",
        quotes=(Quote("004", "it essentially doubles the amount of memory needed on-chip"),),
        command=command, short="Yat doubles the memory of a dot product")


def read_bench(path) -> tuple[pd.DataFrame | None, str]:
    """The bench table, or None and why not."""
    if not path.is_file():
        return None, "no bench results"
    too_large = history_too_large(path)  # the same size limit as a run's history
    if too_large:
        return None, too_large
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return None, f"{path.name} is not a readable CSV ({exc.__class__.__name__})"
    missing = NEEDED - set(frame.columns)
    if missing:
        return None, f"{path.name} lacks the columns {', '.join(sorted(missing))}"
    return frame, ""


def cost_memory(ctx: Context) -> list[Claim]:
    path = ctx.table.results_dir.joinpath(*BENCH_CSV)
    command = f"yatbench bench --out {path.parent}"
    frame, why = read_bench(path)
    if frame is None:
        claim = _new(command)
        claim.runs = f"{path}: {why}"
        claim.evidence = f"{why}: `{command}` measures it (about a minute on 2 CPU cores)"
        return [claim]
    claims = []
    if "layer" not in frame.columns:  # benches before --layer timed the hidden-layer case only
        frame = frame.assign(layer="hidden")
    shapes = frame.groupby(["device", "layer", "batch", "in_features", "out_features"], sort=False)
    for (device, layer, batch, fan_in, fan_out), rows in shapes:
        base = rows[rows["contender"] == BASELINE]
        for _, row in rows[rows["contender"] != BASELINE].iterrows():
            ratio = float(row["saved_ratio"])
            if base.empty or not ratio == ratio:  # no baseline or NaN: a failed contender
                continue
            claim = _new("")
            name = str(row["contender"])
            claim.setting = f"{NAMES.get(name, name)}, {layer} layer, batch {batch}, {fan_in}→{fan_out}, {device}"
            claim.config = f"bench {name} {layer} {batch}x{fan_in}x{fan_out} {device}"
            claim.runs = f"{path} ({int(row['repeats'])} interleaved repeats)"
            claim.verdict = SUPPORTED if ratio >= DOUBLED else CONTRADICTED
            claim.headline = f"saved for backward {ratio:.2f}× Linear+ReLU; time {float(row['time_ratio']):.2f}×"
            claim.evidence = (f"{NAMES.get(name, name)} keeps {int(row['saved_bytes'])} bytes for backward, "
                              f"{ratio:.3f}× Linear+ReLU's {int(base['saved_bytes'].iloc[0])}; a forward + backward "
                              f"step takes {float(row['time_ratio']):.2f}× Linear+ReLU's time (median of per-repeat "
                              f"ratios, {device}).")
            claim.thresholds = at_thresholds(ratio, ratio, tuple(sorted({DOUBLED, *NEIGHBOURS})), True)
            claims.append(claim)
    return or_missing(claims, lambda: _new(command), f"{path.name} holds no Yat row with its Linear+ReLU baseline")


CLAIMS = [cost_memory]
