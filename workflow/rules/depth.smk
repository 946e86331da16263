# The teacher-depth study (a `sweep` with two or more teacher_depths, configs/depth.yaml): shallow
# error, the width needed and the deep student's error against the teacher's depth, per sigma_w.
# Each figure's caption (workflow/report/<figure>.rst) quotes the first (unnamed) param.
DEPTH_SHALLOW = [paths.shallow_student(w) for w in config["sweep"]["shallow_widths"]]
DEPTH_LABEL = "depths " + ", ".join(map(str, SWEEP_DEPTHS))


rule figure_depth_error:
    """Shallow students' test error against teacher depth, one panel per teacher sigma_w."""
    input:
        defined=figure_defined("depth_error"),
        metrics=TARGETS.student_files("metrics.json", SWEEP_REGIMES, shallow=True),
        linear=TARGETS.linear_files(SWEEP_REGIMES),
        code=code("figure_depth_error.py"),
    output:
        png=report(
            paths.figure("depth_error", "png"),
            caption=f"{CAPTIONS}/depth_error.rst",
            category="Teacher depth",
            labels=figure_labels("teacher depth: shallow error", [DEPTH_LABEL], SWEEP_WIDTHS),
        ),
        pdf=paths.figure("depth_error", "pdf"),
        tsv=paths.figure("depth_error", "tsv"),
    log:
        paths.log("figures", "depth_error"),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    params:
        # the caption's numbers (workflow/report/*.rst read them as params[0])
        lambda wildcards, output: captions.depth_error(output.tsv, DEPTH_SHALLOW),
        shallow=DEPTH_SHALLOW,
        xkcd=config["figures"]["xkcd"],
    script:
        "../../scripts/figure_depth_error.py"


rule figure_depth_scaling:
    """The width the scaling fit needs against teacher depth, beside the theory's curve-length growth."""
    input:
        defined=figure_defined("depth_scaling"),
        fits=TARGETS.scaling_fits(SWEEP_REGIMES),
        code=code("figure_depth_scaling.py"),
    output:
        png=report(
            paths.figure("depth_scaling", "png"),
            caption=f"{CAPTIONS}/depth_scaling.rst",
            category="Teacher depth",
            labels=figure_labels("teacher depth: width needed", [DEPTH_LABEL], SWEEP_WIDTHS),
        ),
        pdf=paths.figure("depth_scaling", "pdf"),
        tsv=paths.figure("depth_scaling", "tsv"),
    log:
        paths.log("figures", "depth_scaling"),
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
        metrics=TARGETS.deep_files("metrics.json", SWEEP_REGIMES, restarts=True),
        code=code("figure_depth_deep.py"),
    output:
        png=report(
            paths.figure("depth_deep", "png"),
            caption=f"{CAPTIONS}/depth_deep.rst",
            category="Teacher depth",
            labels=figure_labels("teacher depth: deep student", [DEPTH_LABEL], "teacher's"),
        ),
        pdf=paths.figure("depth_deep", "pdf"),
        tsv=paths.figure("depth_deep", "tsv"),
    log:
        paths.log("figures", "depth_deep"),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    params:
        lambda wildcards, output: captions.depth_deep(output.tsv),
        target_error=config["scaling"]["target_error"],
        xkcd=config["figures"]["xkcd"],
    script:
        "../../scripts/figure_depth_deep.py"
