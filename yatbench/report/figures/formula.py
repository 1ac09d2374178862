"""Pure-math figures (no runs): the ⵟ response field of one neuron and the softmax territories of four."""

from __future__ import annotations

import numpy as np

from yatbench.report.context import Context
from yatbench.report.figures.base import Figure, Section
from yatbench.report.measures import EPSILON, TERRITORY_TAUS, TERRITORY_WEIGHTS, territory_sharpness, yat_grid
from yatbench.report.style import pyplot, save

SECTIONS = [Section("yat", "What a single Yat neuron computes", "The ⵟ response of one neuron, and how several "
                    "neurons split the plane under a softmax (seeds/000).", rank=20)]

FIELD_CASES = (((1.0, 1.0), 0.0), ((-1.5, 0.5), 0.0), ((1.0, 1.0), 1.0))


def response_field(ctx: Context) -> Figure:
    """log₁₀ ⵟ(w, x) over the plane for three (w, b): the peak at x ≈ w and the zero set w·x + b = 0."""
    plt = pyplot()
    import torch

    from yatbench.nn.yat import yat_reference

    fig, axes = plt.subplots(1, len(FIELD_CASES), figsize=(4.1 * len(FIELD_CASES), 4.3), squeeze=False,
                             layout="constrained")
    image = None
    for ax, (w, b) in zip(axes[0], FIELD_CASES, strict=True):
        _, _, scores = yat_grid([w], [b])
        field_ = np.log10(np.maximum(scores[..., 0], 1e-4))
        image = ax.imshow(field_, extent=(-3, 3, -3, 3), origin="lower", cmap="viridis", vmin=-3, vmax=3)
        norm2 = w[0] ** 2 + w[1] ** 2
        # the zero set w·x + b = 0 (a line), and the weight vector itself
        t = np.linspace(-6, 6, 2)
        px, py = -b * w[0] / norm2, -b * w[1] / norm2
        ax.plot(px - w[1] * t, py + w[0] * t, "--", color="white", lw=1.2, label="ⵟ = 0: w·x + b = 0")
        if b != 0:
            ax.plot(-w[1] * t, w[0] * t, ":", color="#F0E442", lw=1.4, label="x ⊥ w (here ⵟ > 0)")
        ax.plot(*w, marker="*", ms=15, color="#D55E00", mec="white", ls="none", label="w")
        at_w = torch.tensor([w], dtype=torch.float64)
        peak = float(yat_reference(at_w, at_w, torch.tensor([b], dtype=torch.float64), None, EPSILON)[0, 0])
        ax.set_xlim(-3, 3)
        ax.set_ylim(-3, 3)
        ax.grid(False)
        ax.set_title(f"w = ({w[0]:g}, {w[1]:g}), b = {b:g}\nat x = w: ⵟ = (‖w‖² + b)²/ε = {peak:.3g}", fontsize=10)
        ax.set_xlabel("x₁ (unitless)")
        ax.set_ylabel("x₂ (unitless)")
        ax.legend(loc="lower left", fontsize=8, framealpha=0.85)
    bar = fig.colorbar(image, ax=axes, shrink=0.85, extend="both")
    bar.set_label("log₁₀ ⵟ(w, x)  (ⵟ unitless; clipped to [10⁻³, 10³])")
    fig.suptitle("One Yat neuron: ⵟ(w, x) = (w·x + b)² / (‖w − x‖² + ε), ε = 10⁻⁵", x=0.01, ha="left")
    path = save(fig, ctx.out_dir / "yat_response_field.png")
    caption = ("Response of a single Yat neuron over the plane (computed from the formula, no runs), log colour "
               "scale clipped at 10³ so the plane stays readable. It peaks in a spike of width ~√ε at x ≈ w "
               "(height ‖w‖⁴/ε + ‖w‖² when b = 0) and is zero exactly on the line "
               "w·x + b = 0. With a bias (right panel, the nmn default keeps b inside the square) the zero set "
               "moves off the origin and inputs orthogonal to w no longer give 0 (seeds/000 states "
               "ⵟ = 0 iff w ⊥ x, which holds only for b = 0).")
    return Figure(path.stem, path, "ⵟ response field of one neuron", caption, "yat")


def territories(ctx: Context) -> Figure:
    """softmax(ⵟᵢ/τ) of four neurons over the plane at τ = 0.1, 1, 10: each point coloured by the mixture."""
    from matplotlib.colors import to_rgb
    from matplotlib.lines import Line2D

    plt = pyplot()
    weights = list(TERRITORY_WEIGHTS)
    palette = np.array([to_rgb(c) for c in ("#0072B2", "#E69F00", "#009E73", "#CC79A7")])
    gx, gy, scores = yat_grid(weights, [0.0] * len(weights), steps=301)
    sharp = territory_sharpness()
    fig, axes = plt.subplots(1, len(TERRITORY_TAUS), figsize=(4.0 * len(TERRITORY_TAUS), 4.6), squeeze=False,
                             layout="constrained")
    for ax, tau in zip(axes[0], TERRITORY_TAUS, strict=True):
        logits = scores / tau
        logits = logits - logits.max(-1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(-1, keepdims=True)
        rgb = probs @ palette
        ax.imshow(rgb, extent=(-3, 3, -3, 3), origin="lower")
        winner = probs.argmax(-1)
        ax.contour(gx, gy, winner, levels=np.arange(len(weights)) + 0.5, colors="white", linewidths=0.6)
        for index, (wx, wy) in enumerate(weights):
            ax.plot(wx, wy, marker="*", ms=15, color="white", mec="black", mew=1.0, ls="none")
            ax.annotate(f"w{index + 1}", (wx, wy), textcoords="offset points", xytext=(6, 6), fontsize=9,
                        color="black", bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.7, "lw": 0})
        ax.grid(False)
        ax.set_title(f"τ = {tau:g}: mean max P = {sharp[tau]:.2f}", fontsize=10)
        ax.set_xlabel("x₁ (unitless)")
        ax.set_ylabel("x₂ (unitless)")
    handles = [Line2D([], [], marker="s", ls="none", ms=9, color=palette[i], label=f"neuron {i + 1} (weight w{i + 1})")
               for i in range(len(weights))]
    handles.append(Line2D([], [], marker="*", ls="none", ms=12, color="white", mec="black", label="weight vector"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)
    fig.suptitle("Softmax territories of four Yat neurons, Pᵢ = softmax(ⵟ(wᵢ, x)/τ), b = 0, ε = 10⁻⁵",
                 x=0.01, ha="left")
    path = save(fig, ctx.out_dir / "yat_territories.png")
    caption = ("Each point of the plane coloured by the softmax mixture of four Yat neurons' colours (pure colour = "
               "one neuron takes all; blended = shared); white lines separate the argmax territories (seeds/000). "
               "'mean max P' is the winning probability averaged over the plane: lower τ gives harder "
               "territories. Computed from the formula; no runs.")
    return Figure(path.stem, path, "Softmax territories at τ = 0.1, 1, 10", caption, "yat")
