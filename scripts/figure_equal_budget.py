"""Figure: the deep student against a shallow one of equal parameter count over sigma, and depth at that budget.

Reads: ``metrics`` of every sweep student (and of the restarts of its restart students) and
``linear`` fit. Writes: PNG, PDF and the plotted numbers (TSV: median and bootstrap 95% interval
over teacher seeds per student and sigma, as seaborn draws them from the runs; with restarts also
the best initialisation's, ``initialisations`` > 1).
"""

import pandas as pd

from depthwidth.analysis.results import best_of_restarts
from depthwidth.analysis.sigma_study import chi_curve, error_bands, first_inits, sweep_runs
from depthwidth.experiment import paths
from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import write_tsv
from depthwidth.presentation import figures, style
from depthwidth.theory.meanfield import chi_1

with runtime.job(snakemake) as log:
    p = snakemake.params
    runs = sweep_runs(snakemake.input["metrics"] + snakemake.input["linear"])
    budget = list(p.budget_students)
    runs = runs[runs["student"].isin(budget + ["deep", "linear"])]
    restarted = runs[runs["student"].isin(runs.loc[runs["restart"] > 0, "student"])]
    best = best_of_restarts(restarted)
    runs = first_inits(runs)
    chi = {s: chi_1(s) for s in runs["sigma_w"].unique()}
    bands = error_bands(runs, chi).assign(initialisations=1)
    if len(best):
        bands = pd.concat([bands, error_bands(best, chi).assign(initialisations=int(best["inits"].max()))])
    log.info("equal budget:\n%s", bands.to_string(index=False))
    shallow = next((s for s in budget if paths.is_shallow(s)), None)
    png, pdf, tsv = snakemake.output.png, snakemake.output.pdf, snakemake.output.tsv
    write_tsv(tsv, bands)
    curve = chi_curve(list(p.sigmas.values()))
    with style.figure_style(p.xkcd):
        style.save(figures.equal_budget(runs, curve, budget, shallow, best), [png, pdf])
