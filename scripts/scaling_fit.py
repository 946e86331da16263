"""Fit ln E = m ln W + b to a regime's shallow students and extrapolate the width for the target error.

Reads: ``metrics`` (one JSON per width and seed) and, when the config polishes, each student's
``polish`` record. Writes: ``fit`` (JSON: slope, intercept, R^2, predicted width, the points
fitted, bootstrap confidence intervals when there are several seeds; with polish, ``fits``: the
same line fitted to Adam's and the converged training and test errors).
"""

from depthwidth.analysis.results import load_metrics
from depthwidth.analysis.scaling import fit_students
from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import read_json, write_json

with runtime.job(snakemake) as log:
    polished = [read_json(path, ("train_relative_error", "test_relative_error")) for path in snakemake.input["polish"]]
    metrics = [load_metrics(path) for path in snakemake.input["metrics"]]
    fit = fit_students(metrics, snakemake.params.target_error, polished or None)
    log.info("slope %.4f, intercept %.4f, predicted width %s", fit["slope"], fit["intercept"], fit["predicted_width"])
    if "predicted_width_note" in fit:
        log.warning("predicted width: %s", fit["predicted_width_note"])
    for kind, line in fit.get("fits", {}).items():
        log.info(
            "%s: slope %.4f, R^2 %.3f, predicted width %s", kind, line["slope"], line["r2"], line["predicted_width"]
        )
    write_json(snakemake.output["fit"], {"regime": snakemake.wildcards.regime, **fit})
