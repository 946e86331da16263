"""The best bias-free linear fit to each of a regime's teachers' training data: the reference any
student should beat.

Reads: ``data`` (.npz per seed). Writes: ``metrics`` per seed (JSON with the student metrics' keys:
relative train and test error = MSE / Var(y_test), coefficients, the teacher's regime, seed,
sigma_w and depth, whether the targets were standardised and their scale).
"""

from depthwidth.analysis.sigma_study import linear_fit
from depthwidth.jobs import artifacts, runtime
from depthwidth.model.teacher import target_scaling

with runtime.job(snakemake) as log:
    p, regime = snakemake.params, snakemake.wildcards.regime
    for seed, data_path, metrics_path in zip(p.seeds, snakemake.input.data, snakemake.output.metrics):
        data = artifacts.read_dataset(data_path)
        metrics = linear_fit(data)
        log.info("seed %d: linear fit, relative test error %.4g", seed, metrics["test_relative_error"])
        artifacts.write_json(
            metrics_path,
            {
                **metrics,
                "regime": regime,
                "seed": seed,
                "sigma_w": p.sigma,
                "teacher_depth": p.teacher_depth,
                **target_scaling(data),
            },
        )
