import os

# glibc malloc: keep freed (features, N) activation buffers instead of returning them to the OS
# with mmap/munmap (or trimming) on every step. Read only when a process starts, so it is set
# here, at parse time, for the job processes Snakemake starts; a value already in the
# environment wins.
os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", "33554432")
os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", "4294967296")


rule student:
    """Train a batch of students of one architecture (shallow_w<width>, deep, d<depth>_w<width>),
    one per seed of a regime, each on its own teacher's data, with full-batch Adam."""
    input:
        data=batch_data,
        code=code("student.py"),
    output:
        weights=batch_files("student.pt", ["{regime}"]),
        sidecar=batch_files("student.pt.json", ["{regime}"]),
        metrics=batch_files("metrics.json", ["{regime}"]),
        loss=batch_files("loss.npz", ["{regime}"]),
    log:
        paths.log(paths.batch_key("{regime}", "{student}")),
    benchmark:
        paths.benchmark(paths.batch_key("{regime}", "{student}"))
    wildcard_constraints:
        regime=one_of(plan.batched_regimes(config)),
    priority: REQUESTS.student_priority
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=REQUESTS.student_mem_mb,
        runtime=REQUESTS.student_runtime,
    params:
        members=batch_params,
        sizes=student_sizes,
        schedule=student_schedule,
        seeding=config["student_seeding"],
        data={k: config["data"][k] for k in ("n_train", "n_test")},
        dtype=config["dtype"],
        device=config["device"],
        nonlinearity=config["nonlinearity"],
        engine=config["engine"],
        compile=config["compile"],
        compile_cache=config["compile_cache"],
        checkpoint=lambda wildcards: paths.checkpoint(student_batch(wildcards).key),
        checkpoint_every=config["checkpoint_every"],
    message:
        "train the {wildcards.student} students of {wildcards.regime}, every seed (asks {resources.mem_mb} MB, {resources.runtime} min): {log}"
    script:
        "../../scripts/student.py"


if RESTARTS:

    # restarts.count > 1: each restart k of a restart student is a batch of its own (the same
    # teachers, the k-th initialisation), so adding restarts retrains nothing
    use rule student as student_restarts with:
        output:
            weights=batch_files("student.pt", ["{regime}"], restart=True),
            sidecar=batch_files("student.pt.json", ["{regime}"], restart=True),
            metrics=batch_files("metrics.json", ["{regime}"], restart=True),
            loss=batch_files("loss.npz", ["{regime}"], restart=True),
        log:
            paths.log(paths.batch_key("{regime}", "{student}", "{restart}")),
        benchmark:
            paths.benchmark(paths.batch_key("{regime}", "{student}", "{restart}"))
        wildcard_constraints:
            regime=one_of(plan.batched_regimes(config)),
            student=one_of(RESTART_STUDENTS) or "no-restarts",
            restart="|".join(map(str, RESTARTS)),
        message:
            "train the {wildcards.student} students of {wildcards.regime}, restart {wildcards.restart}, every seed (asks {resources.mem_mb} MB, {resources.runtime} min): {log}"


if COPIED:

    rule copy_student:
        """Copy a named regime's student, for every seed, from the sweep regime that trains the same
        one (depthwidth.experiment.plan.copied_regimes), after checking that both regimes' data are the same."""
        input:
            data=batch_data,
            source_data=copied_data,
            weights=copied_files("student.pt"),
            sidecar=copied_files("student.pt.json"),
            metrics=copied_files("metrics.json"),
            loss=copied_files("loss.npz"),
            code=code("copy_student.py"),
        output:
            weights=batch_files("student.pt", ["{regime}"]),
            sidecar=batch_files("student.pt.json", ["{regime}"]),
            metrics=batch_files("metrics.json", ["{regime}"]),
            loss=batch_files("loss.npz", ["{regime}"]),
        log:
            paths.log(paths.batch_key("{regime}", "{student}")),
        wildcard_constraints:
            regime=one_of(COPIED),
        localrule: True
        conda:
            "../../envs/depthwidth.yaml"
        threads: 1
        message:
            "copy the {wildcards.student} students of {wildcards.regime} from its sweep regime: {log}"
        script:
            "../../scripts/copy_student.py"


if COPIED and RESTARTS:

    use rule copy_student as copy_student_restarts with:
        input:
            data=batch_data,
            source_data=copied_data,
            weights=copied_files("student.pt", restart=True),
            sidecar=copied_files("student.pt.json", restart=True),
            metrics=copied_files("metrics.json", restart=True),
            loss=copied_files("loss.npz", restart=True),
            code=code("copy_student.py"),
        output:
            weights=batch_files("student.pt", ["{regime}"], restart=True),
            sidecar=batch_files("student.pt.json", ["{regime}"], restart=True),
            metrics=batch_files("metrics.json", ["{regime}"], restart=True),
            loss=batch_files("loss.npz", ["{regime}"], restart=True),
        log:
            paths.log(paths.batch_key("{regime}", "{student}", "{restart}")),
        wildcard_constraints:
            regime=one_of(COPIED),
            student=one_of(RESTART_STUDENTS) or "no-restarts",
            restart="|".join(map(str, RESTARTS)),
        message:
            "copy the {wildcards.student} students of {wildcards.regime}, restart {wildcards.restart}, from its sweep regime: {log}"


if SWEEP_BATCHED:

    # batch: sweep -- one job trains a student for every sweep regime of a teacher depth and every seed
    use rule student as sweep_student with:
        output:
            weights=batch_files("student.pt", sweep_patterns()),
            sidecar=batch_files("student.pt.json", sweep_patterns()),
            metrics=batch_files("metrics.json", sweep_patterns()),
            loss=batch_files("loss.npz", sweep_patterns()),
        log:
            paths.log(paths.batch_key(paths.sweep_batch(), "{student}")),
        benchmark:
            paths.benchmark(paths.batch_key(paths.sweep_batch(), "{student}"))
        wildcard_constraints:
            depth="|".join(map(str, SWEEP_DEPTHS)),
            student=one_of(SWEEP_STUDENTS),
        message:
            "train the {wildcards.student} students of every sweep regime of teacher depth {wildcards.depth} (asks {resources.mem_mb} MB, {resources.runtime} min): {log}"


if SWEEP_BATCHED and RESTARTS:

    use rule student_restarts as sweep_student_restarts with:
        output:
            weights=batch_files("student.pt", sweep_patterns(), restart=True),
            sidecar=batch_files("student.pt.json", sweep_patterns(), restart=True),
            metrics=batch_files("metrics.json", sweep_patterns(), restart=True),
            loss=batch_files("loss.npz", sweep_patterns(), restart=True),
        log:
            paths.log(paths.batch_key(paths.sweep_batch(), "{student}", "{restart}")),
        benchmark:
            paths.benchmark(paths.batch_key(paths.sweep_batch(), "{student}", "{restart}"))
        wildcard_constraints:
            depth="|".join(map(str, SWEEP_DEPTHS)),
            student=one_of(RESTART_STUDENTS) or "no-restarts",
            restart="|".join(map(str, RESTARTS)),
        message:
            "train the {wildcards.student} students of every sweep regime of teacher depth {wildcards.depth}, restart {wildcards.restart} (asks {resources.mem_mb} MB, {resources.runtime} min): {log}"
