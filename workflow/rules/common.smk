# Config validation, the plan's names for the rules, and the input functions shared by the rules.
import math
import os
import re
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

import depthwidth
from depthwidth import plan, sources
from depthwidth.config import ConfigError, check_device, validate as validate_config
from depthwidth.sizes import deep_sizes, n_parameters

# Before any job, every check in one order (depthwidth.config.validate, which the tests call
# too) on the config files' strict reading (the Snakefile's FILE_CONFIG): --config values re-read
# as YAML, our schema check (messages that name each bad key), Snakemake's (which fills in the
# defaults), then the cross-key rules.
if FILE_CONFIG is not None:
    config.clear()
    config.update(FILE_CONFIG)
try:
    for warning in validate_config(
        config,
        WORKFLOW_ROOT / "workflow" / "schemas" / "config.schema.yaml",
        cli_args=workflow.config_settings.config_args or (),
    ):
        logger.warning(f"config warning: {warning}")
except ConfigError as err:
    raise WorkflowError(f"invalid config (see workflow/schemas/config.schema.yaml):\n{err}") from None
# The xkcd look without its font falls back quietly inside each figure job (its log says so): say it
# here, on the console, once. Only then is matplotlib imported while the workflow is read.
if config["figures"]["xkcd"]:
    from depthwidth.style import missing_xkcd_font

    if missing := missing_xkcd_font():
        logger.warning(f"figures: {missing}")


onstart:
    # device: cuda is checked against this machine once the executor is known (not at parse time)
    # and before any job starts, where jobs run here: not for a cluster executor, whose jobs check
    # on their node, nor in a dry run.
    if workflow.local_exec:
        try:
            check_device(config)
        except ConfigError as err:
            raise WorkflowError(f"invalid config (see workflow/schemas/config.schema.yaml):\n{err}") from None
    # damaged finished files (summary.smk's DAMAGED, named when the workflow was read)
    if DAMAGED and not (workflow.dag_settings.forceall or workflow.dag_settings.forcerun):
        raise WorkflowError(f"{len(DAMAGED)} damaged finished file(s), named above; nothing was run")


# The named regimes (config's `regimes`, the tutorial's figures) and every regime trained: the
# named ones plus those the `sweep` section generates (depth5_sigma0.40, ...).
NAMED_REGIMES = config["regimes"]
SWEEP_REGIMES = plan.sweep_regimes(config)
REGIMES = plan.regimes(config)
SEEDS = config["seeds"]
TEACHER = config["teacher"]
# The package the jobs import, and the scripts beside these rules.
PACKAGE_DIR = Path(depthwidth.__file__).parent
SCRIPTS_DIR = WORKFLOW_ROOT / "scripts"


def one_of(names):
    """A wildcard constraint matching exactly these names."""
    return "|".join(map(re.escape, names))


wildcard_constraints:
    regime=one_of(REGIMES),
    student=plan.STUDENT_PATTERN,
    depth=r"\d+",
    restart=r"\d+",
    seed=r"-?\d+",
    width=r"\d+",


def code(script):
    """A rule's code inputs: the package modules its script runs, found from its imports
    (``depthwidth.sources``), relative to the working directory; editing one reruns its jobs."""
    return sources.code_inputs(SCRIPTS_DIR / script, PACKAGE_DIR)


def regime_dir(regime, seed):
    return f"results/{regime}/seed{seed}"


def fitted_regimes(regimes=None):
    """Regimes (of ``regimes``, default all) with at least two shallow widths: those a scaling fit can be made for."""
    return [r for r, spec in (REGIMES if regimes is None else regimes).items() if len(spec["shallow_widths"]) >= 2]


def deep_regimes(regimes=None):
    return [r for r, spec in (REGIMES if regimes is None else regimes).items() if spec["deep_student"]]


def shallow_metrics(*regimes):
    """Every shallow student's metrics of the regimes, over widths and seeds."""
    return [
        f"{regime_dir(r, s)}/shallow_w{w}/metrics.json"
        for r in regimes
        for s in SEEDS
        for w in REGIMES[r]["shallow_widths"]
    ]


def all_metrics():
    """metrics.json of every student trained, of every regime and seed (equal-budget ones included)."""
    return [
        f"{regime_dir(r, s)}/{name}/metrics.json"
        for r, spec in REGIMES.items()
        for s in SEEDS
        for name in plan.regime_students(spec)
    ]


