"""Collect every student's metrics and every scaling fit into one table.

Reads: ``metrics`` (JSON per student), ``fits`` (JSON per fitted regime), ``weights`` (each
student's .pt, checked against the SHA-256 in its ``sidecars``). Writes: ``table``
(TSV; errors are MSE / Var(y_test); see ``depthwidth.results.SUMMARY_COLUMNS`` for the columns).
"""

from depthwidth import runtime
from depthwidth.artifacts import write_tsv
from depthwidth.results import summary_table

with runtime.job(snakemake) as log:
    table = summary_table(snakemake.input["metrics"], snakemake.input["fits"], snakemake.params.sigmas,
                          snakemake.input["weights"])
    log.info("summary:\n%s", table.to_string())
    write_tsv(snakemake.output["table"], table)
