"""Figure: the width the scaling fit needs for the target error against teacher depth, per sigma_w,
beside the mean-field theory's growth of a curve's length through the teacher.

Reads: ``fits`` (scaling-fit JSON per depth-sweep regime, with bootstrap intervals over seeds).
Writes: PNG, PDF and the plotted numbers (TSV, ``depth_study.width_by_depth``).
"""

from depthwidth.analysis.depth_study import width_by_depth
from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import read_json, write_tsv
from depthwidth.presentation import figures, style

with runtime.job(snakemake) as log:
    p = snakemake.params
    fits = [read_json(path, ("regime", "predicted_width", "target_error", "seeds")) for path in snakemake.input["fits"]]
    table = width_by_depth(fits, p.regimes)
    log.info("width needed against teacher depth:\n%s", table.to_string(index=False))
    write_tsv(snakemake.output.tsv, table)
    with style.figure_style(p.xkcd):
        style.save(figures.depth_scaling(table), [snakemake.output.png, snakemake.output.pdf])
