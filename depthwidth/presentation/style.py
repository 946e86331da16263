"""One look for every figure: a colour-blind-safe palette, paper-column sizes, PNG for the web and PDF for print.

``figure_style()`` is the single place that sets fonts, line widths and resolution; the figure
functions only choose sizes (``COLUMN_WIDTH``, ``FULL_WIDTH``) and colours (``regime_colour``).
"""

from __future__ import annotations

import contextlib
import logging
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # jobs have no display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager, ticker  # noqa: E402

from depthwidth.jobs.artifacts import atomic_path  # noqa: E402

log = logging.getLogger("depthwidth")

# Okabe & Ito (2008), "Color Universal Design": distinguishable under every common colour-vision
# deficiency and in greyscale print by lightness (blue, orange, green are the first three).
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow: last, as it is faint on white
)
# The tutorial's two regimes keep their colour in every figure, whichever regimes a figure shows.
REGIME_COLOURS = {"chaotic": PALETTE[0], "quasilinear": PALETTE[1]}
NEUTRAL = "0.35"  # fits, references and annotations: grey, so the data keep the colour

COLUMN_WIDTH = 3.4  # inches: one column of a two-column paper
FULL_WIDTH = 7.0  # inches: the full text width
PNG_DPI = 200  # a column-wide PNG is then ~680 px: sharp on screens, small for the web

# Hand-drawn fonts for the xkcd look, best first; the first one installed is used.
XKCD_FONTS = ("xkcd", "xkcd Script", "Humor Sans", "Comic Neue", "Comic Sans MS")
FALLBACK_FONT = "DejaVu Sans"  # ships with matplotlib, so it is always there


def regime_colour(regime: str | int) -> str:
    """The colour of a regime: fixed for the tutorial's regimes, stable per name for others.

    An integer picks from the palette in order (for series that are not regimes).
    """
    if isinstance(regime, int):
        return PALETTE[regime % len(PALETTE)]
    if regime in REGIME_COLOURS:
        return REGIME_COLOURS[regime]
    others = PALETTE[len(REGIME_COLOURS) :]
    return others[zlib.crc32(regime.encode()) % len(others)]  # crc32, not hash(): stable across runs


def _rc(xkcd: bool) -> dict:
    """Matplotlib settings for paper-column figures (8 pt labels, 7 pt ticks and legends)."""
    rc = {
        "figure.dpi": 100,
        "savefig.dpi": PNG_DPI,
        "savefig.bbox": "tight",
        "savefig.pad_inches": 0.03,
        "font.size": 8,
        "axes.titlesize": 8,
        "axes.labelsize": 8,
        "xtick.labelsize": 7,
        "ytick.labelsize": 7,
        "legend.fontsize": 6.5,
        "legend.frameon": False,
        "legend.handlelength": 1.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.linewidth": 0.8,
        "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
        "lines.linewidth": 1.2,
        "lines.markersize": 4,
        "xtick.major.width": 0.8,
        "ytick.major.width": 0.8,
        "xtick.major.size": 3,
        "ytick.major.size": 3,
        "xtick.minor.size": 1.5,
        "ytick.minor.size": 1.5,
        "xtick.minor.width": 0.6,
        "ytick.minor.width": 0.6,
        "grid.linewidth": 0.5,
        "grid.color": "0.9",
        "pdf.fonttype": 42,  # embed TrueType: text stays text (editable, searchable) in the PDF
        "svg.fonttype": "none",
        "mathtext.default": "regular",
    }
    if xkcd:
        # DejaVu Sans after the hand-drawn font fills in the glyphs it lacks (≈, →, −); mathtext
        # (powers of ten on log axes) gets DejaVu Sans outright, for the same reason.
        rc["font.family"] = list(dict.fromkeys([xkcd_font(), FALLBACK_FONT]))
        rc["mathtext.fontset"] = "dejavusans"
        rc["mathtext.default"] = "rm"
        rc["axes.linewidth"] = 1.2
    else:
        rc["font.family"] = ["sans-serif"]
        rc["font.sans-serif"] = ["DejaVu Sans"]
    return rc


