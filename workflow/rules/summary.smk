from depthwidth import captions


rule summary:
    """Every student's errors and every scaling fit in one table (TSV, and HTML for the report)."""
    input:
        metrics=all_metrics(),
        fits=expand("results/{regime}/scaling_fit.json", regime=fitted_regimes()),
        code=package("results"),
    output:
        table="results/summary.tsv",
        # The report shows HTML, PNG, SVG and PDF results in place and offers anything else, a TSV
        # too, only as a download: so the table goes into it as HTML, the TSV a link in it.
        html=report(
            "results/summary.html",
            caption="../report/summary.rst",
            category="Summary",
            labels={"figure": "summary table", "regime": ", ".join(REGIMES)},
        ),
    params:
        # the caption's numbers (workflow/report/*.rst read them as params[0]): positional, so that
        # the report's "Job parameters" lists only the parameters below
        lambda wildcards, output: captions.summary(output.table),
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
