"""Figure: each sweep regime's scaling fit (slope, width for the target error) against teacher sigma.

Reads: ``fits`` (JSON per sweep regime, with bootstrap intervals over seeds). Writes: PNG, PDF and
the plotted numbers (TSV).
"""

from depthwidth.analysis.sigma_study import fit_rows
from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import read_json, write_tsv
from depthwidth.presentation import figures, style
from depthwidth.theory.meanfield import chi_1

with runtime.job(snakemake) as log:
    p = snakemake.params
    fits = [read_json(path, ("regime", "slope", "predicted_width", "seeds")) for path in snakemake.input["fits"]]
    table = fit_rows(fits, p.sigmas, {s: chi_1(s) for s in p.sigmas.values()})
    log.info("scaling fits:\n%s", table.to_string(index=False))
    png, pdf, tsv = snakemake.output.png, snakemake.output.pdf, snakemake.output.tsv
    write_tsv(tsv, table)
    with style.figure_style(p.xkcd):
        style.save(figures.sweep_scaling(table), [png, pdf])
