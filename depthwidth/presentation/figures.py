"""Every figure of the workflow, as functions from plain arrays to a matplotlib figure.

Errors are relative errors, MSE / Var(y_test), on every axis that shows them. Draw inside
``style.figure_style()`` and save with ``style.save()`` (PNG and PDF).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib import animation, ticker
from mpl_toolkits.mplot3d.art3d import Line3DCollection

from depthwidth.analysis.sigma_study import SEED_BANDS
from depthwidth.experiment import paths
from depthwidth.experiment.sizes import n_parameters
from depthwidth.jobs.artifacts import atomic_path
from depthwidth.presentation.numbers import number
from depthwidth.presentation.style import COLUMN_WIDTH, FULL_WIDTH, NEUTRAL, regime_colour

REL = r"MSE / Var($y_\mathrm{test}$)"
# Extrapolations further than this factor beyond the widest student are drawn to the axis edge
# only, so the measured points keep most of the axis.
MAX_EXTRAPOLATION = 1e6


def seeds_text(n: int) -> str:
    return f"{n} seed{'s' if n != 1 else ''}"


def deep_loss(
    curves: Mapping[str, Sequence[np.ndarray]],
    phase_steps: int,
    test_errors: Mapping[str, Sequence[float]] | None = None,
    lr_decay: float = 3,
    sizes: Sequence[int] | None = None,
) -> plt.Figure:
    """Deep students' training error per step (log y), one colour per regime, one line per seed.

    ``test_errors[regime]`` (one per seed, optional) are marked at the last step; ``sizes``, the
    students' layer sizes, puts their shape in the title.
    """
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.6))
    total = max(len(c) for runs in curves.values() for c in runs)
    block = max(1, total // LOSS_BLOCKS)  # steps per drawn point
    for regime, runs in curves.items():
        colour = regime_colour(regime)
        for k, curve in enumerate(runs):
            steps, median, top = _loss_blocks(np.asarray(curve, float), block)
            # Adam's spikes: the largest error of each block as a light band above its median, so a
            # spike reads as a peak rather than the line filling the band it oscillates in
            ax.fill_between(
                steps,
                median,
                top,
                color=colour,
                alpha=0.22,
                lw=0,
                label=f"{regime}, largest per {block:,} steps (Adam's spikes)" if k == 0 and block > 1 else None,
            )
            ax.plot(
                steps,
                median,
                color=colour,
                lw=0.9,
                label=f"{regime}, training, median per {block:,} steps ({seeds_text(len(runs))})"
                if k == 0 and block > 1
                else (f"{regime}, training ({seeds_text(len(runs))})" if k == 0 else None),
            )
        if test_errors and regime in test_errors:
            ends = [len(c) for c in runs]
            ax.scatter(
                ends,
                test_errors[regime],
                marker="D",
                s=14,
                color=colour,
                edgecolor="white",
                lw=0.4,
                zorder=3,
                clip_on=False,
                label=f"{regime}, test at end",
            )
    for boundary in range(phase_steps, total, phase_steps):
        ax.axvline(boundary, color="0.75", lw=0.6, ls=":", zorder=0)
    thousands = total >= 10_000  # 200000 as "200" thousand, not "2" and a "1e5" offset at the axis end
    if thousands:
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v / 1000:g}"))
    else:
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    steps = "Adam step (thousands)" if thousands else "Adam step"
    ax.set(
        yscale="log",
        xlim=(0, total * 1.04),
        xlabel=f"{steps}; dotted: learning rate ÷ {lr_decay:g}",
        ylabel=f"training error, {REL}",
        title="Deep student (the teacher's architecture)",
    )
    if sizes is not None:
        hidden = sizes[1:-1]
        ax.set_title(f"Deep student: {len(hidden)} hidden layers × {max(hidden)}, {n_parameters(sizes)} parameters")
    ax.margins(y=0.08)  # the end markers clear the axis
    ax.legend(loc="upper right", fontsize=5.5)
    return fig


# A loss curve is drawn as this many blocks of steps: the median of each, and its largest value.
LOSS_BLOCKS = 400


def _loss_blocks(curve: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per block of ``block`` steps: its last step (1-based), median and maximum; the last, shorter
    block included, so the line ends at the curve's last step."""
    if block <= 1:
        steps = np.arange(1, len(curve) + 1)
        return steps, curve, curve
    starts = np.arange(0, len(curve), block)
    ends = np.minimum(starts + block, len(curve))
    median = np.array([np.median(curve[a:b]) for a, b in zip(starts, ends)])
    top = np.maximum.reduceat(curve, starts)
    return ends, median, top


