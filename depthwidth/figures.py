"""Every figure of the workflow, as functions from plain arrays to a matplotlib figure.

Errors are relative errors, MSE / Var(y_test), on every axis that shows them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation

from .artifacts import atomic_path
from .style import COLUMN_WIDTH, FULL_WIDTH, regime_colour

REL = "MSE / Var(y_test)"


def deep_loss(curves: Mapping[str, Sequence[np.ndarray]], phase_steps: int) -> plt.Figure:
    """Deep students' training error per step (log y), one colour per regime, one line per seed."""
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.4))
    for i, (regime, runs) in enumerate(curves.items()):
        for k, curve in enumerate(runs):
            label = f"{regime} ({len(runs)} seed{'s' if len(runs) > 1 else ''})" if k == 0 else None
            ax.plot(np.arange(1, len(curve) + 1), curve, color=regime_colour(i), lw=0.8, alpha=0.8, label=label)
    total = max(len(c) for runs in curves.values() for c in runs)
    for boundary in range(phase_steps, total, phase_steps):
        ax.axvline(boundary, color="0.7", lw=0.6, ls=":")
    ax.set(yscale="log", xlabel="Adam step (dotted: learning rate / 3)", ylabel=f"training {REL}",
           title="Deep student (teacher's architecture)")
    ax.legend()
    return fig


def error_vs_width(
    points: Mapping[str, Mapping[str, np.ndarray]], fits: Mapping[str, Mapping[str, float]]
) -> plt.Figure:
    """Train and test error against width (log-log) with the fitted power law and its extrapolation.

    ``points[regime]`` holds arrays ``width``, ``train``, ``test`` (one entry per student and seed).
    """
    fig, axes = plt.subplots(1, len(points), figsize=(COLUMN_WIDTH * len(points), 2.8), squeeze=False)
    for i, (ax, (regime, pts)) in enumerate(zip(axes[0], points.items())):
        fit = fits[regime]
        colour = regime_colour(i)
        seeds = len(set(fit["seeds"]))
        ax.scatter(pts["width"], pts["test"], color=colour, s=14, label=f"test ({seeds} seed{'s' if seeds > 1 else ''})")
        ax.scatter(pts["width"], pts["train"], facecolor="none", edgecolor=colour, s=14, label="train")
        target, predicted = fit["target_error"], fit["predicted_width"]
        w_max = predicted if np.isfinite(predicted) else 10 * max(pts["width"])
        w_line = np.geomspace(min(pts["width"]), max(w_max, max(pts["width"])), 200)
        ax.plot(w_line, np.exp(fit["intercept"]) * w_line ** fit["slope"], color="0.3", lw=0.8, ls="--",
                label=f"fit: E ∝ W^{fit['slope']:.2f}")
        ax.axhline(target, color="0.6", lw=0.6, ls=":")
        if np.isfinite(predicted):
            ax.scatter([predicted], [target], marker="*", color="k", s=40, zorder=3,
                       label=f"E = {target:g} at W ≈ {predicted:.2g}")
        ax.set(xscale="log", yscale="log", xlabel="hidden width W", ylabel=f"relative error, {REL}",
               title=f"Shallow students, {regime} teacher")
        ax.legend(loc="lower left")
    fig.tight_layout()
    return fig


