rule scaling_fit:
    """Least squares of ln(test error) on ln(width) over a regime's shallow students and seeds."""
    input:
        metrics=lambda wildcards: TARGETS.student_files("metrics.json", [wildcards.regime], shallow=True),
        polish=lambda wildcards: (
            TARGETS.student_files("polish.json", [wildcards.regime], shallow=True)
            if config["polish"]["enabled"]
            else []
        ),
        code=code("scaling_fit.py"),
    output:
        fit=paths.scaling_fit(),
    log:
        paths.log("{regime}", "scaling_fit"),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        target_error=config["scaling"]["target_error"],
    message:
        "scaling fit of {wildcards.regime}: {log}"
    script:
        "../../scripts/scaling_fit.py"
