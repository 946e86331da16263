"""Train one student on a teacher's dataset.

Reads: ``data`` (.npz). Writes: ``weights`` (.pt) and its ``sidecar`` (.json), ``metrics``
(.json: relative train and test error = MSE / Var(y_test), parameter count, whether the targets
were standardised and their scale; no timing, so that reruns give identical files) and ``loss``
(.npz: ``train_mse``, the training MSE before every step). Keeps ``checkpoint`` (.pt) while
training, resumes from it after an interruption, and deletes it once the outputs are written.
The training and compile times go to the log (and Snakemake's benchmark file times the job).
"""

from depthwidth import artifacts, runtime
from depthwidth.engine import Phase, remove_checkpoint
from depthwidth.students import save_student, student_generator, train_student
from depthwidth.teacher import target_scaling

with runtime.job(snakemake) as log:
    p, w = snakemake.params, snakemake.wildcards
    data = artifacts.read_dataset(snakemake.input["data"], n_in=p.sizes[0])
    init_generator = student_generator(p.seeding, int(w.seed), w.student, p.teacher, p.preceding)
    result, metrics = train_student(
        p.sizes, data, [Phase(steps, lr) for steps, lr in p.schedule],
        seed=int(w.seed), name=w.student, init=p.init, sigma=p.sigma, phi=p.nonlinearity,
        dtype=runtime.torch_dtype(p.dtype), device=p.device, progress=runtime.progress_logger(w.student),
        init_generator=init_generator,
        compile=p.compile, compile_cache=p.compile_cache, checkpoint=p.checkpoint,
        checkpoint_every=p.checkpoint_every,
    )
    for note in result.notes:
        log.warning("%s: %s", w.student, note)
    log.info("%s: trained in %.1f s (%.1f s of it compiling), %s backend on %s", w.student, result.seconds,
             result.compile_seconds, result.backend, result.device)
    log.info("%s: relative test error %.4g, train %.4g", w.student, metrics["test_relative_error"],
             metrics["train_relative_error"])
    save_student(snakemake.output, result, {**metrics, "regime": w.regime, "seed": int(w.seed),
                                              "student_seeding": p.seeding, **target_scaling(data)})
    remove_checkpoint(p.checkpoint)
