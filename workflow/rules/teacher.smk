rule teacher:
    """A random deep teacher of the regime's sigma and the data it labels."""
    input:
        code=package("nets", "teacher"),
    output:
        weights="results/{regime}/seed{seed}/teacher.pt",
        sidecar="results/{regime}/seed{seed}/teacher.pt.json",
        data="results/{regime}/seed{seed}/data.npz",
    params:
        sigma=lambda wildcards: REGIMES[wildcards.regime]["sigma"],
        sizes=TEACHER_SIZES,
        n_train=config["data"]["n_train"],
        n_test=config["data"]["n_test"],
        standardise_targets=config["data"]["standardise_targets"],
        dtype=config["dtype"],
        nonlinearity=config["nonlinearity"],
    log:
        "results/logs/{regime}/seed{seed}/teacher.log",
    benchmark:
        "results/benchmarks/{regime}/seed{seed}/teacher.tsv"
    threads: 1
    priority: teacher_priority
    resources:
        mem_mb=teacher_mem_mb,
        runtime=5,
    conda:
        "../../envs/depthwidth.yaml"
    script:
        "../../scripts/teacher.py"
