from depthwidth.presentation import captions, catalog

# One rule per figure of depthwidth/presentation/catalog.py, made from its declaration: its
# inputs, its files results/figures/<name>.{png,pdf[,tsv]}, its place and labels in the report
# (PNG only; caption workflow/report/<name>.rst quoting the numbers `params[0]` reads), its
# script scripts/<rule>.py and that script's parameters. Figure (d) has a rule of its own below.


for fig in catalog.FIGURES:

    rule:
        name:
            fig.rule
        input:
            **fig.inputs(TARGETS),
            defined=figure_defined(fig.name),
            code=code(f"{fig.rule}.py"),
        output:
            **figure_outputs(fig),
        log:
            paths.log("figures", fig.name),
        localrule: True
        conda:
            "../../envs/depthwidth.yaml"
        threads: 1
        resources:
            mem_mb=1000,
            runtime=5,
        params:
            caption_numbers(fig),
            **fig.params(TARGETS),
            xkcd=config["figures"]["xkcd"],
            # the script's name as a parameter: Snakemake reads the `script:` path when the job
            # runs, after this loop has moved on, so it must not name `fig`
            script=f"{fig.rule}.py",
        message:
            f"figure {fig.name}: {{log}}"
        script:
            "../../scripts/{params.script}"


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
            labels=catalog.labels(
                TARGETS,
                "(d) circle through deep nets, selected layers",
                EXPRESSIVITY["regimes"],
                str(EXPRESSIVITY["width"]),
            ),
        ),
        pdf=paths.figure("expressivity", "pdf"),
        animation=paths.figure("expressivity", "gif"),
        # the report plays a GIF only inside an HTML page (it shows PNG, SVG, PDF and HTML in place)
        animation_page=report(
            paths.figure("expressivity_animation", "html"),
            caption=f"{CAPTIONS}/expressivity_animation.rst",
            category="Expressivity",
            labels=catalog.labels(
                TARGETS, "(d) circle through deep nets, animated", EXPRESSIVITY["regimes"], str(EXPRESSIVITY["width"])
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
    message:
        "figure expressivity: {log}"
    script:
        "../../scripts/figure_expressivity.py"


rule readme_figures:
    """Copies of the figures, and the rule graph, for the README: `snakemake readme_figures` after a full run."""
    input:
        figures=[paths.figure(n, "png") for n in catalog.tutorial_figures(TARGETS)],
        animation=paths.figure("expressivity", "gif"),
    output:
        figures=expand("docs/figures/{name}.png", name=catalog.tutorial_figures(TARGETS)),
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
    message:
        "the README's figures: {log}"
    script:
        "../../scripts/readme_figures.py"
