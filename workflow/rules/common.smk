# Config validation, wildcard constraints and the input functions shared by the rules.
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from depthwidth.config import ConfigError, check_config, check_schema
from depthwidth.nets import deep_sizes, shallow_sizes

# Before any job: our own schema check first, for messages that name each bad key (Snakemake's
# names the schema path and prints the whole config), then Snakemake's, which fills in the
# defaults, then the cross-key rules, which need them.
try:
    check_schema(config, Path(workflow.basedir, "workflow", "schemas", "config.schema.yaml"))
    validate(config, "../schemas/config.schema.yaml")
    check_config(config)
except ConfigError as err:
    raise WorkflowError(f"invalid config (see workflow/schemas/config.schema.yaml):\n{err}") from None


REGIMES = config["regimes"]
SEEDS = config["seeds"]
TEACHER = config["teacher"]
TEACHER_SIZES = deep_sizes(TEACHER["n_in"], TEACHER["width"], TEACHER["depth"])
PACKAGE_DIR = Path(workflow.basedir, "depthwidth")


wildcard_constraints:
    regime="|".join(REGIMES),
    seed=r"-?\d+",
    width=r"\d+",


def package(*modules):
    """Source files of the package modules a rule runs: as inputs, editing them reruns the rule."""
    return [str(PACKAGE_DIR / f"{m}.py") for m in ("artifacts", "runtime", *modules)]


def regime_dir(regime, seed):
    return f"results/{regime}/seed{seed}"


def fitted_regimes():
    """Regimes with at least two shallow widths: those a scaling fit can be made for."""
    return [r for r, spec in REGIMES.items() if len(spec["shallow_widths"]) >= 2]


def deep_regimes():
    return [r for r, spec in REGIMES.items() if spec["deep_student"]]


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
    if deep_regimes():
        names.append("deep_loss")
    if fitted_regimes():
        names.append("error_vs_width")
    return names


def all_outputs():
    return (
        ["results/summary.tsv", "results/figures/expressivity.gif"]
        + expand("results/figures/{name}.{ext}", name=figure_names(), ext=["png", "pdf"])
    )


def student_sizes(wildcards):
    """Layer sizes of a student: ``shallow_w<width>`` has one hidden layer, ``deep`` the teacher's shape."""
    if wildcards.student == "deep":
        return TEACHER_SIZES
    return shallow_sizes(TEACHER["n_in"], int(wildcards.student.removeprefix("shallow_w")))


def student_schedule(wildcards):
    """[(steps, lr), ...]: one phase for shallow students, the deep config's phases for the deep one."""
    if wildcards.student == "deep":
        d = config["deep"]
        return [(d["steps_per_phase"], d["lr"] / d["lr_decay"] ** k) for k in range(d["phases"])]
    return [(config["shallow"]["steps"], config["shallow"]["lr"])]


def student_runtime(wildcards, attempt):
    """Minutes asked of a cluster: generous for the slow reference speed of ~20k steps/min at width 135."""
    steps = sum(s for s, _ in student_schedule(wildcards))
    width = max(student_sizes(wildcards)[1:-1])
    return int(10 + attempt * steps * max(width, 20) / 100_000)


def deep_runs(name):
    """Input function: a file of every deep student (``name`` is loss.npz or metrics.json)."""
    return lambda wildcards: [f"{regime_dir(r, s)}/deep/{name}" for r in deep_regimes() for s in SEEDS]


def widest_students(name):
    """Input function: a file of each regime's widest shallow student, first seed (for the prediction plot)."""

    def files(wildcards):
        return [f"{regime_dir(r, SEEDS[0])}/shallow_w{max(spec['shallow_widths'])}/{name}"
                for r, spec in REGIMES.items()]

    return files


def figure(name):
    return multiext(f"results/figures/{name}", ".png", ".pdf")
