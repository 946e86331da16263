# The teacher-depth study (a `sweep` with two or more teacher_depths, configs/depth.yaml): shallow
# error, the width needed and the deep student's error against the teacher's depth, per sigma_w.
# Each figure's caption (workflow/report/<figure>.rst) quotes the first (unnamed) param.
DEPTH_SHALLOW = [f"shallow_w{w}" for w in config["sweep"]["shallow_widths"]]
DEPTH_LABEL = "depths " + ", ".join(map(str, SWEEP_DEPTHS))


rule figure_depth_error:
    """Shallow students' test error against teacher depth, one panel per teacher sigma_w."""
    input:
        defined=figure_defined("depth_error"),
        metrics=depth_metrics(shallow=True),
        linear=sweep_linear_metrics(SWEEP_REGIMES),
        code=code("figure_depth_error.py"),
    output:
        png=report(
            "results/figures/depth_error.png",
            caption=f"{CAPTIONS}/depth_error.rst",
            category="Teacher depth",
            labels=figure_labels("teacher depth: shallow error", [DEPTH_LABEL], SWEEP_WIDTHS),
        ),
        pdf="results/figures/depth_error.pdf",
        tsv="results/figures/depth_error.tsv",
    log:
        "results/logs/figures/depth_error.log",
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    params:
        # the caption's numbers (workflow/report/*.rst read them as params[0])
        lambda wildcards, output: captions.depth_error(output.tsv, DEPTH_SHALLOW),
        sigmas={r: spec["sigma"] for r, spec in SWEEP_REGIMES.items()},
        shallow=DEPTH_SHALLOW,
        xkcd=config["figures"]["xkcd"],
    script:
        "../../scripts/figure_depth_error.py"


rule figure_depth_scaling:
    """The width the scaling fit needs against teacher depth, beside the theory's curve-length growth."""
    input:
        defined=figure_defined("depth_scaling"),
        fits=expand("results/{regime}/scaling_fit.json", regime=fitted_regimes(SWEEP_REGIMES)),
        code=code("figure_depth_scaling.py"),
    output:
        png=report(
            "results/figures/depth_scaling.png",
            caption=f"{CAPTIONS}/depth_scaling.rst",
            category="Teacher depth",
            labels=figure_labels("teacher depth: width needed", [DEPTH_LABEL], SWEEP_WIDTHS),
        ),
        pdf="results/figures/depth_scaling.pdf",
        tsv="results/figures/depth_scaling.tsv",
    log:
        "results/logs/figures/depth_scaling.log",
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    params:
        lambda wildcards, output: captions.depth_scaling(output.tsv),
        regimes={r: {k: spec[k] for k in ("sigma", "teacher_depth")} for r, spec in SWEEP_REGIMES.items()},
        xkcd=config["figures"]["xkcd"],
    script:
        "../../scripts/figure_depth_scaling.py"


rule figure_depth_deep:
    """The deep student's error against teacher depth: first initialisation and best of the restarts."""
    input:
        defined=figure_defined("depth_deep"),
        metrics=depth_metrics(deep=True),
        code=code("figure_depth_deep.py"),
    output:
        png=report(
            "results/figures/depth_deep.png",
            caption=f"{CAPTIONS}/depth_deep.rst",
            category="Teacher depth",
            labels=figure_labels("teacher depth: deep student", [DEPTH_LABEL], "teacher's"),
        ),
        pdf="results/figures/depth_deep.pdf",
        tsv="results/figures/depth_deep.tsv",
    log:
        "results/logs/figures/depth_deep.log",
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    params:
        lambda wildcards, output: captions.depth_deep(output.tsv),
        sigmas={r: spec["sigma"] for r, spec in SWEEP_REGIMES.items()},
        target_error=config["scaling"]["target_error"],
        xkcd=config["figures"]["xkcd"],
    script:
        "../../scripts/figure_depth_deep.py"
