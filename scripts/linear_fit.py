"""The best bias-free linear fit to a teacher's training data: the reference any student should beat.

Reads: ``data`` (.npz). Writes: ``metrics`` (JSON with the student metrics' keys: relative train and
test error = MSE / Var(y_test), coefficients, whether the targets were standardised and their scale).
"""

from depthwidth import artifacts, runtime
from depthwidth.study import linear_fit
from depthwidth.teacher import target_scaling

with runtime.job(snakemake) as log:
    data = artifacts.read_dataset(snakemake.input["data"])
    metrics = linear_fit(data)
    log.info("linear fit: relative test error %.4g", metrics["test_relative_error"])
    artifacts.write_json(snakemake.output["metrics"], {
        **metrics, "regime": snakemake.wildcards.regime, "seed": int(snakemake.wildcards.seed),
        **target_scaling(data),
    })
