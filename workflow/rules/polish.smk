# Converged students (config section `polish`): every student polished by Levenberg-Marquardt
# from Adam's final weights, and for the deep students a search over fresh starts that asks
# whether the teacher's architecture can fit the teacher at all (depthwidth.polish).


rule polish:
    """Polish a regime's student, every seed, from Adam's final weights (Levenberg-Marquardt, float64)."""
    input:
        weights=every_seed("{student}/student.pt"),
        sidecars=every_seed("{student}/student.pt.json"),
        metrics=every_seed("{student}/metrics.json"),
        data=every_seed("data.npz"),
        teacher=every_seed("teacher.pt"),
        code=code("polish.py"),
    output:
        polished=every_seed("{student}/polished.pt"),
        sidecar=every_seed("{student}/polished.pt.json"),
        record=every_seed("{student}/polish.json"),
    log:
        "results/logs/{regime}/{student}.polish.log",
    wildcard_constraints:
        regime=one_of(r for r in REGIMES if r not in COPIED),
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
        data=every_seed("data.npz"),
        teacher=every_seed("teacher.pt"),
        polish=every_seed("deep/polish.json"),
        code=code("search.py"),
    output:
        record=every_seed("deep/search.json"),
    log:
        "results/logs/{regime}/deep.search.log",
    wildcard_constraints:
        regime=one_of(r for r in REGIMES if r not in COPIED),
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
        journal=lambda wildcards: search_journal_path(wildcards.regime),
    script:
        "../../scripts/search.py"


# A named regime whose students are copies of a sweep regime's (plan.copied_regimes) has the same
# converged results too: copied, not computed again.
if COPIED:

    rule copy_polish:
        """Copy a named regime's polished student, every seed, from the sweep regime it copies."""
        input:
            data=every_seed("data.npz"),
            source_data=copied_data,
            records=copied_files("polish.json"),
            weights=copied_files("polished.pt"),
            sidecars=copied_files("polished.pt.json"),
            code=code("copy_converged.py"),
        output:
            records=every_seed("{student}/polish.json"),
            weights=every_seed("{student}/polished.pt"),
            sidecars=every_seed("{student}/polished.pt.json"),
        log:
            "results/logs/{regime}/{student}.polish.log",
        wildcard_constraints:
            regime=one_of(COPIED),
        localrule: True
        conda:
            "../../envs/depthwidth.yaml"
        threads: 1
        script:
            "../../scripts/copy_converged.py"

    rule copy_search:
        """Copy a named regime's search records, every seed, from the sweep regime it copies."""
        input:
            data=every_seed("data.npz"),
            source_data=copied_data,
            records=copied_files("search.json", student="deep"),
            code=code("copy_converged.py"),
        output:
            records=every_seed("deep/search.json"),
        log:
            "results/logs/{regime}/deep.search.log",
        wildcard_constraints:
            regime=one_of(COPIED),
        localrule: True
        conda:
            "../../envs/depthwidth.yaml"
        threads: 1
        script:
            "../../scripts/copy_converged.py"
