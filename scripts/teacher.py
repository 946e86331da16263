"""Draw a teacher and its dataset.

Writes: ``weights`` (state dict .pt), ``sidecar`` (its JSON description), ``data``
(.npz with X_train, y_train, X_test, y_test).
"""

from depthwidth import artifacts, runtime
from depthwidth.teacher import draw_teacher_and_data

with runtime.job(snakemake) as log:
    p = snakemake.params
    seed = int(snakemake.wildcards.seed)
    weights, data = draw_teacher_and_data(
        p.sizes, p.sigma, seed, p.n_train, p.n_test, runtime.torch_dtype(p.dtype), p.nonlinearity
    )
    log.info("teacher sigma=%g seed=%d sizes=%s; Var(y_test)=%.6g", p.sigma, seed, p.sizes, data["y_test"].var(ddof=1))
    artifacts.write_npz(snakemake.output["data"], **data)
    artifacts.write_weights(
        snakemake.output["weights"],
        weights,
        {"role": "teacher", "regime": snakemake.wildcards.regime, "sigma": p.sigma, "seed": seed,
         "sizes": p.sizes, "nonlinearity": p.nonlinearity, "dtype": p.dtype},
    )