def restart_metrics(regimes=None):
    """metrics.json of every restart of every restart student of the ``regimes`` (default all) and seed."""
    return [
        f"{regime_dir(r, s)}/{name}/restart{k}/metrics.json"
        for r, spec in (REGIMES if regimes is None else regimes).items()
        for s in SEEDS
        for name in plan.restart_students(config, spec)
        for k in plan.restart_indices(config)
    ]


def figure_names():
    names = ["predictions", "expressivity"]
    if deep_regimes(NAMED_REGIMES):
        names.append("deep_loss")
    if fitted_regimes(NAMED_REGIMES):
        names.append("error_vs_width")
    return names


def tutorial_outputs():
    """The tutorial's figures, the animation and the summary table (``snakemake tutorial``)."""
    return [
        "results/summary.tsv",
        "results/summary.html",
        "results/figures/expressivity.gif",
        "results/figures/expressivity_animation.html",
    ] + expand("results/figures/{name}.{ext}", name=figure_names(), ext=["png", "pdf"])


# --- batches: the students one job trains (depthwidth.plan) ---

SWEEP_BATCHED = plan.batches_by_sweep(config)
SWEEP_DEPTHS = plan.sweep_teacher_depths(config) if SWEEP_REGIMES else []
SWEEP_STUDENTS = plan.sweep_students(config)
RESTARTS = plan.restart_indices(config)
# every student some regime trains from restarts (the restart rules' wildcard constraint)
RESTART_STUDENTS = list(dict.fromkeys(n for spec in REGIMES.values() for n in plan.restart_students(config, spec)))
# named regimes whose students are copies of a sweep regime's (plan.copied_regimes): {named: sweep}
COPIED = plan.copied_regimes(config)


def copied_files(name, restart=False, student=None):
    """A copy job's inputs: the files ``name`` of its student (its ``restart``; ``student`` where the
    rule has no such wildcard) in the sweep regime it copies, for every seed."""

    def files(wildcards):
        own = student or wildcards.student
        folder = f"{own}/restart{wildcards.restart}" if restart else own
        return [f"{regime_dir(COPIED[wildcards.regime], s)}/{folder}/{name}" for s in SEEDS]

    return files


def copied_data(wildcards):
    return [f"{regime_dir(COPIED[wildcards.regime], s)}/data.npz" for s in SEEDS]


def wildcard_regimes(wildcards):
    """The regimes of a training job: its ``regime``, or for a sweep job (``batch: sweep``, no
    regime wildcard) every sweep regime of its teacher ``depth``."""
    regime = getattr(wildcards, "regime", None)
    return [regime] if regime is not None else list(plan.sweep_regimes(config, int(wildcards.depth)))


def student_batch(wildcards):
    """The batch a training job trains (``depthwidth.plan.batch``): its student for every seed of
    its regimes, from the first initialisation or, for a restart rule's job, its ``restart``."""
    return plan.batch(
        config,
        wildcards.student,
        wildcard_regimes(wildcards),
        int(getattr(wildcards, "restart", 0)),
        sweep=not hasattr(wildcards, "regime"),
    )


def batch_files(name, regimes, restart=False):
    """Per-student files ``name`` of a batch over ``regimes`` (names, ``{regime}`` or
    ``depth{depth}_...`` patterns) and every seed, in the batch's order (``plan.batch``), with
    ``{student}`` (and, for a restart rule, ``{restart}``) left as wildcards."""
    folder = "{student}/restart{restart}" if restart else "{student}"
    return [f"results/{r}/seed{s}/{folder}/{name}" for r in regimes for s in SEEDS]


def sweep_patterns():
    """The sweep regimes of one teacher depth, as patterns in ``{depth}`` (every depth has the same sigmas)."""
    return [f"depth{{depth}}_sigma{s:.2f}" for s in config["sweep"]["sigmas"]]


def batch_data(wildcards):
    return [f"{regime_dir(m.regime, m.seed)}/data.npz" for m in student_batch(wildcards).members]


def batch_params(wildcards):
    """What a training job's script needs to replay every member's initial weights."""
    return [asdict(m) for m in student_batch(wildcards).members]


def checkpoint_path(batch):
    """A batch's checkpoint file (``plan.Batch.key``)."""
    return f"results/checkpoints/{batch.key}.checkpoint.pt"