def predictions(panels: Sequence[tuple[str, np.ndarray, np.ndarray]]) -> plt.Figure:
    """Student output against teacher output on the test set, one panel per (title, y_teacher, y_student)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(COLUMN_WIDTH * len(panels) * 0.75, 2.6), squeeze=False)
    for i, (ax, (title, y_true, y_pred)) in enumerate(zip(axes[0], panels)):
        lo, hi = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
        ax.plot([lo, hi], [lo, hi], color="0.6", lw=0.6, ls="--")
        ax.scatter(y_true, y_pred, s=3, alpha=0.5, color=regime_colour(i), rasterized=True)
        ax.set(xlabel="teacher output", ylabel="student output", title=title, aspect="equal")
        ax.ticklabel_format(style="sci", scilimits=(-2, 3))
    fig.tight_layout()
    return fig


def _draw_curve(ax, xyz: np.ndarray) -> None:
    colours = plt.cm.hsv(np.linspace(0, 1, len(xyz)))
    for k in range(len(xyz) - 1):
        ax.plot(*xyz[k : k + 2].T, color=colours[k], lw=0.8)
    ax.set_xticks([]), ax.set_yticks([]), ax.set_zticks([])


def expressivity_grid(projected: np.ndarray, labels: Sequence[str], layers: Sequence[int]) -> plt.Figure:
    """Rows: nets (``projected`` is (S, L, P, 3)); columns: the listed hidden layers (1-based)."""
    fig = plt.figure(figsize=(FULL_WIDTH, FULL_WIDTH / len(layers) * len(labels) * 1.1))
    for r, label in enumerate(labels):
        for c, layer in enumerate(layers):
            ax = fig.add_subplot(len(labels), len(layers), r * len(layers) + c + 1, projection="3d")
            _draw_curve(ax, projected[r, layer - 1])
            ax.set_title(f"{label}, layer {layer}" if c == 0 else f"layer {layer}", fontsize=7)
    return fig


def expressivity_animation(projected: np.ndarray, labels: Sequence[str], path: str | Path, fps: int = 3) -> None:
    """An animated GIF through the hidden layers, the nets side by side, the layer number shown."""
    n_layers = projected.shape[1]
    fig = plt.figure(figsize=(2.6 * len(labels), 2.9))
    axes = [fig.add_subplot(1, len(labels), i + 1, projection="3d") for i in range(len(labels))]
    heading = fig.suptitle("")

    def draw(layer: int):
        for ax, label, curves in zip(axes, labels, projected):
            ax.cla()
            _draw_curve(ax, curves[layer])
            ax.set_title(label, fontsize=8)
        heading.set_text(f"hidden layer {layer + 1} of {n_layers}")
        return axes

    anim = animation.FuncAnimation(fig, draw, frames=n_layers, blit=False)
    with atomic_path(path) as tmp:
        anim.save(str(tmp), writer=animation.PillowWriter(fps=fps))
    plt.close(fig)


# --- the order-to-chaos study -------------------------------------------------------------------


def _mark_transition(ax, sigma_c: float = 1.0) -> None:
    ax.axvline(sigma_c, color="0.5", lw=0.7, ls=":", zorder=0)


def mean_field(table) -> plt.Figure:
    """chi_1 and q* (left) and the depth scale xi_c (right) against sigma_w, for bias-free tanh nets."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 2.6))
    s = table["sigma_w"].to_numpy()
    ax1.plot(s, table["chi_1"], color=regime_colour(0), label="χ₁ = σ² E[φ'(√q* z)²]")
    ax1.plot(s, table["q_star"], color=regime_colour(1), label="q* (fixed point of the length map)")
    ax1.axhline(1.0, color="0.5", lw=0.7, ls="--")
    _mark_transition(ax1)
    ax1.set(xlabel="weight scale σ_w", ylabel="mean-field quantity", title="Order (χ₁ < 1) to chaos (χ₁ > 1)")
    ax1.legend()
    xi = table["depth_scale"].to_numpy(dtype=float)
    ax2.plot(s, np.where(np.isfinite(xi), xi, np.nan), color=regime_colour(2))
    _mark_transition(ax2)
    ax2.set(xlabel="weight scale σ_w", ylabel="depth scale ξ_c (layers)", yscale="log",
            title="Correlation depth scale ξ_c = −1 / ln χ_c")
    fig.tight_layout()
    return fig


