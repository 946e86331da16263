# The order-to-chaos study: mean-field theory, circle length against depth, and (with a `sweep`
# section, configs/study.yaml) students of teachers over a range of sigma, with a linear reference.
STUDY_CODE = package("style", "figures", "study", "theory")


rule mean_field:
    """The mean-field theory of bias-free tanh nets tabulated over sigma_w: q*, chi_1, c*, xi_c."""
    input:
        code=STUDY_CODE,
    output:
        study_figure("mean_field"),
    params:
        grid=config["theory"],
        xkcd=config["figures"]["xkcd"],
    log:
        "results/logs/figures/mean_field.log",
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    script:
        "../../scripts/mean_field.py"


rule trajectory_lengths:
    """The circle's length in every hidden layer of several random nets per sigma (expressivity shape)."""
    input:
        code=package("nets", "expressivity", "study"),
    output:
        lengths="results/expressivity/length_vs_depth.tsv",
    params:
        sigmas=EXPRESSIVITY["length_sigmas"],
        width=EXPRESSIVITY["width"],
        depth=EXPRESSIVITY["depth"],
        points=EXPRESSIVITY["length_points"],
        nets=EXPRESSIVITY["length_nets"],
        seed=EXPRESSIVITY["seed"],
        nonlinearity=config["nonlinearity"],
    log:
        "results/logs/expressivity/length_vs_depth.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/depthwidth.yaml"
    script:
        "../../scripts/trajectory_lengths.py"


rule figure_trajectory_length:
    """Circle length against depth, measured and from the theory (sqrt(chi_1) per layer)."""
    input:
        lengths="results/expressivity/length_vs_depth.tsv",
        code=STUDY_CODE,
    output:
        study_figure("trajectory_length"),
    params:
        width=EXPRESSIVITY["width"],
        nonlinearity=config["nonlinearity"],
        xkcd=config["figures"]["xkcd"],
    log:
        "results/logs/figures/trajectory_length.log",
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    script:
        "../../scripts/figure_trajectory_length.py"


rule linear_fit:
    """The best bias-free linear map of a teacher's training data, evaluated on its test data."""
    input:
        data="results/{regime}/seed{seed}/data.npz",
        code=package("study"),
    output:
        metrics="results/{regime}/seed{seed}/linear/metrics.json",
    log:
        "results/logs/{regime}/seed{seed}/linear.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/depthwidth.yaml"
    script:
        "../../scripts/linear_fit.py"


SWEEP_SIGMAS = {r: spec["sigma"] for r, spec in SWEEP_REGIMES.items()}


rule figure_sweep_error:
    """Relative test error against teacher sigma per student, with the linear reference and chi_1."""
    input:
        metrics=sweep_student_metrics(),
        linear=sweep_linear_metrics(),
        code=STUDY_CODE,
    output:
        study_figure("sweep_error"),
    params:
        sigmas=SWEEP_SIGMAS,
        shallow=[f"shallow_w{w}" for w in config["sweep"]["shallow_widths"]],
        xkcd=config["figures"]["xkcd"],
    log:
        "results/logs/figures/sweep_error.log",
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    script:
        "../../scripts/figure_sweep_error.py"


rule figure_equal_budget:
    """The deep student against a shallow one of equal parameter count, and depth at a fixed budget."""
    input:
        metrics=sweep_student_metrics(),
        linear=sweep_linear_metrics(),
        code=STUDY_CODE,
    output:
        study_figure("equal_budget"),
    params:
        sigmas=SWEEP_SIGMAS,
        budget_students=BUDGET_STUDENTS,
        xkcd=config["figures"]["xkcd"],
    log:
        "results/logs/figures/equal_budget.log",
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    script:
        "../../scripts/figure_equal_budget.py"


rule figure_sweep_scaling:
    """Each sweep regime's scaling fit (slope, predicted width, bootstrap intervals) against sigma."""
    input:
        fits=expand("results/{regime}/scaling_fit.json", regime=fitted_regimes(SWEEP_REGIMES)),
        code=STUDY_CODE,
    output:
        study_figure("sweep_scaling"),
    params:
        sigmas=SWEEP_SIGMAS,
        xkcd=config["figures"]["xkcd"],
    log:
        "results/logs/figures/sweep_scaling.log",
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    script:
        "../../scripts/figure_sweep_scaling.py"
