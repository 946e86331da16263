"""Push the unit circle through deep random nets and record every hidden layer.

Writes: ``trajectories`` (.npz, see ``depthwidth.model.expressivity.expressivity``) and ``lengths``
(TSV: the curve's length and normalised length per regime and layer).
"""

from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import write_npz, write_tsv
from depthwidth.model.expressivity import expressivity, length_table

with runtime.job(snakemake) as log:
    p = snakemake.params
    arrays = expressivity(p.sigmas, p.width, p.depth, p.points, p.seed, p.nonlinearity)
    table = length_table(arrays, p.regimes)
    log.info("trajectory lengths:\n%s", table.to_string(index=False))
    write_npz(snakemake.output["trajectories"], regimes=p.regimes, **arrays)
    write_tsv(snakemake.output["lengths"], table)
