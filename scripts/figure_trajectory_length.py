"""Figure: circle length against depth, measured over random nets and from the mean-field theory.

Reads: ``lengths`` (TSV per sigma, net and layer). Writes: PNG, PDF and the plotted numbers (TSV).
"""

import pandas as pd

from depthwidth.analysis.sigma_study import length_vs_depth
from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import write_tsv
from depthwidth.presentation import figures, style

with runtime.job(snakemake) as log:
    table = length_vs_depth(
        pd.read_csv(snakemake.input["lengths"], sep="\t"), snakemake.params.width, snakemake.params.nonlinearity
    )
    log.info("length against depth:\n%s", table.to_string(index=False))
    png, pdf, tsv = snakemake.output.png, snakemake.output.pdf, snakemake.output.tsv
    write_tsv(tsv, table)
    with style.figure_style(snakemake.params.xkcd):
        style.save(figures.trajectory_length(table), [png, pdf])
