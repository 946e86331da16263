"""Figure (b): shallow train and test error against width, with the scaling fit.

Reads: ``metrics`` of every shallow student of the fitted regimes, and their ``fits``. Writes: PNG and PDF.
"""

from depthwidth import figures, runtime, style
from depthwidth.artifacts import read_json
from depthwidth.results import width_points

with runtime.job(snakemake):
    fits = {fit["regime"]: fit for fit in map(read_json, snakemake.input["fits"])}
    with style.figure_style(snakemake.params.xkcd):
        fig = figures.error_vs_width(width_points(snakemake.input["metrics"]), fits)
        style.save(fig, snakemake.output)
