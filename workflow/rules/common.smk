# What Snakemake needs to plan: the config validated, the files it makes (depthwidth.experiment.
# targets), wildcard constraints, and the input functions that read a job's wildcards. The rules of
# the experiment live in the package (plan, paths, resources), not here.
import re
from dataclasses import asdict
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

import depthwidth
from depthwidth.experiment import paths, plan, resources
from depthwidth.experiment.config import ConfigError, check_device, validate as validate_config
from depthwidth.experiment.targets import Targets
from depthwidth.jobs import sources, store
from depthwidth.presentation import captions, catalog

# Before any job, every check in one order (depthwidth.experiment.config.validate, which the tests
# call too) on the config files' strict reading (the Snakefile's FILE_CONFIG): --config values
# re-read as YAML, our schema check (messages that name each bad key), Snakemake's (which fills in
# the defaults), then the cross-key rules.
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
    from depthwidth.presentation.style import missing_xkcd_font

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
    forced = workflow.dag_settings.forceall or workflow.dag_settings.forcerun
    # A forced rerun (--forcerun, -R, --forceall) trains past the store of finished students and
    # replaces its entries (depthwidth.jobs.store); the jobs, started after this, inherit it.
    if forced:
        store.refresh_for_jobs()
    # damaged finished files (summary.smk's DAMAGED, named when the workflow was read)
    if DAMAGED and not forced:
        raise WorkflowError(f"{len(DAMAGED)} damaged finished file(s), named above; nothing was run")


# The files this config makes, its regimes (named, and those the `sweep` section generates) and
# seeds, and what each job asks a cluster for.
TARGETS = Targets(config)
REGIMES, SEEDS, RESTARTS = TARGETS.regimes, config["seeds"], TARGETS.restarts
SWEEP_BATCHED = plan.batches_by_sweep(config)
SWEEP_DEPTHS, SWEEP_STUDENTS = TARGETS.sweep_depths, plan.sweep_students(config)
# every student some regime trains from restarts (the restart rules' wildcard constraint)
RESTART_STUDENTS = list(dict.fromkeys(n for spec in REGIMES.values() for n in plan.restart_students(config, spec)))
# named regimes whose students are copies of a sweep regime's (plan.copied_regimes): {named: sweep}
COPIED = plan.copied_regimes(config)
REQUESTS = resources.Requests(config)
# The package the jobs import, and the scripts beside these rules.
PACKAGE_DIR = Path(depthwidth.__file__).parent
SCRIPTS_DIR = WORKFLOW_ROOT / "scripts"


def one_of(names):
    """A wildcard constraint matching exactly these names."""
    return "|".join(map(re.escape, names))


wildcard_constraints:
    regime=one_of(REGIMES),
    student=paths.STUDENT_PATTERN,
    depth=r"\d+",
    restart=r"\d+",
    seed=r"-?\d+",
    width=r"\d+",


def code(script):
    """A rule's code inputs: the package modules its script runs, found from its imports
    (``depthwidth.jobs.sources``), relative to the working directory; editing one reruns its jobs."""
    return sources.code_inputs(SCRIPTS_DIR / script, PACKAGE_DIR)


# --- a training job's batch (depthwidth.experiment.plan) ---


def student_batch(wildcards):
    return resources.job_batch(config, wildcards)


def batch_files(name, regimes, restart=False):
    """Per-student files ``name`` of a batch over ``regimes`` (names, ``{regime}`` or ``depth{depth}_...``
    patterns) and every seed, in the batch's order (``plan.batch``), ``{student}`` (``{restart}``) left as wildcards."""
    return [paths.student_file(name, r, s, restart="{restart}" if restart else 0) for r in regimes for s in SEEDS]


def sweep_patterns():
    """The sweep regimes of one teacher depth, as patterns in ``{depth}`` (every depth has the same sigmas)."""
    return [paths.sweep_regime("{depth}", s) for s in config["sweep"]["sigmas"]]


def batch_data(wildcards):
    return [paths.teacher_file("data.npz", m.regime, m.seed) for m in student_batch(wildcards).members]


def batch_params(wildcards):
    """What a training job's script needs to replay every member's initial weights."""
    return [asdict(m) for m in student_batch(wildcards).members]


def student_sizes(wildcards):
    """Layer sizes of a job's student (``depthwidth.experiment.plan.student_sizes``)."""
    return plan.student_sizes(wildcards.student, resources.job_teacher(config, wildcards))


def teacher_sizes(wildcards):
    return plan.teacher_sizes(resources.job_teacher(config, wildcards))


def student_schedule(wildcards):
    """[(steps, lr), ...] of the student's phases (``depthwidth.experiment.plan.schedule``)."""
    return [(p.steps, p.lr) for p in plan.schedule(wildcards.student, config)]


def every_seed(name, student=None):
    """A ``{regime}``'s file ``name`` for every seed: a teacher's, or (``student``: a name or ``{student}``) a student's."""
    if student is None:
        return [paths.teacher_file(name, "{regime}", s) for s in SEEDS]
    return [paths.student_file(name, "{regime}", s, student) for s in SEEDS]


def copied_files(name, restart=False, student=None):
    """A copy job's inputs: the files ``name`` of its student (its ``restart``; ``student`` where the
    rule has no such wildcard) in the sweep regime it copies, for every seed."""

    def files(wildcards):
        own, k = student or wildcards.student, wildcards.restart if restart else 0
        return [paths.student_file(name, COPIED[wildcards.regime], s, own, k) for s in SEEDS]

    return files


def copied_data(wildcards):
    return [paths.teacher_file("data.npz", COPIED[wildcards.regime], s) for s in SEEDS]


# --- named targets and figures this config may not make ---


def defined_outputs(name, files):
    """Input function: ``files``, or a clear error if the config defines none (a target it does not make)."""

    def inputs(wildcards):
        if not files:
            raise WorkflowError(catalog.undefined(TARGETS, name))
        return files

    return inputs


def figure_defined(name):
    """Input function of a figure's rule: nothing, or a clear error when the config does not make the figure
    (asked for by rule name, e.g. `snakemake figure_sweep_error` without a sweep)."""

    def inputs(wildcards):
        if name not in catalog.tutorial_figures(TARGETS) + catalog.study_figures(TARGETS):
            raise WorkflowError(catalog.undefined(TARGETS, name))
        return []

    return inputs


# --- a catalog figure's rule (workflow/rules/figures.smk) ---

CAPTIONS = "../report"


def figure_outputs(fig):
    """A catalog figure's files, its PNG in the report."""
    files = fig.outputs()
    labels = catalog.labels(TARGETS, fig.title, fig.regimes(TARGETS), fig.width(TARGETS))
    files["png"] = report(files["png"], caption=f"{CAPTIONS}/{fig.name}.rst", category=fig.category, labels=labels)
    return files


def caption_numbers(fig):
    """The caption's numbers (workflow/report/*.rst read them as params[0]), once the figure's files
    exist (None before: the report reads them): positional, so that the report's "Job parameters"
    lists only the script's own parameters."""
    return lambda wildcards, input, output: captions.read_if_made(list(output), fig.caption, TARGETS, input, output)