def trajectory_length(table) -> plt.Figure:
    """Circle length (log) and normalised length against layer: measured over nets, and the mean-field theory."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 2.8))
    for i, (sigma, g) in enumerate(table.groupby("sigma_w", sort=True)):
        c = regime_colour(i)
        n_nets = int(g["n_nets"].iloc[0])
        ax1.fill_between(g["layer"], g["length_min"], g["length_max"], color=c, alpha=0.2, lw=0)
        ax1.plot(g["layer"], g["length_geomean"], "o", ms=2.5, color=c,
                 label=f"σ={sigma:g} (χ₁={g['chi_1'].iloc[0]:.2f})")
        ax1.plot(g["layer"], g["theory_length"], color=c, lw=0.9)
        ax1.plot(g["layer"], g["theory_fixed_point_length"], color=c, lw=0.7, ls="--")
        ax2.plot(g["layer"], g["normalised_length_mean"], "o", ms=2.5, color=c)
        ax2.plot(g["layer"], g["theory_normalised_length"], color=c, lw=0.9)
    ax1.set(yscale="log", xlabel="hidden layer l", ylabel="length of the circle's image",
            title=f"Measured ({n_nets} nets: geo. mean, range), mean field (line), √χ₁^l (dashed)")
    ax1.title.set_fontsize(7)
    ax1.legend(fontsize=6)
    ax2.set(yscale="log", xlabel="hidden layer l", ylabel="length / (2π RMS radius)",
            title="Normalised length: 1 for a circle")
    fig.tight_layout()
    return fig


def _band(ax, g, colour, label, **line):
    ax.fill_between(g["sigma_w"], g["test_error_ci95_low"], g["test_error_ci95_high"], color=colour, alpha=0.2, lw=0)
    ax.plot(g["sigma_w"], g["test_error_median"], color=colour, label=label, marker="o", ms=2.5, **line)


def _chi_axis(ax, chi_curve) -> None:
    """chi_1 against sigma on a twin axis, chi_1 = 1 marked."""
    twin = ax.twinx()
    twin.plot(chi_curve["sigma_w"], chi_curve["chi_1"], color="0.35", lw=0.8, ls="-.", label="χ₁ (theory)")
    twin.axhline(1.0, color="0.35", lw=0.6, ls=":")
    twin.set_ylabel("χ₁ (mean-field theory)", fontsize=7)
    twin.legend(loc="lower right")
    _mark_transition(ax)


def _student_label(student: str, width: int, depth: int) -> str:
    if student == "linear":
        return "best linear fit"
    if student == "deep":
        return f"deep student (teacher's shape, depth {depth})"
    return f"width {width}" if student.startswith("shallow_w") else f"depth {depth}, width {width}"


def sweep_error(bands, chi_curve, shallow: Sequence[str]) -> plt.Figure:
    """Relative test error against teacher sigma: each shallow width, the deep student, the linear floor."""
    fig, ax = plt.subplots(figsize=(FULL_WIDTH * 0.75, 3.2))
    colours = plt.cm.viridis(np.linspace(0.1, 0.85, max(len(shallow), 1)))
    for colour, student in zip(colours, shallow):
        g = bands[bands["student"] == student]
        _band(ax, g, colour, f"shallow, {_student_label(student, g['width'].iloc[0], g['depth'].iloc[0])}")
    for student, colour, ls in (("deep", "k", "-"), ("linear", "0.55", "--")):
        g = bands[bands["student"] == student]
        if len(g):
            _band(ax, g, colour, _student_label(student, g["width"].iloc[0], g["depth"].iloc[0]), ls=ls)
    n = int(bands["n_seeds"].max())
    ax.set(xscale="log", yscale="log", xlabel="teacher weight scale σ_w", ylabel=f"test {REL}",
           title=f"Error against teacher σ (median, bootstrap 95% band over {n} teacher seeds)")
    ax.legend(loc="upper left", fontsize=6)
    _chi_axis(ax, chi_curve)
    fig.tight_layout()
    return fig


def equal_budget(bands, chi_curve, budget_students: Sequence[str], shallow_match: str | None) -> plt.Figure:
    """(a) deep student against the shallow one of the same parameter count over sigma;
    (b) error against depth at that budget, one line per sigma."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 3.0))
    for student, colour in (("deep", "k"), (shallow_match, regime_colour(1)), ("linear", "0.55")):
        g = bands[bands["student"] == student] if student else bands.iloc[:0]
        if len(g):
            label = _student_label(student, g["width"].iloc[0], g["depth"].iloc[0])
            if student != "linear":
                label += f", {g['n_parameters'].iloc[0]} weights"
            _band(ax1, g, colour, label, ls="--" if student == "linear" else "-")
    ax1.set(xscale="log", yscale="log", xlabel="teacher weight scale σ_w", ylabel=f"test {REL}",
            title="Deep vs shallow at an equal parameter budget")
    ax1.legend(loc="upper left", fontsize=6)
    _chi_axis(ax1, chi_curve)
    at_budget = bands[bands["student"].isin(budget_students)]
    sigmas = sorted(at_budget["sigma_w"].unique())
    colours = plt.cm.plasma(np.linspace(0.05, 0.9, max(len(sigmas), 1)))
    for colour, sigma in zip(colours, sigmas):
        g = at_budget[at_budget["sigma_w"] == sigma].sort_values("depth")
        ax2.errorbar(g["depth"], g["test_error_median"],
                     yerr=[g["test_error_median"] - g["test_error_ci95_low"], g["test_error_ci95_high"] - g["test_error_median"]],
                     color=colour, marker="o", ms=2.5, lw=0.9, capsize=1.5, label=f"σ={sigma:g}")
    if len(at_budget):
        g0 = at_budget.drop_duplicates("depth").sort_values("depth")
        ax2.set_xticks(g0["depth"], [f"{d}\nW={w}\n{p}" for d, w, p in zip(g0["depth"], g0["width"], g0["n_parameters"])])
    ax2.set(yscale="log", xlabel="depth (layers incl. input) / width / weights", ylabel=f"test {REL}",
            title="Depth at a fixed parameter budget")
    ax2.legend(fontsize=5, ncol=2)
    fig.tight_layout()
    return fig


def sweep_scaling(fits) -> plt.Figure:
    """The scaling fit's slope and predicted width against teacher sigma, with bootstrap 95% intervals."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 2.6))
    s = fits["sigma_w"]
    ax1.errorbar(s, fits["slope"], yerr=[fits["slope"] - fits["slope_ci_low"], fits["slope_ci_high"] - fits["slope"]],
                 color=regime_colour(0), marker="o", ms=3, capsize=2, lw=0.9)
    ax1.set(xscale="log", xlabel="teacher weight scale σ_w", ylabel="slope d ln E / d ln W",
            title="Scaling exponent of shallow error in width")
    finite = np.isfinite(fits["predicted_width"])
    f = fits[finite]
    ax2.errorbar(f["sigma_w"], f["predicted_width"],
                 yerr=[f["predicted_width"] - f["predicted_width_ci_low"],
                       np.where(np.isfinite(f["predicted_width_ci_high"]), f["predicted_width_ci_high"], f["predicted_width"])
                       - f["predicted_width"]],
                 color=regime_colour(1), marker="o", ms=3, capsize=2, lw=0.9)
    target = float(fits["target_error"].iloc[0])
    ax2.set(xscale="log", yscale="log", xlabel="teacher weight scale σ_w",
            ylabel=f"width for E = {target:g}", title="Extrapolated width needed")
    for ax in (ax1, ax2):
        _mark_transition(ax)
    fig.tight_layout()
    return fig
