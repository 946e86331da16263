"""Collect every student's metrics and every scaling fit into one table.

Reads: ``metrics`` (JSON per student), ``fits`` (JSON per fitted regime), ``weights`` (each
student's .pt, checked against the SHA-256 in its ``sidecars``). Writes: ``table`` (TSV; errors
are MSE / Var(y_test); see ``depthwidth.results.SUMMARY_COLUMNS`` for the columns) and ``html``,
the same table as a web page for the report.
"""

from pathlib import Path

from depthwidth import runtime
from depthwidth.artifacts import atomic_path, write_tsv
from depthwidth.results import summary_html, summary_table

with runtime.job(snakemake) as log:
    table = summary_table(
        snakemake.input["metrics"], snakemake.input["fits"], snakemake.params.sigmas, snakemake.input["weights"]
    )
    log.info("summary:\n%s", table.to_string())
    write_tsv(snakemake.output["table"], table)
    tsv = Path(snakemake.output["table"])
    with atomic_path(snakemake.output["html"]) as tmp:
        Path(tmp).write_text(summary_html(table, tsv.name, tsv.read_bytes()), encoding="utf-8")
