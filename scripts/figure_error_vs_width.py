"""Figure (b): shallow train and test error against width, with the scaling fit and the deep student.

Reads: ``metrics`` of every shallow student of the fitted regimes, their ``fits``, and ``deep``
(metrics of those regimes' deep students, if any). Writes: ``png`` and ``pdf``.
"""

from depthwidth.analysis.results import median_by_regime, width_points
from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import read_json
from depthwidth.presentation import figures, style

with runtime.job(snakemake):
    fits = {fit["regime"]: fit for fit in map(read_json, snakemake.input["fits"])}
    deep = median_by_regime(snakemake.input["deep"])
    with style.figure_style(snakemake.params.xkcd):
        fig = figures.error_vs_width(width_points(snakemake.input["metrics"]), fits, deep)
        style.save(fig, [snakemake.output["png"], snakemake.output["pdf"]])