def search_journal_path(regime):
    """A search job's journal of finished starts (``polish.SearchJournal``)."""
    return f"results/checkpoints/{regime}/deep.search.json"


def finished_checkpoints():
    """Checkpoints of the batches, and search journals, whose outputs all exist: what a
    successful run deletes."""
    training = [
        checkpoint_path(b)
        for b in plan.batches(config)
        if all(Path(m.directory(b.student), "metrics.json").exists() for m in b.members)
    ]
    searches = [
        search_journal_path(r)
        for r in deep_regimes()
        if all(Path(regime_dir(r, s), "deep", "search.json").exists() for s in SEEDS)
    ]
    return training + searches


def study_outputs():
    """The order-to-chaos figures and their tables (``snakemake study``)."""
    return expand("results/figures/{name}.{ext}", name=study_figure_names(), ext=["png", "pdf", "tsv"])


def all_outputs():
    return tutorial_outputs() + study_outputs()


# Why a figure may be missing from a config's results, for the message naming it as a target.
FIGURE_NEEDS = {
    "deep_loss": "a named regime with deep_student: true",
    "error_vs_width": "a named regime with at least two shallow_widths",
    "mean_field": "nonlinearity: tanh",
    "trajectory_length": "nonlinearity: tanh",
    "sweep_error": "a `sweep` section with sigmas (e.g. --configfile configs/study.yaml)",
    "equal_budget": "a `sweep` section with sigmas and budget_depths (configs/study.yaml)",
    "sweep_scaling": "a `sweep` section with sigmas and at least two shallow_widths (configs/study.yaml)",
    "study": "nonlinearity: tanh, or a `sweep` section with sigmas (configs/study.yaml)",
    "depth_error": "a `sweep` section with sigmas and two or more teacher_depths (configs/depth.yaml)",
    "depth_scaling": "a `sweep` with two or more teacher_depths and at least two shallow_widths (configs/depth.yaml)",
    "depth_deep": "a `sweep` with two or more teacher_depths and deep_student: true (configs/depth.yaml)",
}


def undefined_target(name):
    return WorkflowError(
        f"{name} is not a result of this config: it needs {FIGURE_NEEDS[name]}.\n"
        "This config makes: "
        + ", ".join(["summary", *figure_names(), *study_figure_names()])
        + " (targets: all, tutorial, study, figures)."
    )


def defined_outputs(name, files):
    """Input function: ``files``, or a clear error if the config defines none (a target it does not make)."""

    def inputs(wildcards):
        if not files:
            raise undefined_target(name)
        return files

    return inputs


def figure_defined(name):
    """Input function of a figure's rule: nothing, or a clear error when the config does not make the figure
    (asked for by rule name, e.g. `snakemake figure_sweep_error` without a sweep)."""

    def inputs(wildcards):
        if name not in figure_names() + study_figure_names():
            raise undefined_target(name)
        return []

    return inputs


def made_message(dag, started, report_cmd):
    """The end-of-run message: the tables and figures this run wrote (from the DAG's jobs), and where."""

    def is_result(f):
        return (f.startswith("results/figures/") and Path(f).suffix in (".png", ".gif", ".tsv")) or f.startswith(
            "results/summary."
        )

    outputs = {str(f) for job in dag.jobs for f in job.output}
    made = sorted(f for f in outputs if is_result(f) and Path(f).exists() and Path(f).stat().st_mtime >= started)
    where = Path("results").resolve()
    if not made:
        return f"\nNothing new: every result in {where} was up to date.\nThe report: {report_cmd}\n"
    figures = list(dict.fromkeys(Path(f).stem for f in made if f.endswith((".png", ".gif"))))
    tables = [f for f in made if f.endswith((".tsv", ".html"))]
    lines = [f"\nThis run made, in {where}:"]
    if figures:
        lines.append(f"  figures/ ({len(figures)}, PNG for the web, PDF for print): " + ", ".join(figures))
    if tables:
        lines.append("  tables: " + ", ".join(os.path.relpath(f, "results") for f in tables))
    lines.append(f"A report with every figure and its caption: {report_cmd}\n")
    return "\n".join(lines)


def job_teacher(wildcards):
    """The teacher shape of a job's regimes (one per job: a sweep job's regimes share a depth)."""
    return plan.regime_teacher(config, wildcard_regimes(wildcards)[0])


def student_sizes(wildcards):
    """Layer sizes of a job's student (``depthwidth.plan.student_sizes``)."""
    return plan.student_sizes(wildcards.student, job_teacher(wildcards))


