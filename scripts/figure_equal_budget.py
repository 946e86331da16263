"""Figure: the deep student against a shallow one of equal parameter count over sigma, and depth at that budget.

Reads: ``metrics`` of every sweep student and ``linear`` fit. Writes: PNG, PDF and the plotted
numbers (TSV: median and bootstrap 95% interval over teacher seeds per student and sigma, as
seaborn draws them from the runs).
"""

from depthwidth import figures, runtime, style
from depthwidth.artifacts import write_tsv
from depthwidth.study import chi_curve, error_bands, sweep_runs
from depthwidth.theory import chi_1

with runtime.job(snakemake) as log:
    p = snakemake.params
    runs = sweep_runs(snakemake.input["metrics"] + snakemake.input["linear"], p.sigmas)
    budget = list(p.budget_students)
    runs = runs[runs["student"].isin(budget + ["deep", "linear"])]
    bands = error_bands(runs, {s: chi_1(s) for s in runs["sigma_w"].unique()})
    log.info("equal budget:\n%s", bands.to_string(index=False))
    shallow = next((s for s in budget if s.startswith("shallow_w")), None)
    png, pdf, tsv = snakemake.output.png, snakemake.output.pdf, snakemake.output.tsv
    write_tsv(tsv, bands)
    with style.figure_style(p.xkcd):
        style.save(figures.equal_budget(runs, chi_curve(list(p.sigmas.values())), budget, shallow), [png, pdf])
