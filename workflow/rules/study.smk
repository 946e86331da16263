# The order-to-chaos study: mean-field theory, circle length against depth, and (with a `sweep`
# section, configs/study.yaml) students of teachers over a range of sigma, with a linear reference.
# Each figure's PNG goes into `snakemake --report` under "Transition", its caption
# (workflow/report/<figure>.rst) quoting the first (unnamed) param, which depthwidth/presentation/captions.py reads from the
# TSV the rule writes beside the figure.
SWEEP_WIDTHS = ", ".join(map(str, config["sweep"]["shallow_widths"]))
SWEEP_SHALLOW = [paths.shallow_student(w) for w in config["sweep"]["shallow_widths"]]


rule mean_field:
    """The mean-field theory of bias-free tanh nets tabulated over sigma_w: q*, chi_1, c*, xi_c."""
    input:
        code=code("mean_field.py"),
    output:
        png=report(
            paths.figure("mean_field", "png"),
            caption=f"{CAPTIONS}/mean_field.rst",
            category="Transition",
            labels=figure_labels(
                "mean-field theory",
                [f"σ_w {config['theory']['sigma_min']:g}–{config['theory']['sigma_max']:g}"],
            ),
        ),
        pdf=paths.figure("mean_field", "pdf"),
        tsv=paths.figure("mean_field", "tsv"),
    log:
        paths.log("figures", "mean_field"),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    params:
        # the caption's numbers (workflow/report/*.rst read them as params[0]): positional, so that
        # the report's "Job parameters" lists only the parameters below
        lambda wildcards, output: captions.mean_field(
            output.tsv, {name: spec["sigma"] for name, spec in NAMED_REGIMES.items()}
        ),
        # only its own keys: the phase diagram's settings share the section
        grid={k: config["theory"][k] for k in ("sigma_min", "sigma_max", "points")},
        xkcd=config["figures"]["xkcd"],
    script:
        "../../scripts/mean_field.py"


rule trajectory_lengths:
    """The circle's length in every hidden layer of several random nets per sigma (expressivity shape)."""
    input:
        code=code("trajectory_lengths.py"),
    output:
        lengths=paths.expressivity("length_vs_depth.tsv"),
    log:
        paths.log("expressivity", "length_vs_depth"),
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        sigmas=EXPRESSIVITY["length_sigmas"],
        width=EXPRESSIVITY["width"],
        depth=EXPRESSIVITY["depth"],
        points=EXPRESSIVITY["length_points"],
        nets=EXPRESSIVITY["length_nets"],
        seed=EXPRESSIVITY["seed"],
        nonlinearity=config["nonlinearity"],
    script:
        "../../scripts/trajectory_lengths.py"


rule figure_trajectory_length:
    """Circle length against depth, measured and from the theory (sqrt(chi_1) per layer)."""
    input:
        defined=figure_defined("trajectory_length"),
        lengths=paths.expressivity("length_vs_depth.tsv"),
        code=code("figure_trajectory_length.py"),
    output:
        png=report(
            paths.figure("trajectory_length", "png"),
            caption=f"{CAPTIONS}/trajectory_length.rst",
            category="Transition",
            labels=figure_labels(
                "circle length against depth",
                ["σ_w = " + ", ".join(f"{s:g}" for s in EXPRESSIVITY["length_sigmas"])],
                str(EXPRESSIVITY["width"]),
            ),
        ),
        pdf=paths.figure("trajectory_length", "pdf"),
        tsv=paths.figure("trajectory_length", "tsv"),
    log:
        paths.log("figures", "trajectory_length"),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    params:
        # the caption's numbers (workflow/report/*.rst read them as params[0]): positional, so that
        # the report's "Job parameters" lists only the parameters below
        lambda wildcards, output: captions.trajectory_length(output.tsv),
        width=EXPRESSIVITY["width"],
        nonlinearity=config["nonlinearity"],
        xkcd=config["figures"]["xkcd"],
    script:
        "../../scripts/figure_trajectory_length.py"


rule linear_fit:
    """The best bias-free linear map of each of a regime's teachers' training data, evaluated on its test data."""
    input:
        data=every_seed("data.npz"),
        code=code("linear_fit.py"),
    output:
        metrics=every_seed("metrics.json", "linear"),
    log:
        paths.log("{regime}", "linear"),
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        seeds=SEEDS,
        sigma=lambda wildcards: REGIMES[wildcards.regime]["sigma"],
        teacher_depth=lambda wildcards: REGIMES[wildcards.regime]["teacher_depth"],
    script:
        "../../scripts/linear_fit.py"


SWEEP_SIGMAS = {r: spec["sigma"] for r, spec in SIGMA_REGIMES.items()}


