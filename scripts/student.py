"""Train a batch of students of one architecture, each on its own teacher's dataset.

Reads: ``data`` (.npz per teacher, in the order of ``params.members``: one ``plan.Member`` each).
Writes, per student in the same order: ``weights`` (.pt) and its ``sidecar`` (.json), ``metrics``
(.json: relative train and test error = MSE / Var(y_test), parameter count, the teacher's
regime, seed, sigma_w and depth, whether the targets were standardised and their scale; no
timing, so that reruns give identical files) and ``loss`` (.npz: ``train_mse``, the training MSE
before every step). Keeps ``checkpoint`` (.pt, one per group of students trained side by side)
while training and after (``depthwidth.training.checkpoint``: a successful run deletes it), and resumes
from it after an interruption.
The training and compile times go to the log (and Snakemake's benchmark file times the job).
A student whose training loss became non-finite fails the job (``students.check_finite``), naming
the learning-rate key and the step, after every student's files are written (Snakemake then
removes the failed job's outputs; its checkpoint keeps the batch's final state).
Each finished student is kept in the store (``depthwidth.jobs.store``), and a student the store
holds is copied from it instead of trained: a rerun of the batch (a seed added) trains only the
new students.
"""

import sys

import numpy as np

from depthwidth.experiment import paths
from depthwidth.experiment.plan import Phase
from depthwidth.jobs import artifacts, runtime, store
from depthwidth.model.teacher import target_scaling
from depthwidth.training.students import check_finite, initial_weights, save_student, student_seed, train_students


def train(log, p, name, todo, files, keys, fields):
    """Train the students ``todo`` (indices into the batch), write their files and keep them in the store."""
    members = [p.members[k] for k in todo]
    datas = [artifacts.read_dataset(snakemake.input.data[k], n_in=p.sizes[0]) for k in todo]
    inits = [initial_weights(p.sizes, name, m, p.seeding, p.data) for m in members]
    schedule = [Phase(steps, lr) for steps, lr in p.schedule]
    log.info("%s: %d student(s), %d steps each", name, len(inits), sum(phase.steps for phase in schedule))
    result, metrics = train_students(
        p.sizes,
        datas,
        schedule,
        inits,
        phi=p.nonlinearity,
        dtype=runtime.torch_dtype(p.dtype),
        device=p.device,
        engine=p.engine,
        # on the console (a local run) or the job's Slurm log too, as e.g. `chaotic/shallow_w45: step ...`
        progress=runtime.progress_logger(name, sys.stderr, "/".join(map(str, snakemake.wildcards))),
        compile=p.compile,
        compile_cache=p.compile_cache,
        checkpoint=p.checkpoint,
        checkpoint_every=p.checkpoint_every,
    )
    for note in result.notes:
        log.warning("%s: %s", name, note)
    log.info(
        "%s: trained %d student(s) in %.1f s (%.1f s of it compiling), %s backend on %s",
        name,
        len(inits),
        result.seconds,
        result.compile_seconds,
        result.backend,
        result.device,
    )
    for j, (k, member, data, m) in enumerate(zip(todo, members, datas, metrics)):
        identity = {
            "name": name,
            "regime": member["regime"],
            "seed": member["seed"],
            "sigma_w": member["sigma"],
            "teacher_depth": len(member["teacher_sizes"]) - 1,
            "init": member["init"],
            "student_seeding": p.seeding,
            "restart": member["restart"],
            "student_seed": student_seed(name, member, p.seeding),
        }
        log.info(
            "%s, %s seed %d: relative test error %.4g, train %.4g",
            name,
            member["regime"],
            member["seed"],
            m["test_relative_error"],
            m["train_relative_error"],
        )
        student_files = {kind: files[k][kind] for kind in ("weights", "metrics", "loss")}
        save_student(student_files, result.weights[j], result.losses[:, j], {**identity, **m, **target_scaling(data)})
        if np.isfinite(result.losses[:, j]).all():  # a diverged student fails the job below, and is not kept
            store.keep(keys[k], files[k], fields[k])
    check_finite(name, members, result.losses, p.schedule[0][1])


with runtime.job(snakemake) as log:
    p, name, out = snakemake.params, snakemake.wildcards.student, snakemake.output
    files = [{kind: getattr(out, kind)[k] for kind in store.ENTRY_FILES} for k in range(len(p.members))]
    # everything that determines each student: the store's key (depthwidth.jobs.store)
    common = {
        **{k: getattr(p, k) for k in ("sizes", "schedule", "seeding", "data", "dtype", "device", "nonlinearity")},
        **{"student": name, "engine": p.engine, "compile": p.compile, "cpu": store.cpu_kind()},
        "code": store.code_digest(snakemake.input.code),  # the script and every module it imports
    }
    fields = [
        {**common, "member": m, "data_sha256": artifacts.file_sha256(d)}
        for m, d in zip(p.members, snakemake.input.data)
    ]
    keys = [store.student_key(f) for f in fields]
    stored = set() if store.refresh() else {k for k in range(len(keys)) if store.fetch(keys[k], files[k])}
    todo = [k for k in range(len(p.members)) if k not in stored]
    if stored:
        log.info("%s: %d of %d student(s) copied from the store, %s", name, len(stored), len(keys), paths.store_root())
    if todo:
        train(log, p, name, todo, files, keys, fields)