def error_vs_width(
    points: Mapping[str, Mapping[str, np.ndarray]],
    fits: Mapping[str, Mapping[str, float]],
    deep: Mapping[str, Mapping[str, float]] | None = None,
) -> plt.Figure:
    """Train and test error against width (log-log) with the fitted power law and its extrapolation.

    ``points[regime]`` holds arrays ``width``, ``train``, ``test`` (one entry per student and seed);
    ``fits[regime]`` is the regime's scaling fit; ``deep[regime]`` (optional) holds the deep
    student's median ``test`` error and its ``n_parameters``, drawn as a horizontal reference.
    """
    fig, axes = plt.subplots(1, len(points), figsize=(COLUMN_WIDTH * len(points), 2.9), squeeze=False)
    for ax, (regime, pts) in zip(axes[0], points.items()):
        fit = fits[regime]
        colour = regime_colour(regime)
        widths = np.asarray(pts["width"], float)
        w_lo, w_hi = widths.min(), widths.max()
        seeds = len(set(fit["seeds"]))
        # Nudge train and test apart so neither hides the other where they coincide.
        ax.scatter(
            widths / 1.06, pts["train"], marker="^", facecolor="none", edgecolor=colour, s=16, lw=0.8, label="train"
        )
        ax.scatter(widths * 1.06, pts["test"], marker="o", color=colour, s=14, label=f"test ({seeds_text(seeds)})")

        target, predicted = (
            float(fit["target_error"]),
            float(fit["predicted_width"] if fit["predicted_width"] is not None else "nan"),
        )
        reachable = np.isfinite(predicted) and predicted > 0
        w_edge = w_hi * MAX_EXTRAPOLATION
        w_end = min(predicted, w_edge) if reachable else w_hi * 100
        w_end = max(w_end, w_hi)
        slope_txt = f"{fit['slope']:.2f}"
        if "slope_ci_low" in fit:
            slope_txt += f", 95% CI [{fit['slope_ci_low']:.2f}, {fit['slope_ci_high']:.2f}]"
        a, m = np.exp(fit["intercept"]), fit["slope"]
        w_fit = np.geomspace(w_lo / 1.3, w_hi * 1.3, 50)  # where students were measured
        ax.plot(w_fit, a * w_fit**m, color=NEUTRAL, lw=0.9, label=f"fit E ∝ Wᵐ, m = {slope_txt}")
        if w_end > w_hi * 1.3:
            w_line = np.geomspace(w_hi * 1.3, w_end, 200)
            ax.plot(w_line, a * w_line**m, color=NEUTRAL, lw=0.9, ls="--", label="fit, extrapolated")
        ax.axhline(target, color="0.6", lw=0.6, ls=":")
        ax.annotate(
            f"target E = {number(target)}",
            (w_lo / 1.3, target),
            xytext=(2, 2),
            textcoords="offset points",
            fontsize=6,
            color="0.4",
            va="bottom",
        )
        if reachable and predicted <= w_edge:
            ax.scatter(
                [predicted],
                [target],
                marker="*",
                color="k",
                s=45,
                zorder=3,
                clip_on=False,
                label=f"target reached at W ≈ {number(predicted)} (extrapolated)",
            )
        elif reachable:
            ax.annotate(
                f"target at W ≈ {number(predicted)} →",
                (w_edge, target),
                xytext=(-3, 10),
                textcoords="offset points",
                ha="right",
                fontsize=6,
                color="k",
            )
        else:
            ax.text(
                0.98,
                0.02,
                "error does not fall with width:\nno width reaches the target",
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=6,
            )
        if "fits" in fit:
            _converged_points(ax, fit, w_lo, w_hi)
        if deep and regime in deep:
            d = deep[regime]
            ax.axhline(
                d["test"], color=colour, lw=0.9, ls="-.", label=f"deep student, {d['n_parameters']} parameters (test)"
            )
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="hidden width W (units)",
            ylabel=f"relative error E, {REL}",
            title=f"Shallow students, {regime} teacher",
        )
        ax.legend(loc="upper right", fontsize=6)
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi * 30)  # head room for the legend above the data
        x_lo, x_hi = ax.get_xlim()
        ax.set_xlim(x_lo, max(x_hi, w_end * 3))  # the target's star clears the right edge
    fig.tight_layout()
    return fig


def _converged_points(ax, fit: Mapping, w_lo: float, w_hi: float) -> None:
    """A polished run's converged training errors and their fit (capacity), beside Adam's points."""
    widths = np.asarray(fit["widths"], float)
    line = fit["fits"]["converged_train"]
    ax.scatter(
        widths,
        line["relative_errors"],
        marker="s",
        facecolor="none",
        edgecolor="k",
        s=14,
        lw=0.7,
        label="converged (Levenberg-Marquardt), train",
    )
    w = np.geomspace(w_lo / 1.3, w_hi * 1.3, 50)
    ax.plot(
        w,
        np.exp(line["intercept"]) * w ** line["slope"],
        color="k",
        lw=0.7,
        ls=":",
        label=f"fit to converged train, m = {line['slope']:.2f}",
    )


