"""Fit ln E = m ln W + b to a regime's shallow students and extrapolate the width for the target error.

Reads: ``metrics`` (one JSON per width and seed). Writes: ``fit`` (JSON: slope, intercept, R^2,
predicted width, the points fitted, bootstrap confidence intervals when there are several seeds).
"""

from depthwidth import runtime
from depthwidth.artifacts import write_json
from depthwidth.results import load_metrics
from depthwidth.scaling import fit_students

with runtime.job(snakemake) as log:
    fit = fit_students([load_metrics(path) for path in snakemake.input["metrics"]], snakemake.params.target_error)
    log.info("slope %.4f, intercept %.4f, predicted width %.4g", fit["slope"], fit["intercept"], fit["predicted_width"])
    write_json(snakemake.output["fit"], {"regime": snakemake.wildcards.regime, **fit})
