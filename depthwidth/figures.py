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