def predictions(panels: Sequence[tuple[str, np.ndarray, np.ndarray]]) -> plt.Figure:
    """Student against teacher output on the test set, one panel per (title, y_teacher, y_student).

    Both are divided by the teacher's standard deviation, so panels of different regimes share a
    scale and the mean squared vertical distance from the diagonal is the relative error.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(COLUMN_WIDTH * 0.72 * len(panels), 2.5), squeeze=False)
    for i, (ax, (title, y_true, y_pred)) in enumerate(zip(axes[0], panels)):
        scale = float(np.std(y_true, ddof=1)) or 1.0
        t, p = np.asarray(y_true) / scale, np.asarray(y_pred) / scale
        lim = 1.05 * float(max(np.abs(t).max(), np.abs(p).max()))
        ax.plot([-lim, lim], [-lim, lim], color=NEUTRAL, lw=0.7, ls="--", label="student = teacher")
        ax.scatter(t, p, s=3, alpha=0.5, lw=0, color=regime_colour(i), rasterized=True)
        ax.set(
            xlim=(-lim, lim),
            ylim=(-lim, lim),
            aspect="equal",
            title=title,
            xlabel="teacher output / SD(teacher)",
            ylabel="student output / SD(teacher)",
        )
    axes[0][0].legend(loc="upper left")
    fig.tight_layout()
    return fig


def _draw_curve(ax, xyz: np.ndarray) -> None:
    """The closed curve ``xyz`` (P, 3) on 3-D axes, coloured by position along it."""
    # Colour runs once round the hue circle with the angle on the input circle, so a curve that
    # folds shows where its pieces came from. One collection of P-1 segments draws far faster
    # than P-1 separate lines.
    segments = np.stack([xyz[:-1], xyz[1:]], axis=1)  # (P-1, 2, 3)
    colours = plt.cm.hsv(np.linspace(0, 1, len(segments)))
    ax.add_collection3d(Line3DCollection(segments, colors=colours, linewidths=0.8))
    lo, hi = xyz.min(axis=0), xyz.max(axis=0)
    pad = 0.05 * np.maximum(hi - lo, 1e-12)
    ax.set(
        xlim=(lo[0] - pad[0], hi[0] + pad[0]),
        ylim=(lo[1] - pad[1], hi[1] + pad[1]),
        zlim=(lo[2] - pad[2], hi[2] + pad[2]),
    )
    ax.set_xticks([]), ax.set_yticks([]), ax.set_zticks([])
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_pane_color((0.96, 0.96, 0.96, 1.0))


def expressivity_grid(
    projected: np.ndarray,
    labels: Sequence[str],
    layers: Sequence[int],
    stretch: np.ndarray | None = None,
) -> plt.Figure:
    """Rows: nets (``projected`` is (S, L, P, 3)); columns: the listed hidden layers (1-based).

    ``stretch`` (S, L), optional: each layer's curve length relative to a circle of its size,
    written under its panel.
    """
    n_rows, n_cols = len(labels), len(layers)
    bottom, top = 0.03, 0.93
    fig = plt.figure(figsize=(FULL_WIDTH, FULL_WIDTH / n_cols * n_rows * 1.05 + 0.3))
    for r, label in enumerate(labels):
        for c, layer in enumerate(layers):
            ax = fig.add_subplot(n_rows, n_cols, r * n_cols + c + 1, projection="3d")
            _draw_curve(ax, projected[r, layer - 1])
            if r == 0:
                ax.set_title(f"layer {layer}", fontsize=8, pad=0)
            if stretch is not None:
                ax.text2D(
                    0.5,
                    0.02,
                    f"length ×{stretch[r, layer - 1]:.2g}",
                    transform=ax.transAxes,
                    ha="center",
                    va="top",
                    fontsize=7,
                )
        # The net's name to the left of its row, centred on it; "name (detail)" on two lines to fit short rows.
        fig.text(
            0.005,
            top - (r + 0.5) * (top - bottom) / n_rows,
            label.replace(" (", "\n(", 1),
            ma="center",
            rotation=90,
            ha="left",
            va="center",
            fontsize=8,
        )
    fig.subplots_adjust(left=0.045, right=0.93, bottom=bottom, top=top, wspace=0.02, hspace=0.12)
    _circle_key(fig, fig.add_axes((0.945, bottom + 0.1 * (top - bottom), 0.012, 0.8 * (top - bottom))))
    return fig


def _circle_key(fig, cax) -> None:
    """What the colours of the curves mean: the angle of the input point on the circle."""
    bar = fig.colorbar(plt.cm.ScalarMappable(cmap=plt.cm.hsv, norm=plt.Normalize(0, 2 * np.pi)), cax=cax)
    bar.set_ticks([0, np.pi, 2 * np.pi], labels=["0", r"$\pi$", r"$2\pi$"])
    bar.ax.tick_params(labelsize=6)
    bar.set_label("angle on the input circle", fontsize=7)


def expressivity_animation(
    projected: np.ndarray,
    labels: Sequence[str],
    path: str | Path,
    fps: int = 3,
    stretch: np.ndarray | None = None,
    dpi: int = 130,
) -> None:
    """An animated GIF through the hidden layers, the nets side by side, the layer number shown.

    The last layer is held for a second before the loop restarts. ``stretch`` as in
    ``expressivity_grid``.
    """
    n_layers = projected.shape[1]
    fig = plt.figure(figsize=(2.6 * len(labels), 3.0))
    axes = [fig.add_subplot(1, len(labels), i + 1, projection="3d") for i in range(len(labels))]
    # No tight bounding box for animations: the margins are set here instead, small.
    fig.subplots_adjust(left=0.0, right=1.0, bottom=0.0, top=0.76, wspace=0.05)
    heading = fig.suptitle("", fontsize=10, y=0.97, fontweight="bold")

    def draw(layer: int):
        for i, (ax, label, curves) in enumerate(zip(axes, labels, projected)):
            ax.cla()
            _draw_curve(ax, curves[layer])
            extra = f"\nlength ×{stretch[i, layer]:.2g}" if stretch is not None else ""
            ax.set_title(label + extra, fontsize=8)
        heading.set_text(f"hidden layer {layer + 1} of {n_layers}")
        return axes

    frames = list(range(n_layers)) + [n_layers - 1] * fps
    anim = animation.FuncAnimation(fig, draw, frames=frames, blit=False)
    with atomic_path(path) as tmp:
        anim.save(str(tmp), writer=animation.PillowWriter(fps=fps), dpi=dpi)
    plt.close(fig)


# --- the order-to-chaos study -------------------------------------------------------------------


def _mark_transition(ax, sigma_c: float = 1.0) -> None:
    ax.axvline(sigma_c, color="0.5", lw=0.7, ls=":", zorder=0)


def mean_field(table) -> plt.Figure:
    """q* (left), chi_1 (middle) and the depth scale xi_c (right) against sigma_w, for bias-free tanh nets.

    Each on its own axis: q* grows like sigma_w^2 (to ~25) while chi_1 stays within a few units of 1.
    """
    fig, (ax_q, ax_chi, ax_xi) = plt.subplots(1, 3, figsize=(FULL_WIDTH, 2.4))
    s = table["sigma_w"].to_numpy()
    ax_q.plot(s, table["q_star"], color=regime_colour(1))
    ax_q.set(xlabel=r"weight scale $\sigma_w$ ($\sigma_b$ = 0)", ylabel=r"$q^*$", title="Fixed point of the length map")
    ax_chi.plot(s, table["chi_1"], color=regime_colour(0))
    ax_chi.axhline(1.0, color="0.5", lw=0.7, ls="--")
    ax_chi.set(
        xlabel=r"weight scale $\sigma_w$ ($\sigma_b$ = 0)",
        ylabel=r"$\chi_1 = \sigma_w^2\,E[\phi'(\sqrt{q^*} z)^2]$",
        title=r"Order ($\chi_1 < 1$) to chaos ($\chi_1 > 1$)",
    )
    xi = table["depth_scale"].to_numpy(dtype=float)
    ax_xi.plot(s, np.where(np.isfinite(xi), xi, np.nan), color=regime_colour(2))
    ax_xi.set(
        xlabel=r"weight scale $\sigma_w$ ($\sigma_b$ = 0)",
        ylabel=r"depth scale $\xi_c$ (layers)",
        yscale="log",
        title=r"$\xi_c = -1 / \ln \chi_c$",
    )
    for ax in (ax_q, ax_chi, ax_xi):
        _mark_transition(ax)
        ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=10, steps=[1, 2, 5, 10]))
        ax.xaxis.set_minor_locator(ticker.AutoMinorLocator())
    fig.suptitle(r"Mean-field theory of bias-free nets ($\sigma_b$ = 0)", fontsize=8)
    fig.tight_layout()
    return fig


# The depth scale diverges on the critical line; colours stop here (the colour bar's arrow).
MAX_DEPTH_SCALE_COLOUR = 100.0


def _depth_scale_map(ax, grid, critical, teachers: Mapping[str, float]):
    """xi_c over the plane (log colour), the line chi_1 = 1 and the teachers; returns the mesh."""
    from matplotlib.colors import LogNorm

    xi = grid.pivot(index="sigma_b", columns="sigma_w", values="depth_scale")
    finite = xi.to_numpy(dtype=float)
    finite = np.where(np.isfinite(finite), finite, MAX_DEPTH_SCALE_COLOUR)
    norm = LogNorm(vmin=max(np.nanmin(finite), 0.1), vmax=MAX_DEPTH_SCALE_COLOUR)
    # Gouraud shading: colours run smoothly between the grid's points instead of one block per point
    mesh = ax.pcolormesh(xi.columns, xi.index, finite, norm=norm, cmap="viridis", shading="gouraud", rasterized=True)
    ax.plot(critical["sigma_w"], critical["sigma_b"], color="white", lw=1.4, label=r"$\chi_1 = 1$")
    top = float(grid["sigma_b"].max())
    ax.text(0.5 * (grid["sigma_w"].min() + 1.0), 0.5 * top, "ordered", color="white", ha="center", fontsize=7)
    ax.text(
        0.5 * (critical["sigma_w"].max() + grid["sigma_w"].max()),
        0.5 * top,
        "chaotic",
        color="white",
        ha="center",
        fontsize=7,
    )
    for name, sigma in teachers.items():
        ax.plot(
            sigma,
            0.0,
            marker="*",
            ms=9,
            color=regime_colour(name),
            mec="white",
            mew=0.6,
            clip_on=False,
            zorder=5,
            ls="none",
            label=f"{name} teacher ($\\sigma_w$ = {sigma:g})",
        )
    ax.set(
        xlabel=r"weight scale $\sigma_w$",
        ylabel=r"bias scale $\sigma_b$",
        title=r"Depth scale $\xi_c$ and the order-to-chaos line",
    )
    return mesh


def phase_diagram(table, teachers: Mapping[str, float]) -> plt.Figure:
    """The (sigma_w, sigma_b) plane: xi_c (log colour), the critical line, the teachers and the simulated
    points (left); simulated chi_1 against the theory's at those points (right)."""
    fig, (ax_map, ax_sim) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 2.9), gridspec_kw={"width_ratios": [1.6, 1]})
    kinds = {kind: rows for kind, rows in table.groupby("kind")}
    sim = kinds["simulation"]
    mesh = _depth_scale_map(ax_map, kinds["grid"], kinds["critical"].sort_values("sigma_b"), teachers)
    ax_map.plot(sim["sigma_w"], sim["sigma_b"], "o", ms=4, mfc="none", mec="white", mew=0.9, label="simulated (right)")
    # below the map (inside, it would cover it); a dark key, as the lines and markers are white
    ax_map.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2),
        ncol=2,
        fontsize=6,
        labelcolor="white",
        facecolor="0.3",
        framealpha=1,
        frameon=True,
    )
    fig.colorbar(mesh, ax=ax_map, extend="max", pad=0.02).set_label(r"$\xi_c$ (layers)")
    chaotic = sim["chi_1"] > 1
    for mask, colour, label in (
        (chaotic, regime_colour("chaotic"), "chaotic"),
        (~chaotic, regime_colour("quasilinear"), "ordered"),
    ):
        ax_sim.errorbar(
            sim["chi_1"][mask],
            sim["chi_1_simulated"][mask],
            yerr=2 * sim["chi_1_simulated_se"][mask],
            fmt="o",
            ms=3,
            color=colour,
            label=label,
            capsize=1.5,
            lw=0.8,
        )
    lim = [0.0, 1.08 * float(max(sim["chi_1"].max(), sim["chi_1_simulated"].max()))]
    ax_sim.plot(lim, lim, color=NEUTRAL, lw=0.7, ls="--", zorder=0)
    ax_sim.axhline(1.0, color="0.6", lw=0.6, ls=":", zorder=0)
    ax_sim.axvline(1.0, color="0.6", lw=0.6, ls=":", zorder=0)
    ax_sim.set(
        xlim=lim,
        ylim=lim,
        xlabel=r"$\chi_1$, mean-field theory",
        ylabel=r"$\chi_1$, measured (±2 s.e.)",
        title="Perturbation growth per layer",
    )
    ax_sim.legend(loc="upper left")
    fig.tight_layout()
    return fig


