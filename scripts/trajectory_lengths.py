"""Measure the unit circle's length in every hidden layer of random nets of each sigma.

Writes: ``lengths`` (TSV: sigma_w, net, layer, length, normalised_length).
"""

from depthwidth.analysis.sigma_study import circle_length_table
from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import write_tsv

with runtime.job(snakemake) as log:
    p = snakemake.params
    table = circle_length_table(p.sigmas, p.width, p.depth, p.points, p.nets, p.seed, p.nonlinearity)
    log.info("%d nets x %d layers measured", table["net"].nunique() * table["sigma_w"].nunique(), table["layer"].max())
    write_tsv(snakemake.output["lengths"], table)