def xkcd_font() -> str:
    """The first hand-drawn font installed, else DejaVu Sans (logged, not warned once per glyph)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in XKCD_FONTS:
        if name in installed:
            return name
    log.warning(missing_xkcd_font())
    return FALLBACK_FONT


def missing_xkcd_font() -> str | None:
    """What the xkcd look falls back to when none of its fonts is installed, else None. The workflow
    says it on the console when it reads a config with ``figures: {xkcd: true}``; each figure job's
    log says it again."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    if any(name in installed for name in XKCD_FONTS):
        return None
    return (
        f"xkcd look: none of the fonts {', '.join(XKCD_FONTS)} is installed, using {FALLBACK_FONT}"
        " (e.g. apt-get install fonts-humor-sans)"
    )


@contextlib.contextmanager
def figure_style(xkcd: bool = False) -> Iterator[None]:
    """Paper-column settings for the figures drawn inside; ``xkcd=True`` adds the tutorial's hand-drawn look.

    The xkcd look only sketches the lines and picks a hand-drawn font if one is installed; sizes
    stay those of the plain style so both read well in a paper column.
    """
    with contextlib.ExitStack() as stack:
        if xkcd:
            stack.enter_context(plt.xkcd(scale=0.6, length=80, randomness=2))
            # The font comes from those matplotlib can find, so it has nothing to warn about. Log
            # axes' mathtext tick labels miss glyphs in the hand-drawn font whenever a layout pass
            # draws them before save() turns them into plain text (which falls back to DejaVu Sans
            # glyph by glyph): one warning per tick, none about what is saved; keep them out of the log.
            for name in ("matplotlib.font_manager", "matplotlib.mathtext"):
                logger = logging.getLogger(name)
                stack.callback(logger.setLevel, logger.level)
                logger.setLevel(logging.ERROR)
        stack.enter_context(plt.rc_context(_rc(xkcd)))
        yield


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def plain_tick_label(label: str) -> str:
    """A mathtext tick label as plain text: ``$\\mathdefault{2\\times10^{-3}}$`` -> ``2×10⁻³``."""
    text = label.strip("$").replace(r"\mathdefault", "").replace(r"\times", "×").replace("{", "").replace("}", "")
    base, _, exponent = text.partition("^")
    return base + exponent.translate(_SUPERSCRIPT)


class _PlainTicks(ticker.Formatter):
    """Wraps a tick formatter, rewriting its mathtext labels as plain text (see ``plain_tick_label``)."""

    def __init__(self, inner: ticker.Formatter):
        self.inner = inner

    def set_axis(self, axis) -> None:
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs) -> None:
        self.inner.set_locs(locs)

    def __call__(self, x, pos=None) -> str:
        return plain_tick_label(self.inner(x, pos))


def _plain_log_ticks(fig: plt.Figure) -> None:
    # Log axes label ticks in mathtext's \mathdefault font, which is the hand-drawn one and, unlike
    # plain text, gets no fallback for the glyphs it lacks (Humor Sans has no minus sign).
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "log":
                for get, set_ in (
                    (axis.get_major_formatter, axis.set_major_formatter),
                    (axis.get_minor_formatter, axis.set_minor_formatter),
                ):
                    if not isinstance(get(), _PlainTicks):
                        set_(_PlainTicks(get()))


def save(fig: plt.Figure, paths: Sequence[str | Path]) -> None:
    """Save one figure to each path (format from the suffix: png, pdf, svg), atomically, then close it.

    Time stamps are left out of the metadata, so the same data give byte-identical PDFs.
    """
    if matplotlib.rcParams["path.sketch"] is not None:  # inside figure_style(xkcd=True)
        _plain_log_ticks(fig)
    for path in paths:
        fmt = Path(path).suffix.lstrip(".").lower()
        metadata = {"CreationDate": None} if fmt == "pdf" else {}
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, metadata=metadata)
    plt.close(fig)
