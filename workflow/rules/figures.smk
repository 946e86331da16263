FIGURE_CODE = package("style", "figures", "results", "students")


rule figure_deep_loss:
    """(a) The deep students' training error per step, log scale."""
    input:
        loss=deep_runs("loss.npz"),
        metrics=deep_runs("metrics.json"),
        code=FIGURE_CODE,
    output:
        figure("deep_loss"),
    params:
        steps_per_phase=config["deep"]["steps_per_phase"],
        xkcd=config["figures"]["xkcd"],
    log:
        "results/logs/figures/deep_loss.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/depthwidth.yaml"
    script:
        "../../scripts/figure_deep_loss.py"


rule figure_error_vs_width:
    """(b) Shallow train and test error against width, with the scaling fit and its extrapolation."""
    input:
        metrics=shallow_metrics(*fitted_regimes(NAMED_REGIMES)),
        fits=expand("results/{regime}/scaling_fit.json", regime=fitted_regimes(NAMED_REGIMES)),
        code=FIGURE_CODE,
    output:
        figure("error_vs_width"),
    params:
        xkcd=config["figures"]["xkcd"],
    log:
        "results/logs/figures/error_vs_width.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/depthwidth.yaml"
    script:
        "../../scripts/figure_error_vs_width.py"


rule figure_predictions:
    """(c) Each regime's widest shallow student against the teacher on the test set."""
    input:
        weights=widest_students("student.pt"),
        metrics=widest_students("metrics.json"),
        data=[f"{regime_dir(r, SEEDS[0])}/data.npz" for r in NAMED_REGIMES],
        code=FIGURE_CODE,
    output:
        figure("predictions"),
    params:
        nonlinearity=config["nonlinearity"],
        xkcd=config["figures"]["xkcd"],
    log:
        "results/logs/figures/predictions.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/depthwidth.yaml"
    script:
        "../../scripts/figure_predictions.py"


rule figure_expressivity:
    """(d) The circle through the chaotic and quasi-linear nets: a grid of layers and an animation."""
    input:
        trajectories="results/expressivity/trajectories.npz",
        code=FIGURE_CODE,
    output:
        grid=figure("expressivity"),
        animation="results/figures/expressivity.gif",
    params:
        xkcd=config["figures"]["xkcd"],
    log:
        "results/logs/figures/expressivity.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/depthwidth.yaml"
    script:
        "../../scripts/figure_expressivity.py"
