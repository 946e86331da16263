"""One look for every figure: seaborn's clean style, a colour-blind-safe palette, paper-column sizes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # jobs have no display
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from .artifacts import atomic_path  # noqa: E402

PALETTE = sns.color_palette("colorblind")
COLUMN_WIDTH = 3.4  # inches: one column of a two-column paper
FULL_WIDTH = 7.0


def regime_colour(index: int) -> tuple[float, float, float]:
    return PALETTE[index % len(PALETTE)]


@contextlib.contextmanager
def figure_style(xkcd: bool = False) -> Iterator[None]:
    """Seaborn's ``ticks`` style at paper sizes; ``xkcd=True`` gives the tutorial's hand-drawn look."""
    rc = {"figure.dpi": 100, "savefig.dpi": 200, "savefig.bbox": "tight", "axes.titlesize": 9,
          "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 7,
          "legend.frameon": False}
    with sns.axes_style("ticks"), sns.plotting_context("paper"), plt.rc_context(rc):
        if xkcd:
            with plt.xkcd():
                yield
        else:
            yield


def save(fig: plt.Figure, paths: Sequence[str | Path]) -> None:
    """Save one figure to each path (format from the suffix), atomically, then close it."""
    for path in paths:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix.lstrip("."))
    plt.close(fig)
