rule teacher:
    """Random deep teachers of the regime's sigma, one per seed, and the data each labels."""
    input:
        code=code("teacher.py"),
    output:
        weights=every_seed("teacher.pt"),
        sidecar=every_seed("teacher.pt.json"),
        data=every_seed("data.npz"),
    log:
        paths.log("{regime}", "teacher"),
    benchmark:
        paths.benchmark("{regime}", "teacher")
    priority: REQUESTS.teacher_priority
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=REQUESTS.teacher_mem_mb,
        runtime=5,
    params:
        seeds=SEEDS,
        sigma=lambda wildcards: REGIMES[wildcards.regime]["sigma"],
        sizes=lambda wildcards: plan.teacher_sizes(plan.regime_teacher(config, wildcards.regime)),
        n_train=config["data"]["n_train"],
        n_test=config["data"]["n_test"],
        standardise_targets=config["data"]["standardise_targets"],
        dtype=config["dtype"],
        nonlinearity=config["nonlinearity"],
    message:
        "teachers and data of {wildcards.regime}, every seed (asks {resources.mem_mb} MB, {resources.runtime} min): {log}"
    script:
        "../../scripts/teacher.py"
