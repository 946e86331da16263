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
        "results/logs/{regime}/{student}.log",
    benchmark:
        "results/benchmarks/{regime}/{student}.tsv"
    wildcard_constraints:
        regime="|".join(map(re.escape, plan.batched_regimes(config))),
    priority: student_priority
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=student_mem_mb,
        runtime=student_runtime,
    params:
        members=batch_params,
        sizes=student_sizes,
        schedule=student_schedule,
        seeding=config["student_seeding"],
        teacher={k: v for k, v in plan.teacher_stream(config, next(iter(REGIMES))).items() if k != "sigma"},
        teacher_depth=TEACHER["depth"],
        dtype=config["dtype"],
        device=config["device"],
        nonlinearity=config["nonlinearity"],
        compile=config["compile"],
        compile_cache=config["compile_cache"],
        checkpoint=lambda wildcards: checkpoint_path(getattr(wildcards, "regime", None), wildcards.student),
        checkpoint_every=config["checkpoint_every"],
    script:
        "../../scripts/student.py"


if SWEEP_BATCHED:

    # batch: sweep -- one job trains a student for every sweep regime and seed
    use rule student as sweep_student with:
        output:
            weights=batch_files("student.pt", SWEEP_REGIMES),
            sidecar=batch_files("student.pt.json", SWEEP_REGIMES),
            metrics=batch_files("metrics.json", SWEEP_REGIMES),
            loss=batch_files("loss.npz", SWEEP_REGIMES),
        log:
            "results/logs/sweep/{student}.log",
        benchmark:
            "results/benchmarks/sweep/{student}.tsv"
        wildcard_constraints:
            student="|".join(map(re.escape, SWEEP_STUDENTS)),
