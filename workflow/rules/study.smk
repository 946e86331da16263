# The order-to-chaos study's tables that are not figures (its figures: workflow/rules/figures.smk):
# the circle's length against depth in random nets, and (with a `sweep` section, configs/study.yaml)
# the linear reference of each teacher.


rule trajectory_lengths:
    """The circle's length in every hidden layer of several random nets per sigma (expressivity shape)."""
    input:
        code=code("trajectory_lengths.py"),
    output:
        lengths=paths.expressivity("length_vs_depth.tsv"),
    log:
        paths.log("expressivity", "length_vs_depth"),
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        sigmas=EXPRESSIVITY["length_sigmas"],
        width=EXPRESSIVITY["width"],
        depth=EXPRESSIVITY["depth"],
        points=EXPRESSIVITY["length_points"],
        nets=EXPRESSIVITY["length_nets"],
        seed=EXPRESSIVITY["seed"],
        nonlinearity=config["nonlinearity"],
    message:
        "the circle's length through random nets (asks {resources.mem_mb} MB, {resources.runtime} min): {log}"
    script:
        "../../scripts/trajectory_lengths.py"


rule linear_fit:
    """The best bias-free linear map of each of a regime's teachers' training data, evaluated on its test data."""
    input:
        data=every_seed("data.npz"),
        code=code("linear_fit.py"),
    output:
        metrics=every_seed("metrics.json", "linear"),
    log:
        paths.log("{regime}", "linear"),
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        seeds=SEEDS,
        sigma=lambda wildcards: REGIMES[wildcards.regime]["sigma"],
        teacher_depth=lambda wildcards: REGIMES[wildcards.regime]["teacher_depth"],
    message:
        "linear reference of {wildcards.regime} (asks {resources.mem_mb} MB, {resources.runtime} min): {log}"
    script:
        "../../scripts/linear_fit.py"
