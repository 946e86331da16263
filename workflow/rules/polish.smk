# Converged students (config section `polish`): every student polished by Levenberg-Marquardt
# from Adam's final weights, and for the deep students a search over fresh starts that asks
# whether the teacher's architecture can fit the teacher at all (depthwidth.training.polish).


rule polish:
    """Polish a regime's student, every seed, from Adam's final weights (Levenberg-Marquardt, float64)."""
    input:
        weights=every_seed("student.pt", "{student}"),
        sidecars=every_seed("student.pt.json", "{student}"),
        metrics=every_seed("metrics.json", "{student}"),
        data=every_seed("data.npz"),
        teacher=every_seed("teacher.pt"),
        code=code("polish.py"),
    output:
        polished=every_seed("polished.pt", "{student}"),
        sidecar=every_seed("polished.pt.json", "{student}"),
        record=every_seed("polish.json", "{student}"),
    log:
        paths.log("{regime}", "{student}.polish"),
    wildcard_constraints:
        regime=one_of(r for r in REGIMES if r not in COPIED),
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=REQUESTS.polish_mem_mb,
        runtime=REQUESTS.polish_runtime,
    params:
        polish=config["polish"],
        nonlinearity=config["nonlinearity"],
    message:
        "polish the {wildcards.student} students of {wildcards.regime} by Levenberg-Marquardt (asks {resources.mem_mb} MB, {resources.runtime} min): {log}"
    script:
        "../../scripts/polish.py"


rule search:
    """Whether the teacher's architecture fits each teacher of a regime: fresh starts, each an Adam
    warm-up and Levenberg-Marquardt, until one reaches polish.search_tolerance."""
    input:
        data=every_seed("data.npz"),
        teacher=every_seed("teacher.pt"),
        polish=every_seed("polish.json", "deep"),
        code=code("search.py"),
    output:
        record=every_seed("search.json", "deep"),
    log:
        paths.log("{regime}", "deep.search"),
    wildcard_constraints:
        regime=one_of(r for r in REGIMES if r not in COPIED),
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=REQUESTS.polish_mem_mb,
        runtime=REQUESTS.search_runtime,
    params:
        polish=config["polish"],
        nonlinearity=config["nonlinearity"],
        sizes=lambda wildcards: plan.teacher_sizes(plan.regime_teacher(config, wildcards.regime)),
        lr=config["deep"]["lr"],
        journal=lambda wildcards: paths.search_journal(wildcards.regime),
    message:
        "search fresh starts of the deep students of {wildcards.regime} (asks {resources.mem_mb} MB, {resources.runtime} min): {log}"
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
            records=every_seed("polish.json", "{student}"),
            weights=every_seed("polished.pt", "{student}"),
            sidecars=every_seed("polished.pt.json", "{student}"),
        log:
            paths.log("{regime}", "{student}.polish"),
        wildcard_constraints:
            regime=one_of(COPIED),
        localrule: True
        conda:
            "../../envs/depthwidth.yaml"
        threads: 1
        message:
            "copy the polished {wildcards.student} students of {wildcards.regime}: {log}"
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
            records=every_seed("search.json", "deep"),
        log:
            paths.log("{regime}", "deep.search"),
        wildcard_constraints:
            regime=one_of(COPIED),
        localrule: True
        conda:
            "../../envs/depthwidth.yaml"
        threads: 1
        message:
            "copy the deep search of {wildcards.regime}: {log}"
        script:
            "../../scripts/copy_converged.py"