def trajectory_length(table) -> plt.Figure:
    """Circle length (log) and normalised length against layer: measured over nets, and the mean-field theory."""
    from matplotlib.lines import Line2D

    ncol = 3
    rows = -(-(table["sigma_w"].nunique() + 3) // ncol)  # legend rows: a colour per sigma, 3 kinds of line
    height = 2.6 + 0.16 * rows
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(FULL_WIDTH, height))
    for i, (sigma, g) in enumerate(table.groupby("sigma_w", sort=True)):
        c = regime_colour(i)
        n_nets = int(g["n_nets"].iloc[0])
        ax1.fill_between(g["layer"], g["length_min"], g["length_max"], color=c, alpha=0.2, lw=0)
        ax1.plot(
            g["layer"],
            g["length_geomean"],
            "o",
            ms=2.5,
            color=c,
            label=rf"$\sigma_w$ = {sigma:g} ($\chi_1$ = {g['chi_1'].iloc[0]:.2f})",
        )
        ax1.plot(g["layer"], g["theory_length"], color=c, lw=0.9)
        ax1.plot(g["layer"], g["theory_fixed_point_length"], color=c, lw=0.7, ls="--")
        ax2.plot(g["layer"], g["normalised_length_mean"], "o", ms=2.5, color=c)
        ax2.plot(g["layer"], g["theory_normalised_length"], color=c, lw=0.9)
    ax1.set(
        yscale="log",
        xlabel="hidden layer $l$",
        ylabel="length of the circle's image",
        title="Circle length against depth",
    )
    ax2.set(
        yscale="log",
        xlabel="hidden layer $l$",
        ylabel=r"length / ($2\pi$ RMS radius)",
        title="Normalised length (1 for a circle)",
    )
    for ax in (ax1, ax2):
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))  # layers are whole numbers
        lo, hi = ax.get_ylim()
        if hi / lo > 1e3:  # many decades: one label per decade or two, all as powers of ten
            ax.yaxis.set_major_locator(ticker.LogLocator(base=10, numticks=7))
            ax.yaxis.set_major_formatter(ticker.LogFormatterSciNotation())
            ax.yaxis.set_minor_locator(ticker.LogLocator(base=10, subs=(1.0,), numticks=30))
        else:  # a decade or two: 1, 2, 5, 10, ... as plain numbers
            ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    kinds = [
        Line2D(
            [],
            [],
            color="0.3",
            marker="o",
            ms=2.5,
            ls="none",
            label=f"measured: geometric mean of {n_nets} nets (band: range)",
        ),
        Line2D([], [], color="0.3", lw=0.9, label="mean field, from the input"),
        Line2D([], [], color="0.3", lw=0.7, ls="--", label=r"growth by $\sqrt{\chi_1}$ per layer"),
    ]
    handles = ax1.get_legend_handles_labels()[0] + kinds
    # below the panels: inside them, the legend would cover the curves
    fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=6, frameon=False)
    fig.tight_layout(rect=(0, (0.05 + 0.16 * rows) / height, 1, 1))
    return fig


