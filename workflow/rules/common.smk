# Config validation, wildcard constraints and the input functions shared by the rules.
import math
import re
from pathlib import Path
from types import SimpleNamespace

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

from depthwidth import study
from depthwidth.config import ConfigError, check_device, validate as validate_config
from depthwidth.sizes import deep_sizes, n_parameters

# Before any job, every check in one order (depthwidth.config.validate, which the tests call
# too): --config values re-read as YAML, our schema check (messages that name each bad key),
# Snakemake's (which fills in the defaults), then the cross-key rules.
try:
    for warning in validate_config(
        config,
        Path(workflow.basedir, "workflow", "schemas", "config.schema.yaml"),
        cli_args=workflow.config_settings.config_args or (),
    ):
        logger.warning(f"config warning: {warning}")
except ConfigError as err:
    raise WorkflowError(f"invalid config (see workflow/schemas/config.schema.yaml):\n{err}") from None


onstart:
    # device: cuda is checked against this machine once the executor is known (not at parse time)
    # and before any job starts, where jobs run here: not for a cluster executor, whose jobs check
    # on their node, nor in a dry run.
    if workflow.local_exec:
        try:
            check_device(config)
        except ConfigError as err:
            raise WorkflowError(f"invalid config (see workflow/schemas/config.schema.yaml):\n{err}") from None


# The named regimes (config's `regimes`, the tutorial's figures) and every regime trained: the
# named ones plus those the `sweep` section generates (sigma0.40, ...).
NAMED_REGIMES = config["regimes"]
SWEEP_REGIMES = study.sweep_regimes(config)
REGIMES = {**NAMED_REGIMES, **SWEEP_REGIMES}
SEEDS = config["seeds"]
TEACHER = config["teacher"]
TEACHER_SIZES = deep_sizes(TEACHER["n_in"], TEACHER["width"], TEACHER["depth"])
PACKAGE_DIR = Path(workflow.basedir, "depthwidth")


wildcard_constraints:
    regime="|".join(map(re.escape, REGIMES)),
    student=study.STUDENT_PATTERN,
    seed=r"-?\d+",
    width=r"\d+",


def package(*modules):
    """Source files of the package modules a job runs; as inputs, editing them reruns its jobs."""
    return [str(PACKAGE_DIR / f"{m}.py") for m in ("artifacts", "runtime", *modules)]


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
    deep = [f"{regime_dir(r, s)}/deep/metrics.json" for r in deep_regimes() for s in SEEDS]
    return shallow_metrics(*REGIMES) + deep


def figure_names():
    names = ["predictions", "expressivity"]
    if deep_regimes(NAMED_REGIMES):
        names.append("deep_loss")
    if fitted_regimes(NAMED_REGIMES):
        names.append("error_vs_width")
    return names


def all_outputs():
    return (
        ["results/summary.tsv", "results/figures/expressivity.gif"]
        + expand("results/figures/{name}.{ext}", name=figure_names(), ext=["png", "pdf"])
        + expand("results/figures/{name}.{ext}", name=study_figure_names(), ext=["png", "pdf", "tsv"])
    )


def student_sizes(wildcards):
    """Layer sizes of a student: ``shallow_w<width>`` has one hidden layer, ``deep`` the teacher's shape,
    ``d<depth>_w<width>`` depth - 1 hidden layers of ``width`` (see ``depthwidth.study``)."""
    return study.student_sizes(wildcards.student, TEACHER)


def teacher_spec(regime):
    """What replays a teacher's random stream (see depthwidth.students.student_generator)."""
    data = config["data"]
    return {"sizes": TEACHER_SIZES, "sigma": REGIMES[regime]["sigma"], "n_train": data["n_train"],
            "n_test": data["n_test"]}


def preceding_students(wildcards):
    """[(sizes, init), ...] of the students whose initial weights the tutorial's stream draws before
    this one's: the deep student, then the shallow ones by width (``student_seeding: tutorial``)."""
    if config["student_seeding"] != "tutorial":
        return []
    return study.preceding_students(REGIMES[wildcards.regime], wildcards.student, TEACHER)