def teacher_sizes(wildcards):
    return plan.teacher_sizes(job_teacher(wildcards))


def student_schedule(wildcards):
    """[(steps, lr), ...] of the student's phases (``depthwidth.plan.schedule``)."""
    return [(p.steps, p.lr) for p in plan.schedule(wildcards.student, config)]


# Cluster requests. Calibrated on one core (torch 2.13 CPU, float64, the slower dtype, so the
# times hold for float32 too): a full-batch Adam step costs ~0.1 ms plus ~30 ns per (training
# point x hidden unit); a Python process with torch loaded peaks at ~250 MB RSS. Requests add a
# margin of 3x on time and 4x on arrays, and grow with each retry.
STEP_OVERHEAD_S = 1e-4
SECONDS_PER_POINT_UNIT = 3e-8
TORCH_MB = 500
ITEMSIZE = {"float32": 4, "float64": 8}[config["dtype"]]


def hidden_units(sizes):
    return sum(sizes[1:-1])


def arrays_mb(n_rows, sizes, extra_bytes=0):
    """MB asked for a forward and backward pass of ``n_rows`` points through ``sizes``, plus extra."""
    # per point: input, output, and each hidden unit's activation and derivative
    per_row = sizes[0] + sizes[-1] + 2 * hidden_units(sizes)
    return math.ceil(4 * (n_rows * per_row * ITEMSIZE + extra_bytes) / 1e6)


def batch_size(wildcards):
    return len(student_batch(wildcards).members)


def student_runtime(wildcards, attempt):
    """Minutes asked for training a batch: students x steps x per-step cost, with a 3x margin and 5 min to start."""
    steps = plan.total_steps(wildcards.student, config)
    step_s = STEP_OVERHEAD_S + SECONDS_PER_POINT_UNIT * config["data"]["n_train"] * hidden_units(
        student_sizes(wildcards)
    )
    return attempt * (5 + math.ceil(3 * batch_size(wildcards) * steps * step_s / 60))


def student_priority(wildcards):
    """Longest batches first (their estimated minutes): started last, the deep student alone
    would set the wall time of a run on few cores."""
    return student_runtime(wildcards, 1)


def teacher_priority(wildcards):
    """A teacher goes before the students waiting for it, and so before every job that is not training."""
    students = plan.regime_students(REGIMES[wildcards.regime])
    if SWEEP_BATCHED and wildcards.regime in SWEEP_REGIMES:
        job = dict(depth=str(REGIMES[wildcards.regime]["teacher_depth"]))
    else:
        job = dict(regime=wildcards.regime)
    return 1 + max(student_priority(SimpleNamespace(**job, student=s)) for s in students)


def student_mem_mb(wildcards, attempt):
    """MB asked for training a batch: per student, data and activations of train and test sets,
    weights with their gradient and Adam moments, and the per-step loss history."""
    sizes = student_sizes(wildcards)
    steps = plan.total_steps(wildcards.student, config)
    n_rows = config["data"]["n_train"] + config["data"]["n_test"]
    extra = (4 * n_parameters(sizes) + steps) * ITEMSIZE
    return attempt * (TORCH_MB + batch_size(wildcards) * arrays_mb(n_rows, sizes, extra))


def teacher_mem_mb(wildcards, attempt):
    """MB asked for drawing a teacher and labelling its train and test sets."""
    n_rows = config["data"]["n_train"] + config["data"]["n_test"]
    return attempt * (TORCH_MB + arrays_mb(n_rows, teacher_sizes(wildcards)))


def expressivity_mem_mb(wildcards, attempt):
    """MB asked for the circle's path through every hidden layer of each regime's net (all kept)."""
    e = config["expressivity"]
    trajectories = len(e["regimes"]) * e["points"] * hidden_units(deep_sizes(2, e["width"], e["depth"]))
    return attempt * (TORCH_MB + math.ceil(4 * trajectories * 8 / 1e6))  # float64 while computed


def deep_runs(name):
    """Input function: a file of every named regime's deep student (``name`` is loss.npz or metrics.json)."""
    return lambda wildcards: [f"{regime_dir(r, s)}/deep/{name}" for r in deep_regimes(NAMED_REGIMES) for s in SEEDS]