rule figure_sweep_error:
    """Relative test error against teacher sigma per student, with the linear reference and chi_1."""
    input:
        defined=figure_defined("sweep_error"),
        metrics=TARGETS.student_files("metrics.json", SIGMA_REGIMES),
        linear=TARGETS.linear_files(),
        code=code("figure_sweep_error.py"),
    output:
        png=report(
            paths.figure("sweep_error", "png"),
            caption=f"{CAPTIONS}/sweep_error.rst",
            category="Transition",
            labels=figure_labels("error against sigma", list(SIGMA_REGIMES), SWEEP_WIDTHS),
        ),
        pdf=paths.figure("sweep_error", "pdf"),
        tsv=paths.figure("sweep_error", "tsv"),
    log:
        paths.log("figures", "sweep_error"),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    params:
        # the caption's numbers (workflow/report/*.rst read them as params[0]): positional, so that
        # the report's "Job parameters" lists only the parameters below
        lambda wildcards, output: captions.sweep_error(output.tsv, [*SWEEP_SHALLOW, "deep", "linear"]),
        sigmas=SWEEP_SIGMAS,
        shallow=SWEEP_SHALLOW,
        xkcd=config["figures"]["xkcd"],
    script:
        "../../scripts/figure_sweep_error.py"


rule figure_equal_budget:
    """The deep student against a shallow one of equal parameter count, and depth at a fixed budget."""
    input:
        defined=figure_defined("equal_budget"),
        metrics=TARGETS.student_files("metrics.json", SIGMA_REGIMES)
        + TARGETS.restart_files("metrics.json", SIGMA_REGIMES),
        linear=TARGETS.linear_files(),
        code=code("figure_equal_budget.py"),
    output:
        png=report(
            paths.figure("equal_budget", "png"),
            caption=f"{CAPTIONS}/equal_budget.rst",
            category="Transition",
            labels=figure_labels("depth at an equal budget", list(SIGMA_REGIMES), budget_widths_text()),
        ),
        pdf=paths.figure("equal_budget", "pdf"),
        tsv=paths.figure("equal_budget", "tsv"),
    log:
        paths.log("figures", "equal_budget"),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    params:
        # the caption's numbers (workflow/report/*.rst read them as params[0]): positional, so that
        # the report's "Job parameters" lists only the parameters below
        lambda wildcards, output: captions.equal_budget(output.tsv, BUDGET_STUDENTS),
        sigmas=SWEEP_SIGMAS,
        budget_students=BUDGET_STUDENTS,
        xkcd=config["figures"]["xkcd"],
    script:
        "../../scripts/figure_equal_budget.py"


rule figure_sweep_scaling:
    """Each sweep regime's scaling fit (slope, predicted width, bootstrap intervals) against sigma."""
    input:
        defined=figure_defined("sweep_scaling"),
        fits=TARGETS.scaling_fits(SIGMA_REGIMES),
        code=code("figure_sweep_scaling.py"),
    output:
        png=report(
            paths.figure("sweep_scaling", "png"),
            caption=f"{CAPTIONS}/sweep_scaling.rst",
            category="Transition",
            labels=figure_labels("scaling fits against sigma", TARGETS.fitted_regimes(SIGMA_REGIMES), SWEEP_WIDTHS),
        ),
        pdf=paths.figure("sweep_scaling", "pdf"),
        tsv=paths.figure("sweep_scaling", "tsv"),
    log:
        paths.log("figures", "sweep_scaling"),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    params:
        # the caption's numbers (workflow/report/*.rst read them as params[0]): positional, so that
        # the report's "Job parameters" lists only the parameters below
        lambda wildcards, output: captions.sweep_scaling(output.tsv),
        sigmas=SWEEP_SIGMAS,
        xkcd=config["figures"]["xkcd"],
    script:
        "../../scripts/figure_sweep_scaling.py"


rule phase_diagram:
    """The (sigma_w, sigma_b) plane: xi_c and the line chi_1 = 1 from the theory, chi_1 measured in wide random nets."""
    input:
        code=code("figure_phase_diagram.py"),
    output:
        png=report(
            paths.figure("phase_diagram", "png"),
            caption=f"{CAPTIONS}/phase_diagram.rst",
            category="Transition",
            labels=figure_labels(
                "phase diagram",
                [
                    f"σ_w {config['theory']['sigma_min']:g}–{config['theory']['sigma_max']:g}, "
                    f"σ_b 0–{config['theory']['sigma_b_max']:g}"
                ],
                str(config["theory"]["simulation"]["width"]),
            ),
        ),
        pdf=paths.figure("phase_diagram", "pdf"),
        tsv=paths.figure("phase_diagram", "tsv"),
    log:
        paths.log("figures", "phase_diagram"),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    params:
        # the caption's numbers (workflow/report/*.rst read them as params[0]): positional, so that
        # the report's "Job parameters" lists only the parameters below
        lambda wildcards, output: captions.phase_diagram(
            output.tsv, {name: spec["sigma"] for name, spec in NAMED_REGIMES.items()}
        ),
        # keys in a fixed order: a config file listing them in another must not rerun the job
        grid={
            k: config["theory"][k]
            for k in ("sigma_min", "sigma_max", "phase_sigma_w_points", "sigma_b_max", "sigma_b_points")
        },
        simulation=dict(sorted(config["theory"]["simulation"].items())),
        teachers={name: spec["sigma"] for name, spec in NAMED_REGIMES.items()},
        xkcd=config["figures"]["xkcd"],
    script:
        "../../scripts/figure_phase_diagram.py"