def _band(ax, runs, colour, label, x="sigma_w", markersize=4, **line):
    """One student's median test error over teacher seeds against ``x`` (sigma, or teacher depth),
    with its bootstrap 95% band: seaborn's lineplot on the runs (one row per seed), with the settings
    ``study.error_bands`` uses for the TSV beside the figure, so the band drawn is the one tabulated."""
    sns.lineplot(
        data=runs,
        x=x,
        y="test_relative_error",
        ax=ax,
        color=colour,
        label=label,
        marker="o",
        markersize=markersize,
        markeredgewidth=0,
        err_kws={"alpha": 0.2, "linewidth": 0},
        **SEED_BANDS,
        **line,
    )


def _sigma_axis(ax, sigmas: Sequence[float]) -> None:
    """A log sigma axis labelled at round values only (labels at every sigma of a sweep overlap where
    they crowd near 1), with an unlabelled tick at each sigma drawn."""
    sigmas = sorted(float(x) for x in sigmas)
    lo, hi = sigmas[0], sigmas[-1]
    nice = [v for v in (0.1, 0.2, 0.5, 1, 2, 4, 8) if lo / 1.05 <= v <= hi * 1.05] or sigmas
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(ticker.FixedLocator(nice))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(ticker.FixedLocator([x for x in sigmas if x not in nice]))
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_xlim(lo / 1.1, hi * 1.1)


def _chi_axis(ax, chi_curve) -> None:
    """chi_1 against sigma on its own small panel ``ax`` (above the errors, sharing their sigma axis),
    chi_1 = 1 marked: on the errors' axis it would read as an error level."""
    ax.plot(chi_curve["sigma_w"], chi_curve["chi_1"], color=NEUTRAL, lw=0.9)
    ax.axhline(1.0, color="0.6", lw=0.6, ls=":")
    ax.annotate(
        "$\\chi_1$ = 1",
        (0.01, 1.0),
        xycoords=("axes fraction", "data"),
        xytext=(0, 2),
        textcoords="offset points",
        fontsize=6,
        color="0.4",
        va="bottom",
    )
    ax.set_ylabel("$\\chi_1$\n(theory)", fontsize=7)
    ax.tick_params(labelbottom=False, labelsize=6)
    ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=3))
    _mark_transition(ax)


def _error_and_chi_axes(fig, spec):
    """The errors' axis and, above it, a small chi_1 panel sharing its sigma axis (errors first in fig.axes)."""
    inner = spec.subgridspec(2, 1, height_ratios=(1, 3.4), hspace=0.08)
    ax = fig.add_subplot(inner[1])
    return ax, fig.add_subplot(inner[0], sharex=ax)


def _light_band(ax, colour) -> None:
    """The band just drawn (the axis' last collection) faint with a thin outline: a wide band (the deep
    student's, over many decades) then reads as an interval instead of covering the other students."""
    band = ax.collections[-1]
    rgb = matplotlib.colors.to_rgb(colour)
    band.set_alpha(None)
    band.set_facecolor((*rgb, 0.07))
    band.set_edgecolor((*rgb, 0.45))
    band.set_linewidth(0.5)
    band.set_linestyle((0, (2, 2)))


