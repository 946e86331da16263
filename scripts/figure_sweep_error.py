"""Figure: relative test error against teacher sigma, per student, with the linear reference and chi_1.

Reads: ``metrics`` of every sweep student and ``linear`` fit. Writes: PNG, PDF and the plotted
numbers (TSV: median and bootstrap 95% interval over teacher seeds per student and sigma, as
seaborn draws them from the runs).
"""

from depthwidth.analysis.sigma_study import chi_curve, error_bands, sweep_runs
from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import write_tsv
from depthwidth.presentation import figures, style
from depthwidth.theory.meanfield import chi_1

with runtime.job(snakemake) as log:
    p = snakemake.params
    runs = sweep_runs(snakemake.input["metrics"] + snakemake.input["linear"])
    curve = chi_curve(list(p.sigmas.values()))
    bands = error_bands(runs, {s: chi_1(s) for s in runs["sigma_w"].unique()})
    log.info("error bands:\n%s", bands.to_string(index=False))
    png, pdf, tsv = snakemake.output.png, snakemake.output.pdf, snakemake.output.tsv
    write_tsv(tsv, bands)
    with style.figure_style(p.xkcd):
        style.save(figures.sweep_error(runs, curve, [s for s in p.shallow if s in set(runs["student"])]), [png, pdf])
