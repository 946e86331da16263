rule summary:
    """Every student's errors and every scaling fit in one table."""
    input:
        metrics=all_metrics(),
        fits=expand("results/{regime}/scaling_fit.json", regime=fitted_regimes()),
        code=package("results", "students"),
    output:
        table="results/summary.tsv",
    params:
        sigmas={r: spec["sigma"] for r, spec in REGIMES.items()},
    log:
        "results/logs/summary.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/depthwidth.yaml"
    script:
        "../../scripts/summary.py"
