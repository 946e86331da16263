"""Train one student on a teacher's dataset.

Reads: ``data`` (.npz). Writes: ``weights`` (.pt) and its ``sidecar`` (.json), ``metrics``
(.json: relative train and test error = MSE / Var(y_test), parameter count; no timing, so that
reruns give identical files) and ``loss`` (.npz: ``train_mse``, the training MSE before every
step). The training wall time goes to the log (and Snakemake's benchmark file times the job).
"""

from depthwidth import artifacts, runtime
from depthwidth.engine import Phase
from depthwidth.students import save_student, train_student

with runtime.job(snakemake) as log:
    p, w = snakemake.params, snakemake.wildcards
    data = artifacts.read_dataset(snakemake.input["data"], n_in=p.sizes[0])
    result, metrics = train_student(
        p.sizes, data, [Phase(steps, lr) for steps, lr in p.schedule],
        seed=int(w.seed), name=w.student, init=p.init, sigma=p.sigma, phi=p.nonlinearity,
        dtype=runtime.torch_dtype(p.dtype), device=p.device, progress=runtime.progress_logger(w.student),
    )
    log.info("%s: relative test error %.4g, train %.4g; trained in %.2f s", w.student,
             metrics["test_relative_error"], metrics["train_relative_error"], result.seconds)
    save_student(snakemake.output, result, {**metrics, "regime": w.regime, "seed": int(w.seed)})
