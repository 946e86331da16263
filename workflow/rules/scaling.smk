rule scaling_fit:
    """Least squares of ln(test error) on ln(width) over a regime's shallow students and seeds."""
    input:
        metrics=lambda wildcards: shallow_metrics(wildcards.regime),
        code=code("scaling_fit.py"),
    output:
        fit="results/{regime}/scaling_fit.json",
    params:
        target_error=config["scaling"]["target_error"],
    log:
        "results/logs/{regime}/scaling_fit.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/depthwidth.yaml"
    script:
        "../../scripts/scaling_fit.py"
