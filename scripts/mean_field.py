"""The mean-field theory of bias-free tanh nets over a grid of sigma_w.

Writes: the figure (PNG, PDF) and its numbers (TSV: sigma_w, sigma_b, q_star, chi_1, c_star, chi_c, depth_scale).
"""

import numpy as np

from depthwidth.analysis.sigma_study import mean_field_table
from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import write_tsv
from depthwidth.presentation import figures, style

with runtime.job(snakemake) as log:
    grid = snakemake.params.grid
    table = mean_field_table(np.geomspace(grid["sigma_min"], grid["sigma_max"], grid["points"]))
    log.info("mean field:\n%s", table.to_string(index=False))
    png, pdf, tsv = snakemake.output.png, snakemake.output.pdf, snakemake.output.tsv
    write_tsv(tsv, table)
    with style.figure_style(snakemake.params.xkcd):
        style.save(figures.mean_field(table), [png, pdf])
