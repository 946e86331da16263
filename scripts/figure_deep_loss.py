"""Figure (a): the deep students' training error per step.

Reads: ``loss`` and ``metrics`` of every deep student. Writes: the figure as PNG and PDF.
"""

from collections import defaultdict

from depthwidth import figures, runtime, style
from depthwidth.results import loss_curve
from depthwidth.students import load_metrics

with runtime.job(snakemake):
    curves = defaultdict(list)
    for loss, metrics in zip(snakemake.input["loss"], snakemake.input["metrics"]):
        curves[load_metrics(metrics)["regime"]].append(loss_curve(loss, metrics))
    with style.figure_style(snakemake.params.xkcd):
        style.save(figures.deep_loss(curves, snakemake.params.steps_per_phase), snakemake.output)
