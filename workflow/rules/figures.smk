from depthwidth.presentation import captions

# Each PNG goes into `snakemake --report`, its caption (workflow/report/<figure>.rst) quoting the
# numbers `params[0]` reads from the figure's inputs (see depthwidth/presentation/captions.py). PDFs are
# for print and stay out of the report.
CAPTIONS = "../report"


rule figure_deep_loss:
    """(a) The deep students' training error per step, log scale."""
    input:
        defined=figure_defined("deep_loss"),
        loss=TARGETS.deep_files("loss.npz"),
        metrics=TARGETS.deep_files("metrics.json"),
        code=code("figure_deep_loss.py"),
    output:
        png=report(
            paths.figure("deep_loss", "png"),
            caption=f"{CAPTIONS}/deep_loss.rst",
            category="Tutorial",
            labels=figure_labels(
                "(a) deep student's training", TARGETS.deep_regimes(NAMED_REGIMES), f"{TEACHER['width']} (deep)"
            ),
        ),
        pdf=paths.figure("deep_loss", "pdf"),
    log:
        paths.log("figures", "deep_loss"),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        # the caption's numbers (workflow/report/*.rst read them as params[0]): positional, so that
        # the report's "Job parameters" lists only the parameters below
        lambda wildcards, input: captions.deep_loss(input.metrics),
        steps_per_phase=config["deep"]["steps_per_phase"],
        lr_decay=config["deep"]["lr_decay"],
        xkcd=config["figures"]["xkcd"],
    script:
        "../../scripts/figure_deep_loss.py"


rule figure_error_vs_width:
    """(b) Shallow train and test error against width, with the scaling fit, its extrapolation and the deep student."""
    input:
        defined=figure_defined("error_vs_width"),
        metrics=TARGETS.student_files("metrics.json", TARGETS.fitted_regimes(NAMED_REGIMES), shallow=True),
        fits=TARGETS.scaling_fits(NAMED_REGIMES),
        deep=TARGETS.deep_files("metrics.json", TARGETS.fitted_regimes(NAMED_REGIMES)),
        code=code("figure_error_vs_width.py"),
    output:
        png=report(
            paths.figure("error_vs_width", "png"),
            caption=f"{CAPTIONS}/error_vs_width.rst",
            category="Tutorial",
            labels=figure_labels(
                "(b) error against width",
                TARGETS.fitted_regimes(NAMED_REGIMES),
                shallow_widths_text(TARGETS.fitted_regimes(NAMED_REGIMES)),
            ),
        ),
        pdf=paths.figure("error_vs_width", "pdf"),
    log:
        paths.log("figures", "error_vs_width"),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        # the caption's numbers (workflow/report/*.rst read them as params[0]): positional, so that
        # the report's "Job parameters" lists only the parameters below
        lambda wildcards, input: captions.error_vs_width(input.fits, input.deep),
        xkcd=config["figures"]["xkcd"],
        target_error=config["scaling"]["target_error"],
    script:
        "../../scripts/figure_error_vs_width.py"


rule figure_predictions:
    """(c) Each regime's widest shallow student against the teacher on the test set."""
    input:
        weights=TARGETS.widest_files("student.pt"),
        metrics=TARGETS.widest_files("metrics.json"),
        data=[paths.teacher_file("data.npz", r, SEEDS[0]) for r in NAMED_REGIMES],
        code=code("figure_predictions.py"),
    output:
        png=report(
            paths.figure("predictions", "png"),
            caption=f"{CAPTIONS}/predictions.rst",
            category="Tutorial",
            labels=figure_labels(
                "(c) predictions",
                list(NAMED_REGIMES),
                "; ".join(str(max(s["shallow_widths"])) for s in NAMED_REGIMES.values()),
            ),
        ),
        pdf=paths.figure("predictions", "pdf"),
    log:
        paths.log("figures", "predictions"),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        # the caption's numbers (workflow/report/*.rst read them as params[0]): positional, so that
        # the report's "Job parameters" lists only the parameters below
        lambda wildcards, input: captions.predictions(input.metrics),
        nonlinearity=config["nonlinearity"],
        xkcd=config["figures"]["xkcd"],
    script:
        "../../scripts/figure_predictions.py"


rule figure_expressivity:
    """(d) The circle through the chaotic and quasi-linear nets: a grid of layers and an animation."""
    input:
        trajectories=paths.expressivity("trajectories.npz"),
        lengths=paths.expressivity("lengths.tsv"),
        code=code("figure_expressivity.py"),
    output:
        png=report(
            paths.figure("expressivity", "png"),
            caption=f"{CAPTIONS}/expressivity.rst",
            category="Expressivity",
            labels=figure_labels(
                "(d) circle through deep nets, selected layers", EXPRESSIVITY["regimes"], str(EXPRESSIVITY["width"])
            ),
        ),
        pdf=paths.figure("expressivity", "pdf"),
        animation=paths.figure("expressivity", "gif"),
        # the report plays a GIF only inside an HTML page (it shows PNG, SVG, PDF and HTML in place)
        animation_page=report(
            paths.figure("expressivity_animation", "html"),
            caption=f"{CAPTIONS}/expressivity_animation.rst",
            category="Expressivity",
            labels=figure_labels(
                "(d) circle through deep nets, animated", EXPRESSIVITY["regimes"], str(EXPRESSIVITY["width"])
            ),
        ),
    log:
        paths.log("figures", "expressivity"),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        # the caption's numbers (workflow/report/*.rst read them as params[0]): positional, so that
        # the report's "Job parameters" lists only the parameters below
        lambda wildcards, input: captions.expressivity(input.lengths),
        xkcd=config["figures"]["xkcd"],
    script:
        "../../scripts/figure_expressivity.py"


rule readme_figures:
    """Copies of the figures, and the rule graph, for the README: `snakemake readme_figures` after a full run."""
    input:
        figures=[paths.figure(n, "png") for n in TARGETS.tutorial_figures()],
        animation=paths.figure("expressivity", "gif"),
    output:
        figures=expand("docs/figures/{name}.png", name=TARGETS.tutorial_figures()),
        animation="docs/figures/expressivity.gif",
        rulegraph="docs/rulegraph.svg",
    log:
        paths.log("figures", "readme_figures"),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    params:
        # the figures' own width (up to ~1400 px at 200 dpi): scaled to 800 px, their 7 pt text was ~7 px high
        max_width=1600,
        snakefile=workflow.main_snakefile,
        configfiles=[str(f) for f in workflow.overwrite_configfiles],
    script:
        "../../scripts/readme_figures.py"