def student_schedule(wildcards):
    """[(steps, lr), ...]: one phase for shallow students, the deep config's phases for the deep one
    and every student with more than one hidden layer."""
    if study.uses_deep_schedule(wildcards.student, TEACHER):
        d = config["deep"]
        return [(d["steps_per_phase"], d["lr"] / d["lr_decay"] ** k) for k in range(d["phases"])]
    return [(config["shallow"]["steps"], config["shallow"]["lr"])]


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


def student_runtime(wildcards, attempt):
    """Minutes asked for training a student: steps x per-step cost, with a 3x margin and 5 min to start."""
    steps = sum(s for s, _ in student_schedule(wildcards))
    step_s = STEP_OVERHEAD_S + SECONDS_PER_POINT_UNIT * config["data"]["n_train"] * hidden_units(student_sizes(wildcards))
    return attempt * (5 + math.ceil(3 * steps * step_s / 60))


def student_priority(wildcards):
    """Longest students first (their estimated minutes): started last, the deep student alone
    would set the wall time of a run on few cores."""
    return student_runtime(wildcards, 1)


def teacher_priority(wildcards):
    """A teacher goes before the students waiting for it, and so before every job that is not training."""
    students = study.regime_students(REGIMES[wildcards.regime])
    return 1 + max(student_priority(SimpleNamespace(regime=wildcards.regime, student=s)) for s in students)


def student_mem_mb(wildcards, attempt):
    """MB asked for training a student: data and activations of train and test sets, weights with
    their gradient and Adam moments, and the per-step loss history."""
    sizes = student_sizes(wildcards)
    steps = sum(s for s, _ in student_schedule(wildcards))
    n_rows = config["data"]["n_train"] + config["data"]["n_test"]
    extra = (4 * n_parameters(sizes) + steps) * ITEMSIZE
    return attempt * (TORCH_MB + arrays_mb(n_rows, sizes, extra))


def teacher_mem_mb(wildcards, attempt):
    """MB asked for drawing a teacher and labelling its train and test sets."""
    n_rows = config["data"]["n_train"] + config["data"]["n_test"]
    return attempt * (TORCH_MB + arrays_mb(n_rows, TEACHER_SIZES))


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
        return [f"{regime_dir(r, SEEDS[0])}/shallow_w{max(spec['shallow_widths'])}/{name}"
                for r, spec in NAMED_REGIMES.items()]

    return files


# --- the order-to-chaos study (workflow/rules/study.smk) ---


def study_figure_names():
    """Figures of the study: the cheap theory ones always (tanh), the sweep's when it lists sigmas."""
    names = ["mean_field", "trajectory_length"] if config["nonlinearity"] == "tanh" else []
    if SWEEP_REGIMES:
        names.append("sweep_error")
        if BUDGET_STUDENTS:
            names.append("equal_budget")
        if fitted_regimes(SWEEP_REGIMES):
            names.append("sweep_scaling")
    return names


BUDGET_STUDENTS = study.budget_students(config) if SWEEP_REGIMES else []


def sweep_student_metrics():
    """metrics.json of every student of every sweep regime and seed."""
    return [f"{regime_dir(r, s)}/{name}/metrics.json"
            for r, spec in SWEEP_REGIMES.items() for s in SEEDS for name in study.regime_students(spec)]


def sweep_linear_metrics():
    return [f"{regime_dir(r, s)}/linear/metrics.json" for r in SWEEP_REGIMES for s in SEEDS]


def figure_labels(figure, regimes, widths=None):
    """Labels of a figure in the report's table of results."""
    labels = {"figure": figure, "regime": ", ".join(regimes) or "none"}
    if widths is not None:
        labels["width"] = widths
    return labels


def shallow_widths_text(regimes):
    return "; ".join(", ".join(map(str, REGIMES[r]["shallow_widths"])) for r in regimes) or "none"
