from depthwidth import captions


rule summary:
    """Every student's errors and every scaling fit in one table."""
    input:
        metrics=all_metrics(),
        # read for their checksums only: a damaged student.pt fails the summary, not silently nothing
        weights=[m.replace("metrics.json", "student.pt") for m in all_metrics()],
        sidecars=[m.replace("metrics.json", "student.pt.json") for m in all_metrics()],
        fits=expand("results/{regime}/scaling_fit.json", regime=fitted_regimes()),
        code=package("results"),
    output:
        table=report(
            "results/summary.tsv",
            caption="../report/summary.rst",
            category="Summary",
            labels={"figure": "summary table", "regime": ", ".join(REGIMES)},
        ),
    params:
        sigmas={r: spec["sigma"] for r, spec in REGIMES.items()},
        facts=lambda wildcards, output: captions.summary(output.table),
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
