"""Figure (a): the deep students' training error per step, with their test error at the end.

Reads: ``loss`` and ``metrics`` of every deep student. Writes: ``png`` and ``pdf``.
"""

from collections import defaultdict

from depthwidth.analysis.results import load_metrics, loss_curve
from depthwidth.jobs import runtime
from depthwidth.presentation import figures, style

with runtime.job(snakemake):
    curves, test_errors = defaultdict(list), defaultdict(list)
    for loss, path in zip(snakemake.input["loss"], snakemake.input["metrics"]):
        metrics = load_metrics(path)
        curves[metrics["regime"]].append(loss_curve(loss, path))
        test_errors[metrics["regime"]].append(metrics["test_relative_error"])
    p = snakemake.params
    with style.figure_style(p.xkcd):
        fig = figures.deep_loss(curves, p.steps_per_phase, test_errors, p.lr_decay, sizes=metrics["sizes"])
        style.save(fig, [snakemake.output["png"], snakemake.output["pdf"]])
