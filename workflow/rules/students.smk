import os

# glibc malloc: keep freed (features, N) activation buffers instead of returning them to the OS
# with mmap/munmap (or trimming) on every step. Read only when a process starts, so it is set
# here, at parse time, for the job processes Snakemake starts; a value already in the
# environment wins.
os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", "33554432")
os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", "4294967296")


rule student:
    """Train one student (shallow_w<width> or deep) on a teacher's data with full-batch Adam."""
    input:
        data="results/{regime}/seed{seed}/data.npz",
        code=package("nets", "sizes", "engine", "students", "teacher"),
    output:
        weights="results/{regime}/seed{seed}/{student}/student.pt",
        sidecar="results/{regime}/seed{seed}/{student}/student.pt.json",
        metrics="results/{regime}/seed{seed}/{student}/metrics.json",
        loss="results/{regime}/seed{seed}/{student}/loss.npz",
    params:
        sizes=student_sizes,
        schedule=student_schedule,
        init=lambda wildcards: REGIMES[wildcards.regime]["student_init"],
        sigma=lambda wildcards: REGIMES[wildcards.regime]["sigma"],
        seeding=config["student_seeding"],
        teacher=lambda wildcards: teacher_spec(wildcards.regime),
        preceding=preceding_students,
        dtype=config["dtype"],
        device=config["device"],
        nonlinearity=config["nonlinearity"],
        compile=config["compile"],
        compile_cache=config["compile_cache"],
        checkpoint="results/{regime}/seed{seed}/{student}/checkpoint.pt",
        checkpoint_every=config["checkpoint_every"],
    log:
        "results/logs/{regime}/seed{seed}/{student}.log",
    benchmark:
        "results/benchmarks/{regime}/seed{seed}/{student}.tsv"
    threads: 1
    priority: student_priority
    resources:
        mem_mb=student_mem_mb,
        runtime=student_runtime,
    conda:
        "../../envs/depthwidth.yaml"
    script:
        "../../scripts/student.py"
