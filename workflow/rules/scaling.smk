rule scaling_fit:
    """Least squares of ln(test error) on ln(width) over a regime's shallow students and seeds."""
    input:
        metrics=lambda wildcards: shallow_metrics(wildcards.regime),
        polish=lambda wildcards: (
            [m.replace("metrics.json", "polish.json") for m in shallow_metrics(wildcards.regime)]
            if POLISH["enabled"]
            else []
        ),
        code=code("scaling_fit.py"),
    output:
        fit="results/{regime}/scaling_fit.json",
    log:
        "results/logs/{regime}/scaling_fit.log",
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        target_error=config["scaling"]["target_error"],
    script:
        "../../scripts/scaling_fit.py"