def widest_students(name):
    """Input function: a file of each named regime's widest shallow student, first seed (for the prediction plot)."""

    def files(wildcards):
        return [
            f"{regime_dir(r, SEEDS[0])}/shallow_w{max(spec['shallow_widths'])}/{name}"
            for r, spec in NAMED_REGIMES.items()
        ]

    return files


# --- the order-to-chaos study (workflow/rules/study.smk) ---


def study_figure_names():
    """Figures of the study: the cheap theory ones always (tanh), the sweep's when it lists sigmas."""
    names = ["mean_field", "phase_diagram", "trajectory_length"] if config["nonlinearity"] == "tanh" else []
    if SWEEP_REGIMES:
        names.append("sweep_error")
        if BUDGET_STUDENTS:
            names.append("equal_budget")
        if fitted_regimes(SIGMA_REGIMES):
            names.append("sweep_scaling")
    if len(SWEEP_DEPTHS) > 1:
        names.append("depth_error")
        if fitted_regimes(SWEEP_REGIMES):
            names.append("depth_scaling")
        if config["sweep"]["deep_student"]:
            names.append("depth_deep")
    return names


def depth_metrics(shallow=False, deep=False):
    """metrics.json of the depth sweep's shallow students, or of its deep students with every restart."""
    files = []
    for r, spec in SWEEP_REGIMES.items():
        for s in SEEDS:
            if shallow:
                files += [f"{regime_dir(r, s)}/shallow_w{w}/metrics.json" for w in spec["shallow_widths"]]
            if deep and spec["deep_student"]:
                files.append(f"{regime_dir(r, s)}/deep/metrics.json")
                if "deep" in plan.restart_students(config, spec):
                    files += [f"{regime_dir(r, s)}/deep/restart{k}/metrics.json" for k in RESTARTS]
    return files


# The sigma figures show the sweep at one teacher depth (plan.sigma_sweep_depth).
SIGMA_DEPTH = plan.sigma_sweep_depth(config)
SIGMA_REGIMES = plan.sweep_regimes(config, SIGMA_DEPTH)
BUDGET_STUDENTS = plan.budget_students(config, SIGMA_DEPTH) if SWEEP_REGIMES else []


def sweep_student_metrics(regimes=None, restarts=False):
    """metrics.json of every student of the ``regimes`` (default: the sigma figures') and seed, and
    (``restarts``) of every restart of their restart students."""
    regimes = SIGMA_REGIMES if regimes is None else regimes
    files = [
        f"{regime_dir(r, s)}/{name}/metrics.json"
        for r, spec in regimes.items()
        for s in SEEDS
        for name in plan.regime_students(spec)
    ]
    return files + (restart_metrics(regimes) if restarts else [])


def sweep_linear_metrics(regimes=None):
    return [
        f"{regime_dir(r, s)}/linear/metrics.json"
        for r in (SIGMA_REGIMES if regimes is None else regimes)
        for s in SEEDS
    ]


def figure_labels(figure, regimes, widths=None):
    """Labels of a figure in the report's table of results."""
    labels = {"figure": figure, "regime": regimes_text(regimes)}
    if widths is not None:
        labels["width"] = widths
    return labels


def _toggle_label(results):
    """The label Snakemake's report would turn into a toggle among ``results`` (one category's labels,
    in order), or None. Its template (report/html_reporter/template/components/abstract_results.js)
    does that to any label but the first that takes exactly two values, each in half of the results,
    and then looks up the result with the other value for each row."""
    names = list(dict.fromkeys(name for labels in results for name in labels))
    for name in names[1:]:
        values = [labels[name] for labels in results if name in labels]
        if len(set(values)) == 2 and all(values.count(v) * 2 == len(results) for v in set(values)):
            return name
    return None


def settle_report_labels(rules, outputs):
    """Fold any label that the report would make a toggle into the ``figure`` label of its results.

    Our results never come in pairs differing by one label, so a toggle finds no partner result and
    the category's page stays blank (``Cannot read properties of undefined (reading 'mime_type')``).
    Only the results of ``outputs`` (those the report will hold) count; the labels are changed in place.
    """
    made = set(map(str, outputs))
    categories = {}
    for r in rules:
        for f in r.output:
            flag = getattr(f, "flags", {}).get("report")
            if flag is not None and flag.labels and str(f) in made:
                categories.setdefault((flag.category, flag.subcategory), []).append(flag.labels)
    for results in categories.values():
        while (name := _toggle_label(results)) is not None:
            for labels in results:
                if name in labels:
                    labels["figure"] = f"{labels['figure']} ({labels.pop(name)})"


