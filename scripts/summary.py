"""Collect every student's metrics and every scaling fit into one table.

Reads: ``metrics`` (JSON per student), ``restarts`` (JSON per restart of a restart student, whose
best is reported beside the first initialisation), ``polish`` and ``search`` (JSON per student and
per deep student, when the config polishes: the converged errors, in columns of their own),
``fits`` (JSON per fitted regime, with a row per fitted error when polished), ``weights`` (each
student's .pt, checked against the SHA-256 in its ``sidecars``). Writes: ``table`` (TSV; errors
are MSE / Var(y_test); see ``depthwidth.analysis.results.SUMMARY_COLUMNS`` for the columns) and ``html``,
the same table as a web page for the report.
"""

from pathlib import Path

from depthwidth.analysis.results import summary_html, summary_table
from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import atomic_path, write_tsv

with runtime.job(snakemake) as log:
    i = snakemake.input
    table = summary_table(
        i["metrics"], i["fits"], snakemake.params.sigmas, i["weights"], i["restarts"], i["polish"], i["search"]
    )
    log.info("summary:\n%s", table.to_string())
    write_tsv(snakemake.output["table"], table)
    tsv = Path(snakemake.output["table"])
    with atomic_path(snakemake.output["html"]) as tmp:
        Path(tmp).write_text(summary_html(table, tsv.name, tsv.read_bytes()), encoding="utf-8")