def _legend_below(ax, ncol: int, y: float = -0.2, fontsize: float = 6) -> None:
    """The axis' legend under it (inside, it would cover the data)."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, y), ncol=ncol, fontsize=fontsize, title=None)


def _student_label(student: str, width: int, depth: int) -> str:
    if student == "linear":
        return "best linear fit"
    if student == "deep":
        return f"deep student (teacher's shape, depth {depth})"
    return f"width {width}" if paths.is_shallow(student) else f"depth {depth}, width {width}"


def _seeds_title(runs) -> str:
    return f"median over {seeds_text(int(runs.groupby(['student', 'sigma_w'])['seed'].nunique().max()))}, bootstrap 95% band"


def sweep_error(runs, chi_curve, shallow: Sequence[str]) -> plt.Figure:
    """Relative test error against teacher sigma: each shallow width, the deep student, the linear floor.

    ``runs``: one row per student, sigma and teacher seed (``study.sweep_runs``)."""
    fig = plt.figure(figsize=(FULL_WIDTH * 0.75, 4.0), layout="constrained")
    ax, ax_chi = _error_and_chi_axes(fig, fig.add_gridspec(1, 1)[0])
    colours = plt.cm.viridis(np.linspace(0.1, 0.85, max(len(shallow), 1)))
    for colour, student in zip(colours, shallow):
        g = runs[runs["student"] == student]
        _band(ax, g, colour, f"shallow, {_student_label(student, g['width'].iloc[0], g['depth'].iloc[0])}")
    for student, colour, ls in (("deep", "k", "-"), ("linear", "0.55", "--")):
        g = runs[runs["student"] == student]
        if len(g):
            label = _student_label(student, g["width"].iloc[0], g["depth"].iloc[0])
            _band(ax, g, colour, label + (" (band: dashed outline)" if student == "deep" else ""), linestyle=ls)
            if student == "deep":
                _light_band(ax, colour)
    ax.set_yscale("log")
    _sigma_axis(ax, runs["sigma_w"].unique())
    _mark_transition(ax)
    ax.set(xlabel="teacher weight scale $\\sigma_w$", ylabel=f"test {REL}")
    ax_chi.set_title(f"Error against teacher $\\sigma_w$ ({_seeds_title(runs)})")
    _legend_below(ax, ncol=2, y=-0.17)
    _chi_axis(ax_chi, chi_curve)
    return fig


def equal_budget(runs, chi_curve, budget_students: Sequence[str], shallow_match: str | None, best=None) -> plt.Figure:
    """(a) deep student against the shallow one of the same parameter count over sigma (and, dotted,
    the deep student's best initialisation where ``best`` has restarts);
    (b) error against depth at that budget, one line per sigma (median and bootstrap 95% interval over seeds).

    ``runs``: first initialisations, one row per student, sigma and teacher seed (``study.sweep_runs``);
    ``best``: ``results.best_of_restarts`` of the restarted students' runs."""
    fig = plt.figure(figsize=(FULL_WIDTH, 3.9), layout="constrained")
    outer = fig.add_gridspec(1, 2)
    ax1, ax1_chi = _error_and_chi_axes(fig, outer[0])
    ax2 = fig.add_subplot(outer[1])
    for student, colour in (("deep", "k"), (shallow_match, regime_colour(1)), ("linear", "0.55")):
        g = runs[runs["student"] == student] if student else runs.iloc[:0]
        if len(g):
            label = _student_label(student, g["width"].iloc[0], g["depth"].iloc[0])
            if student != "linear":
                label += f", {g['n_parameters'].iloc[0]} weights"
            _band(ax1, g, colour, label, linestyle="--" if student == "linear" else "-")
            if student == "deep":  # its band spans decades: faint, outlined
                _light_band(ax1, colour)
    deep_best = best[best["student"] == "deep"] if best is not None and len(best) else runs.iloc[:0]
    if len(deep_best):
        _band(ax1, deep_best, "k", f"deep student, best of {int(deep_best['inits'].max())}", linestyle=":")
        _light_band(ax1, "k")
    ax1.set_yscale("log")
    _sigma_axis(ax1, runs["sigma_w"].unique())
    _mark_transition(ax1)
    ax1.set(xlabel="teacher weight scale $\\sigma_w$", ylabel=f"test {REL}")
    ax1_chi.set_title("Deep vs shallow at an equal parameter budget")
    _legend_below(ax1, ncol=1, y=-0.2)
    _chi_axis(ax1_chi, chi_curve)
    at_budget = runs[runs["student"].isin(budget_students)]
    sigmas = sorted(at_budget["sigma_w"].unique())
    palette = dict(zip(sigmas, plt.cm.plasma(np.linspace(0.05, 0.9, max(len(sigmas), 1)))))
    if len(at_budget):
        sns.lineplot(
            data=at_budget.assign(sigma=at_budget["sigma_w"].map("$\\sigma_w$ = {:g}".format)),
            x="depth",
            y="test_relative_error",
            hue="sigma",
            palette={f"$\\sigma_w$ = {k:g}": v for k, v in palette.items()},
            ax=ax2,
            marker="o",
            markersize=4,
            markeredgewidth=0,
            err_style="bars",
            err_kws={"capsize": 1.5, "elinewidth": 0.8},
            linewidth=0.9,
            **SEED_BANDS,
        )
        g0 = at_budget.drop_duplicates("depth").sort_values("depth")
        ax2.set_xticks(
            g0["depth"], [f"{d}\nW={w}\n{p}" for d, w, p in zip(g0["depth"], g0["width"], g0["n_parameters"])]
        )
        _legend_below(ax2, ncol=4, y=-0.26, fontsize=5.5)
    ax2.set_yscale("log")
    ax2.set(
        xlabel="depth (layers incl. input) / width / weights",
        ylabel=f"test {REL} (bars: 95% CI)",
        title="Depth at a fixed parameter budget",
    )
    return fig


def sweep_scaling(fits) -> plt.Figure:
    """(a) The scaling fit's slope against teacher sigma, with bootstrap 95% intervals (and, for a
    polished run, the slope of the converged training errors: the capacity); (b) the width each
    fit extrapolates to for the target error, drawn as an extrapolation and only within
    :data:`EXTRAPOLATION_RANGE` (a width beyond it is an arrow at the top)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 2.6))
    s = fits["sigma_w"]
    lines = [("", "Adam, test error", regime_colour(0), "o")]
    if "converged_train_slope" in fits:
        lines.append(("converged_train_", "converged, training error", "k", "s"))
    for prefix, label, colour, marker in lines:
        slope = fits[f"{prefix}slope"]
        yerr = None if prefix else [slope - fits["slope_ci_low"], fits["slope_ci_high"] - slope]
        ax1.errorbar(
            s,
            slope,
            yerr=yerr,
            color=colour,
            marker=marker,
            ms=3,
            capsize=2,
            lw=0.9,
            mfc="none" if prefix else colour,
            label=label,
        )
        _extrapolated_widths(ax2, s, fits[f"{prefix}predicted_width"], colour, marker, label, filled=not prefix)
    ax1.set(
        xlabel=r"teacher weight scale $\sigma_w$",
        ylabel=r"slope $d\,\ln E\,/\,d\,\ln W$",
        title="Scaling exponent of shallow error in width (measured)",
    )
    target = float(fits["target_error"].iloc[0])
    ax2.set(
        yscale="log",
        ylim=EXTRAPOLATION_RANGE,
        xlabel=r"teacher weight scale $\sigma_w$",
        ylabel=f"width W for E = {number(target)}",
        title="Width needed, extrapolated from the fit",
    )
    for ax in (ax1, ax2):
        _sigma_axis(ax, s)
        _mark_transition(ax)
        ax.legend(fontsize=5, loc="best")
    fig.tight_layout()
    return fig


# The widths an extrapolation is drawn over: beyond 1e15 hidden units a number says nothing a
# reader can use (the arrow at the top says "more").
EXTRAPOLATION_RANGE = (1.0, 1e15)


def _extrapolated_widths(ax, sigma, width, colour, marker, label, filled: bool) -> None:
    """Extrapolated widths as a dashed line; those beyond the range as arrows at its top."""
    width = np.asarray(width, float)
    inside = np.isfinite(width) & (width <= EXTRAPOLATION_RANGE[1])
    ax.plot(
        sigma[inside],
        width[inside],
        color=colour,
        marker=marker,
        ms=3,
        lw=0.8,
        ls="--",
        mfc=colour if filled else "none",
        label=f"{label} (extrapolated)",
    )
    top = EXTRAPOLATION_RANGE[1] / 3
    for x in np.asarray(sigma)[~inside]:
        ax.annotate(
            "", (x, EXTRAPOLATION_RANGE[1]), xytext=(x, top), arrowprops=dict(arrowstyle="->", color=colour, lw=0.8)
        )


def animation_page(gif_path: str | Path, html_path: str | Path, title: str) -> None:
    """An HTML page that plays the GIF: Snakemake's report shows PNG, SVG, PDF and HTML results in
    place but offers a GIF only as a download, so the animation goes into it as this page."""
    import base64
    import html

    data = base64.b64encode(Path(gif_path).read_bytes()).decode()
    page = (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        "<style>body { margin: 0; display: flex; justify-content: center; background: #fff; }"
        " img { max-width: 100%; height: auto; }</style></head>\n"
        f'<body><img alt="{html.escape(title)}" src="data:image/gif;base64,{data}"></body></html>\n'
    )
    with atomic_path(html_path) as tmp:
        Path(tmp).write_text(page, encoding="utf-8")


# --- the teacher-depth study --------------------------------------------------------------------


# A colour per teacher sigma_w, smallest first: distinct hues of the colour-blind-safe palette (a
# sequential map makes neighbours such as 0.4 and 1 nearly the same colour); plasma beyond six.
SIGMA_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")


def _sigma_palette(sigmas: Sequence[float]) -> dict[float, Any]:
    sigmas = sorted(sigmas)
    if len(sigmas) <= len(SIGMA_COLOURS):
        return dict(zip(sigmas, SIGMA_COLOURS))
    return dict(zip(sigmas, plt.cm.plasma(np.linspace(0.05, 0.85, len(sigmas)))))


DEPTH_LABEL = "teacher depth (layers incl. input)"


def _depth_axis(ax, depths: Sequence[int], label: bool = True) -> None:
    ax.set_xticks(sorted(set(int(d) for d in depths)))
    ax.set_xlabel(DEPTH_LABEL if label else "")


def depth_error(runs, shallow: Sequence[str]) -> plt.Figure:
    """Shallow students' test error against teacher depth, one panel per teacher sigma_w, with the
    linear fit. ``runs``: first initialisations, one row per student, regime and seed."""
    sigmas = sorted(runs["sigma_w"].unique())
    fig, axes = plt.subplots(1, len(sigmas), figsize=(FULL_WIDTH, 2.6), sharey=True, squeeze=False)
    colours = plt.cm.viridis(np.linspace(0.1, 0.85, max(len(shallow), 1)))
    for ax, sigma in zip(axes[0], sigmas):
        at = runs[runs["sigma_w"] == sigma]
        for colour, student in zip(colours, shallow):
            g = at[at["student"] == student]
            if len(g):
                _band(ax, g, colour, f"width {g['width'].iloc[0]}", x="teacher_depth", markersize=3.5)
        g = at[at["student"] == "linear"]
        if len(g):
            _band(ax, g, "0.55", "best linear fit", x="teacher_depth", markersize=3.5, linestyle="--")
        ax.set(yscale="log", title=f"$\\sigma_w$ = {sigma:g}", ylabel=f"test {REL}")
        _depth_axis(ax, at["teacher_depth"], label=False)  # one label for the row, below
        ax.get_legend().remove()
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=6, frameon=False)
    fig.suptitle(f"Shallow students against teacher depth ({_seeds_title(runs)})", fontsize=8)
    fig.supxlabel(DEPTH_LABEL, y=0.07, fontsize=8)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def depth_scaling(table) -> plt.Figure:
    """(a) The measured exponent of the shallow error in width against teacher depth, per sigma_w,
    with bootstrap 95% intervals (and, for a polished run, the converged training errors' exponent,
    dashed); (b) the width that exponent extrapolates to for the target error, drawn as an
    extrapolation within :data:`EXTRAPOLATION_RANGE`, over the depths where the error falls with
    width; (c) the mean-field theory's growth of a curve's length through the teacher,
    sqrt(chi_1) per hidden layer. ``table``: ``depth_study.width_by_depth``."""
    fig, (ax0, ax1, ax2) = plt.subplots(1, 3, figsize=(FULL_WIDTH, 2.8))
    palette = _sigma_palette(table["sigma_w"].unique())
    converged = "converged_train_slope" in table
    for sigma, g in table.groupby("sigma_w"):
        colour = palette[sigma]
        ax0.plot(
            g["teacher_depth"], g["slope"], color=colour, marker="o", ms=3, lw=0.9, label=f"$\\sigma_w$ = {sigma:g}"
        )
        if converged:
            ax0.plot(
                g["teacher_depth"],
                g["converged_train_slope"],
                color=colour,
                marker="s",
                ms=3,
                mfc="none",
                lw=0.8,
                ls="--",
            )
        f = g[g["in_growth_fit"]]
        _extrapolated_widths(
            ax1,
            f["teacher_depth"].to_numpy(),
            f["predicted_width"],
            colour,
            "o",
            f"$\\sigma_w$ = {sigma:g} (×{g['width_growth_per_layer'].iloc[0]:.3g}/layer)",
            filled=True,
        )
        ax2.plot(
            g["teacher_depth"],
            g["length_growth_theory"],
            color=colour,
            marker="o",
            ms=3,
            lw=0.9,
            label=f"$\\sigma_w$ = {sigma:g}: $\\sqrt{{\\chi_1}}$ = {np.sqrt(g['chi_1'].iloc[0]):.3g}",
        )
    target = float(table["target_error"].iloc[0])
    title = "Exponent of error in width (measured)" + (
        "\nsolid: Adam, test; dashed: converged, train" if converged else ""
    )
    ax0.set(ylabel=r"slope $d\,\ln E\,/\,d\,\ln W$", title=title)
    ax0.axhline(0.0, color=NEUTRAL, lw=0.6, ls=":")
    ax1.set(
        yscale="log",
        ylim=EXTRAPOLATION_RANGE,
        ylabel=f"width W for E = {number(target)}",
        title="Width needed (extrapolated)",
    )
    ax2.set(yscale="log", ylabel="length growth $\\chi_1^{(D-1)/2}$", title="Mean-field theory: curve length")
    ax2.axhline(1.0, color=NEUTRAL, lw=0.6, ls=":")
    for ax in (ax0, ax1, ax2):
        _depth_axis(ax, table["teacher_depth"])
        ax.legend(fontsize=5)
    fig.tight_layout()
    return fig


def depth_deep(table) -> plt.Figure:
    """The deep student's test error against teacher depth, per sigma_w (colour): the median over seeds
    of the first initialisation (circles, solid), of the best of several (squares, dashed) and, where
    the table has them, of the converged and searched students; bars: bootstrap 95% intervals of the
    median; dotted: the target error. ``table``: ``depth_study.deep_by_depth``."""
    from matplotlib.lines import Line2D

    fig, ax = plt.subplots(figsize=(FULL_WIDTH * 0.9, 3.3))
    palette = _sigma_palette(table["sigma_w"].unique())
    inits = int(table["inits"].max())
    kinds = [("first_init", "-", "o", "first initialisation")]
    if inits > 1:
        kinds.append(("best_init", "--", "s", f"best of {inits} initialisations"))
    for kind, ls, marker, what in (("converged", ":", "D", "converged"), ("search", "-.", "^", "search")):
        if f"{kind}_test_error_median" in table:
            kinds.append((kind, ls, marker, what))
    n_series = len(palette) * len(kinds)
    step = min(0.06, 0.6 / max(n_series, 1))  # side by side at each depth, so the bars do not hide each other
    for j, (sigma, g) in enumerate(table.groupby("sigma_w")):
        for i, (kind, ls, marker, _) in enumerate(kinds):
            med = g[f"{kind}_test_error_median"]
            ax.errorbar(
                g["teacher_depth"] + (j * len(kinds) + i - (n_series - 1) / 2) * step,
                med,
                yerr=[med - g[f"{kind}_test_error_ci95_low"], g[f"{kind}_test_error_ci95_high"] - med],
                color=palette[sigma],
                ls=ls,
                marker=marker,
                ms=3,
                mfc=palette[sigma] if i == 0 else "none",
                capsize=2,
                lw=0.9,
                elinewidth=0.7,
            )
    target = float(table["target_error"].iloc[0])
    ax.axhline(target, color=NEUTRAL, lw=0.6, ls=":")
    seeds = int(table["n_seeds"].max())
    ax.set(
        yscale="log",
        ylabel=f"test {REL}",
        title=f"Deep student (the teacher's own shape) against teacher depth\n(median over {seeds_text(seeds)})",
    )
    _depth_axis(ax, table["teacher_depth"])
    # One entry per meaning: colour = sigma_w, marker and line = which initialisation, and the bars.
    handles = [Line2D([], [], color=c, lw=2, label=f"$\\sigma_w$ = {s:g}") for s, c in palette.items()]
    handles += [
        Line2D([], [], color="0.3", ls=ls, marker=marker, ms=3, mfc="0.3" if i == 0 else "none", lw=0.9, label=what)
        for i, (_, ls, marker, what) in enumerate(kinds)
    ]
    handles += [
        Line2D([], [], color="0.3", marker="|", ms=7, ls="none", label="bars: bootstrap 95% interval of the median"),
        Line2D([], [], color=NEUTRAL, lw=0.6, ls=":", label=f"target error {number(target)}"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=6)
    fig.tight_layout()
    return fig
