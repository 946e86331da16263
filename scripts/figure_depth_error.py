"""Figure: shallow students' test error against teacher depth, one panel per teacher sigma_w.

Reads: ``metrics`` of every shallow student and ``linear`` fit of the depth sweep. Writes: PNG,
PDF and the plotted numbers (TSV: median and bootstrap 95% interval over teacher seeds per
student, sigma_w and teacher depth, as seaborn draws them from the runs).
"""

from depthwidth.analysis.depth_study import error_by_depth
from depthwidth.analysis.sigma_study import first_inits, sweep_runs
from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import write_tsv
from depthwidth.presentation import figures, style

with runtime.job(snakemake) as log:
    p = snakemake.params
    runs = first_inits(sweep_runs(snakemake.input["metrics"] + snakemake.input["linear"]))
    table = error_by_depth(runs)
    log.info("error against teacher depth:\n%s", table.to_string(index=False))
    write_tsv(snakemake.output.tsv, table)
    with style.figure_style(p.xkcd):
        style.save(figures.depth_error(runs, p.shallow), [snakemake.output.png, snakemake.output.pdf])
