"""Draw a regime's teachers, one per seed, and the dataset each labels.

Writes per seed (lists in the order of ``params.seeds``): ``weights`` (state dict .pt),
``sidecar`` (its JSON description), ``data`` (.npz with X_train, y_train, X_test, y_test, and
``standardised``/``target_scale``: with ``data.standardise_targets`` y is divided by the training
targets' std, recorded as target_scale).
"""

import numpy as np

from depthwidth.jobs import artifacts, runtime
from depthwidth.model.teacher import draw_teacher_and_data, standardise_targets, target_scaling

with runtime.job(snakemake) as log:
    p, out, regime = snakemake.params, snakemake.output, snakemake.wildcards.regime
    for k, seed in enumerate(p.seeds):
        weights, data = draw_teacher_and_data(
            p.sizes, p.sigma, seed, p.n_train, p.n_test, runtime.torch_dtype(p.dtype), p.nonlinearity
        )
        log.info(
            "teacher sigma=%g seed=%d sizes=%s; Var(y_test)=%.6g", p.sigma, seed, p.sizes, data["y_test"].var(ddof=1)
        )
        if p.standardise_targets:
            data = standardise_targets(data)
            log.info("targets divided by the training std %.6g", data["target_scale"])
        scaling = target_scaling(data)
        artifacts.write_npz(
            out.data[k],
            **{
                **data,
                "standardised": np.array(scaling["standardised"]),
                "target_scale": np.array(scaling["target_scale"]),
            },
        )
        artifacts.write_weights(
            out.weights[k],
            weights,
            {
                "role": "teacher",
                "regime": regime,
                "sigma": p.sigma,
                "seed": seed,
                "sizes": p.sizes,
                "nonlinearity": p.nonlinearity,
                "dtype": p.dtype,
                **scaling,
            },
        )
