# Converged students (config section `polish`): every student polished by Levenberg-Marquardt
# from Adam's final weights, and for the deep students a search over fresh starts that asks
# whether the teacher's architecture can fit the teacher at all (depthwidth.polish).


rule polish:
    """Polish a regime's student, every seed, from Adam's final weights (Levenberg-Marquardt, float64)."""
    input:
        weights=student_files_of("student.pt"),
        sidecars=student_files_of("student.pt.json"),
        metrics=student_files_of("metrics.json"),
        data=regime_data,
        teacher=regime_teacher,
        code=code("polish.py"),
    output:
        polished=seed_files("polished.pt"),
        sidecar=seed_files("polished.pt.json"),
        record=seed_files("polish.json"),
    log:
        "results/logs/{regime}/{student}.polish.log",
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=polish_mem_mb,
        runtime=polish_runtime,
    params:
        polish=config["polish"],
        nonlinearity=config["nonlinearity"],
    script:
        "../../scripts/polish.py"


rule search:
    """Whether the teacher's architecture fits each teacher of a regime: fresh starts, each an Adam
    warm-up and Levenberg-Marquardt, until one reaches polish.search_tolerance."""
    input:
        data=regime_data,
        teacher=regime_teacher,
        polish=seed_files("polish.json", "deep"),
        code=code("search.py"),
    output:
        record=seed_files("search.json", "deep"),
    log:
        "results/logs/{regime}/deep.search.log",
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=polish_mem_mb,
        runtime=search_runtime,
    params:
        polish=config["polish"],
        nonlinearity=config["nonlinearity"],
        sizes=lambda wildcards: plan.teacher_sizes(plan.regime_teacher(config, wildcards.regime)),
        lr=config["deep"]["lr"],
    script:
        "../../scripts/search.py"
