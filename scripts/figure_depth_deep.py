"""Figure: the deep student's (the teacher's own shape) test error against teacher depth, per sigma_w,
from its first initialisation and the best of its restarts.

Reads: ``metrics`` of every deep student of the depth sweep, first initialisations and restarts.
Writes: PNG, PDF and the plotted numbers (TSV, ``depth_study.deep_by_depth``: medians, bootstrap
95% intervals, and how many teachers each brings within the target error).
"""

from depthwidth.analysis.depth_study import deep_by_depth
from depthwidth.analysis.sigma_study import sweep_runs
from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import write_tsv
from depthwidth.presentation import figures, style

with runtime.job(snakemake) as log:
    p = snakemake.params
    table = deep_by_depth(sweep_runs(snakemake.input["metrics"]), p.target_error)
    log.info("deep student against teacher depth:\n%s", table.to_string(index=False))
    write_tsv(snakemake.output.tsv, table)
    with style.figure_style(p.xkcd):
        style.save(figures.depth_deep(table), [snakemake.output.png, snakemake.output.pdf])