def regimes_text(regimes):
    """Regimes as the report's table names them, short so that the figures keep their width: the
    tutorial's by name, a sweep's by their σ_w ("σ_w = 0.5, 1, 2"; a range beyond four values),
    not by their internal names (depth5_sigma0.50, ...)."""
    named = [r for r in regimes if r in NAMED_REGIMES or r not in REGIMES]
    sigmas = sorted({float(REGIMES[r]["sigma"]) for r in regimes if r not in named})
    if len(sigmas) > 4:
        named.append(f"σ_w = {sigmas[0]:g} to {sigmas[-1]:g} ({len(sigmas)} values)")
    elif sigmas:
        named.append("σ_w = " + ", ".join(f"{s:g}" for s in sigmas))
    return ", ".join(named) or "none"


def budget_widths_text():
    """The equal-budget students' widths, with their depths (layers counting the input), for the report."""
    sizes = [plan.student_sizes(s, {**TEACHER, "depth": SIGMA_DEPTH}) for s in BUDGET_STUDENTS]
    if not sizes:
        return "none"
    return f"{', '.join(str(max(s[1:-1])) for s in sizes)} (depths {', '.join(str(len(s) - 1) for s in sizes)})"


def shallow_widths_text(regimes):
    return "; ".join(", ".join(map(str, REGIMES[r]["shallow_widths"])) for r in regimes) or "none"


# --- converged students (config `polish`; the rules are workflow/rules/polish.smk) ---


def every_seed(path):
    """``path`` (below a seed's folder, e.g. ``{student}/student.pt``) for every seed of a ``{regime}``."""
    return [f"{regime_dir('{regime}', s)}/{path}" for s in SEEDS]


# --- cluster requests and what the summary reads ---

# Calibrated on one core (Intel Xeon, torch 2.13): a Levenberg-Marquardt iteration costs about
# 4e-11 s per (training point x weight^2), forming J^T J (0.1 s at width 135, 4000 points), plus
# about 1 ms; its arrays are J (points x weights) and a few weights x weights matrices.
LM_SECONDS_PER_POINT_WEIGHT2 = 4e-11
POLISH = config["polish"]


def polish_weights(wildcards):
    student = getattr(wildcards, "student", "deep")
    return n_parameters(plan.student_sizes(student, plan.regime_teacher(config, wildcards.regime)))


def lm_iteration_s(wildcards):
    return 1e-3 + LM_SECONDS_PER_POINT_WEIGHT2 * config["data"]["n_train"] * polish_weights(wildcards) ** 2


def polish_runtime(wildcards, attempt):
    """Minutes for a polish job: every seed's iterations at most, 3x margin, 5 min to start."""
    return attempt * (5 + math.ceil(3 * len(SEEDS) * POLISH["max_iterations"] * lm_iteration_s(wildcards) / 60))


def search_runtime(wildcards, attempt):
    """Minutes for a search job: every seed's starts at most (warm-up and iterations), 3x margin."""
    sizes = plan.teacher_sizes(plan.regime_teacher(config, wildcards.regime))
    step_s = STEP_OVERHEAD_S + SECONDS_PER_POINT_UNIT * config["data"]["n_train"] * hidden_units(sizes)
    start_s = POLISH["search_warmup_steps"] * step_s + POLISH["search_max_iterations"] * lm_iteration_s(wildcards)
    return attempt * (5 + math.ceil(3 * len(SEEDS) * POLISH["search_starts"] * start_s / 60))


def polish_mem_mb(wildcards, attempt):
    """MB for J, the normal equations and their copies, 4x margin, plus a torch process."""
    weights, n = polish_weights(wildcards), config["data"]["n_train"]
    return attempt * (TORCH_MB + math.ceil(4 * 8 * (3 * n * weights + 4 * weights**2) / 1e6))


def polish_records():
    """polish.json of every student of the first initialisation, when the config polishes."""
    return [m.replace("metrics.json", "polish.json") for m in all_metrics()] if POLISH["enabled"] else []


def search_records():
    """search.json of every deep student, when the config searches."""
    if not (POLISH["enabled"] and POLISH["search_starts"]):
        return []
    return [f"{regime_dir(r, s)}/deep/search.json" for r in deep_regimes() for s in SEEDS]
