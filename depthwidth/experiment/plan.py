"""The experiment's plan, written once: regimes, students, schedules, random streams and batches.

Everything here follows from the validated config (defaults filled) alone and imports no torch,
so Snakemake's planning (``workflow/rules/*.smk``), the job scripts and the benchmark all read
the same definitions.

- **Regimes**: the config's named ``regimes`` plus those its ``sweep`` section generates, one
  per teacher depth and sigma, ``depth<depth>_sigma<sigma:.2f>`` (``depth5_sigma0.40``), each
  with ``budget_students``: students of several depths whose parameter count is close to
  ``sweep.budget``. Every regime's spec holds its ``teacher_depth``; the teacher's other sizes
  are the config's ``teacher``.
- **Students** are named by architecture, one name per architecture: ``shallow_w<W>`` (one
  hidden layer of W units), ``deep`` (the teacher's shape) and ``d<D>_w<W>`` (D layers counting
  the input, D - 1 hidden layers of W units, like the teacher's ``depth``). A depth-2 net is
  always ``shallow_w<W>`` and the teacher's shape always ``deep``.
- **Schedules**: one Adam phase for a student with one hidden layer, the ``deep`` section's
  phases for every other.
- **Streams**: with ``student_seeding: tutorial`` a student's initial weights come from its
  teacher's generator after the teacher, its data and the students the tutorial draws first
  (the deep student, then the shallow ones by width).
- **Restarts**: with ``restarts.count`` R > 1, every restart student (the deep one, or every
  one with more than one hidden layer) is also trained from R - 1 more initialisations, restart
  k drawn from a generator of its own, seeded ``derived_seed(seed, name, "restart", k)``.
- **Batches**: the students one job trains together, all of one architecture and schedule:
  by default one batch per regime and student over every seed; with ``batch: sweep`` one
  batch per teacher depth and student over every sweep regime of that depth and seed as well.
  Each restart k of a student is a batch of its own (the same members from their k-th
  initialisation), so adding restarts retrains nothing and a CPU trains restarts side by side.
- **Copies**: a named regime that only repeats a sweep regime's members (the same teachers,
  students and initialisations) is copied from it, not trained (:func:`copied_regimes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from depthwidth.experiment import paths
from depthwidth.experiment.paths import STUDENT_PATTERN  # noqa: F401  (the rules' wildcard constraint)
from depthwidth.experiment.sizes import deep_sizes, n_parameters, shallow_sizes

BATCH_CHOICES = ("regime", "sweep")


@dataclass(frozen=True)
class Phase:
    """A run of ``steps`` Adam steps at learning rate ``lr``, from fresh moments."""

    steps: int
    lr: float


# --- students -----------------------------------------------------------------------------------


def teacher_sizes(teacher: Mapping[str, int]) -> list[int]:
    return deep_sizes(teacher["n_in"], teacher["width"], teacher["depth"])


def student_name(depth: int, width: int, teacher: Mapping[str, int]) -> str:
    """The one name of a bias-free MLP of ``depth`` layers (counting the input) and hidden ``width``."""
    if depth == 2:
        return paths.shallow_student(width)
    if deep_sizes(teacher["n_in"], width, depth) == teacher_sizes(teacher):
        return paths.DEEP
    return paths.stacked_student(depth, width)


def student_sizes(name: str, teacher: Mapping[str, int]) -> list[int]:
    """Layer sizes of a named student (see the module docstring)."""
    shape = paths.parse_student(name)
    if shape is None:
        return teacher_sizes(teacher)
    depth, width = shape
    return shallow_sizes(teacher["n_in"], width) if depth == 2 else deep_sizes(teacher["n_in"], width, depth)


def uses_deep_schedule(name: str) -> bool:
    """The deep student and every student with more than one hidden layer train on the deep config's phases.

    (For a depth-2 teacher, ``deep`` is a one-hidden-layer net: ``shallow_w<width>`` on the deep schedule.)
    """
    return name == paths.DEEP or paths.is_stacked(name)


def phased_schedule(phases: int, steps_per_phase: int, lr: float, lr_decay: float) -> tuple[Phase, ...]:
    """``phases`` phases of ``steps_per_phase`` steps, the learning rate divided by ``lr_decay`` each phase."""
    return tuple(Phase(steps_per_phase, lr / lr_decay**k) for k in range(phases))


def schedule(name: str, config: Mapping[str, Any]) -> tuple[Phase, ...]:
    """A student's phases: the ``deep`` section's for more than one hidden layer, else ``shallow``'s one."""
    if schedule_section(name) == "deep":
        d = config["deep"]
        return phased_schedule(d["phases"], d["steps_per_phase"], d["lr"], d["lr_decay"])
    return (Phase(config["shallow"]["steps"], config["shallow"]["lr"]),)


def schedule_section(name: str) -> str:
    """The config section whose schedule the student ``name`` trains on: ``deep`` or ``shallow``."""
    return "deep" if uses_deep_schedule(name) else "shallow"


def total_steps(name: str, config: Mapping[str, Any]) -> int:
    return sum(p.steps for p in schedule(name, config))


# --- regimes ------------------------------------------------------------------------------------


def regime_teacher(config: Mapping[str, Any], regime: str) -> dict[str, int]:
    """The shape of a regime's teachers: the config's ``teacher`` at the regime's ``teacher_depth``."""
    return {**config["teacher"], "depth": regimes(config)[regime]["teacher_depth"]}


def budget_width(n_in: int, depth: int, budget: int) -> int:
    """The hidden width whose depth-``depth`` bias-free net has the parameter count nearest ``budget``.

    Ties go to the smaller net (e.g. 105 parameters at depth 2: width 17 with 102 over 18 with 108).
    """

    def count(width: int) -> int:
        return n_parameters(deep_sizes(n_in, width, depth))

    # the count grows with the width: bisect for the first width at or above the budget (a loop
    # over widths would take minutes for a budget of 10^9)
    low, high = 1, max(1, budget)
    while low < high:
        mid = (low + high) // 2
        low, high = (mid + 1, high) if count(mid) < budget else (low, mid)
    if low > 1 and abs(count(low - 1) - budget) <= abs(count(low) - budget):
        return low - 1
    return low


def sweep_teacher_depths(config: Mapping[str, Any]) -> list[int]:
    """The sweep's teacher depths: ``sweep.teacher_depths``, or the config's ``teacher.depth`` alone."""
    return list((config.get("sweep") or {}).get("teacher_depths") or [config["teacher"]["depth"]])


def sweep_budget(config: Mapping[str, Any], teacher: Mapping[str, int]) -> int:
    budget = config["sweep"].get("budget")
    return int(budget) if budget else n_parameters(teacher_sizes(teacher))


def budget_students(config: Mapping[str, Any], teacher_depth: int | None = None) -> list[str]:
    """Names of the equal-budget students of ``sweep.budget_depths`` for teachers of ``teacher_depth``
    (default ``teacher.depth``), in depth order."""
    teacher = {**config["teacher"], "depth": teacher_depth or config["teacher"]["depth"]}
    budget = sweep_budget(config, teacher)
    return [
        student_name(d, budget_width(teacher["n_in"], d, budget), teacher)
        for d in sorted(config["sweep"].get("budget_depths", []))
    ]


def sweep_regimes(config: Mapping[str, Any], teacher_depth: int | None = None) -> dict[str, dict[str, Any]]:
    """The regimes ``depth<depth>_sigma<sigma>`` that the ``sweep`` section generates, depth-major
    (only those of ``teacher_depth`` if given; none when it lists no sigmas)."""
    sweep = config.get("sweep") or {}
    out = {}
    for depth in sweep_teacher_depths(config) if sweep.get("sigmas") else []:
        if teacher_depth is not None and depth != teacher_depth:
            continue
        students = budget_students(config, depth)
        for s in sweep["sigmas"]:
            out[paths.sweep_regime(depth, s)] = {
                "sigma": float(s),
                "teacher_depth": int(depth),
                "shallow_widths": list(sweep["shallow_widths"]),
                "deep_student": bool(sweep["deep_student"]),
                "student_init": sweep["student_init"],
                "budget_students": students,
            }
    return out


def sigma_sweep_depth(config: Mapping[str, Any]) -> int:
    """The teacher depth of the sigma figures: ``teacher.depth`` if the sweep has it, else its deepest."""
    depths = sweep_teacher_depths(config)
    return config["teacher"]["depth"] if config["teacher"]["depth"] in depths else max(depths)


def regimes(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every regime trained: the named ones (at ``teacher.depth``), then the sweep's."""
    depth = config["teacher"]["depth"]
    named = {name: {**spec, "teacher_depth": depth} for name, spec in config["regimes"].items()}
    return {**named, **sweep_regimes(config)}


def regime_students(spec: Mapping[str, Any]) -> list[str]:
    """Every student a regime trains: shallow widths, the deep student, the equal-budget students (no repeats)."""
    names = [paths.shallow_student(w) for w in spec["shallow_widths"]]
    if spec["deep_student"]:
        names.append(paths.DEEP)
    names += spec.get("budget_students", [])
    return list(dict.fromkeys(names))


# --- restarts -----------------------------------------------------------------------------------


def restart_indices(config: Mapping[str, Any]) -> list[int]:
    """The restarts beyond the first initialisation: 1 .. restarts.count - 1 (none by default)."""
    return list(range(1, (config.get("restarts") or {}).get("count", 1)))


def restart_students(config: Mapping[str, Any], spec: Mapping[str, Any]) -> list[str]:
    """A regime's students that are also trained from restarts: its deep student, or (``restarts.students:
    multilayer``) every student on the deep schedule; none without restarts."""
    if not restart_indices(config):
        return []
    which = config["restarts"].get("students", "multilayer")
    return [n for n in regime_students(spec) if n == "deep" or (which == "multilayer" and uses_deep_schedule(n))]


# --- the tutorial's random stream ---------------------------------------------------------------


def stream_order(spec: Mapping[str, Any]) -> list[str]:
    """A regime's students in the order the tutorial draws their initial weights from the
    teacher's stream: the deep student, the shallow students by width, then the others."""
    names = ([paths.DEEP] if spec["deep_student"] else []) + [paths.shallow_student(w) for w in spec["shallow_widths"]]
    return list(dict.fromkeys(names + regime_students(spec)))


def preceding_students(spec: Mapping[str, Any], name: str, teacher: Mapping[str, int]) -> list[tuple[list[int], str]]:
    """(sizes, init) of the students whose initial weights the tutorial's stream draws before ``name``'s
    (all of the regime's, for a student not in it): ``students.student_generator``'s ``preceding``."""
    order = stream_order(spec)
    before = order[: order.index(name)] if name in order else order
    return [(student_sizes(other, teacher), spec["student_init"]) for other in before]


def stream(sizes: Sequence[int], sigma: float, data: Mapping[str, Any]) -> dict[str, Any]:
    """What replays a teacher's random stream (``students.student_generator``'s ``teacher``): its
    layer sizes and sigma_w, and the ``n_train`` and ``n_test`` points of ``data`` drawn from it."""
    return {"sizes": list(sizes), "sigma": sigma, "n_train": data["n_train"], "n_test": data["n_test"]}


def teacher_stream(config: Mapping[str, Any], regime: str) -> dict[str, Any]:
    """:func:`stream` of a regime's teachers."""
    return stream(teacher_sizes(regime_teacher(config, regime)), regimes(config)[regime]["sigma"], config["data"])


# --- batches ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One student of a batch: the teacher (regime, seed) it learns, and how its weights start.

    ``restart`` 0 is the student's first initialisation (from the tutorial's stream, under
    ``student_seeding: tutorial``); restart k > 0 draws from ``derived_seed(seed, name, "restart", k)``.
    """

    regime: str
    seed: int
    sigma: float
    teacher_sizes: tuple[int, ...]
    init: str
    preceding: tuple[tuple[tuple[int, ...], str], ...]  # for student_seeding: tutorial
    restart: int = 0

    @property
    def teacher_depth(self) -> int:
        return len(self.teacher_sizes) - 1

    def directory(self, student: str) -> str:
        """Where the member's files go (``paths.student_dir``)."""
        return paths.student_dir(self.regime, self.seed, student, self.restart)


@dataclass(frozen=True)
class Batch:
    """Students of one architecture, trained together by one job."""

    student: str
    members: tuple[Member, ...]
    sweep: bool = False  # the job of rule sweep_student (a teacher depth's sweep regimes at once)

    @property
    def regimes(self) -> list[str]:
        return list(dict.fromkeys(m.regime for m in self.members))

    @property
    def restarts(self) -> bool:
        return any(m.restart for m in self.members)

    @property
    def key(self) -> str:
        """The batch's name in log and checkpoint paths: ``{regime}/{student}``, ``sweep/depth{D}/{student}``
        for a sweep batch, with ``.restart{k}`` for a batch of restart k."""
        where = paths.sweep_batch(self.members[0].teacher_depth) if self.sweep else self.members[0].regime
        return paths.batch_key(where, self.student, self.members[0].restart)


def member(
    config: Mapping[str, Any],
    regime: str,
    seed: int,
    student: str,
    restart: int = 0,
    all_regimes: Mapping[str, Mapping[str, Any]] | None = None,
) -> Member:
    """``all_regimes``: :func:`regimes` of the config where the caller has it (a batch of many
    members would otherwise rebuild every sweep regime for each of them)."""
    spec = (all_regimes or regimes(config))[regime]
    teacher = {**config["teacher"], "depth": spec["teacher_depth"]}
    preceding = ()
    if config["student_seeding"] == "tutorial" and not restart:
        preceding = tuple((tuple(sizes), init) for sizes, init in preceding_students(spec, student, teacher))
    sizes = tuple(teacher_sizes(teacher))
    return Member(regime, int(seed), float(spec["sigma"]), sizes, spec["student_init"], preceding, restart)


def batch(
    config: Mapping[str, Any],
    student: str,
    regime_names: Sequence[str],
    restart: int = 0,
    sweep: bool = False,
    all_regimes: Mapping[str, Mapping[str, Any]] | None = None,
) -> Batch:
    """The batch training ``student`` for every seed of each of ``regime_names`` (regime-major) from
    its ``restart``-th initialisation; ``sweep``: the batch is a sweep_student job's."""
    every = all_regimes or regimes(config)
    members = tuple(member(config, r, s, student, restart, every) for r in regime_names for s in config["seeds"])
    return Batch(student, members, sweep)


def batches_by_sweep(config: Mapping[str, Any]) -> bool:
    """Whether one job trains a student for every sweep regime of a teacher depth at once (``batch: sweep``)."""
    return config.get("batch", "regime") == "sweep" and bool(sweep_regimes(config))


def batched_regimes(config: Mapping[str, Any]) -> list[str]:
    """Regimes whose students the per-regime batches train: all but the sweep's under ``batch: sweep``
    and the copied ones (:func:`copied_regimes`)."""
    skip = {**(sweep_regimes(config) if batches_by_sweep(config) else {}), **copied_regimes(config)}
    return [r for r in regimes(config) if r not in skip]


def copied_regimes(config: Mapping[str, Any]) -> dict[str, str]:
    """Named regimes that a sweep regime trains under its own name: ``{named: sweep regime}``.

    A teacher and its data follow from its depth, sigma and seed alone, so a named regime at a
    sweep's depth and sigma has the sweep regime's teachers. When every member it would train
    (each seed, student and restart) is also one of that sweep regime's, the same but for its
    name (initialisation and place in the tutorial's stream included), its students are copied
    from the sweep regime's (rule ``copy_student``) instead of trained again: the same numbers.
    (``configs/study.yaml``'s chaotic regime is ``depth5_sigma2.00``: 5 jobs, 5 min of CPU.)
    """
    sweep = sweep_regimes(config)
    out = {}
    for name, spec in config["regimes"].items():
        source = paths.sweep_regime(config["teacher"]["depth"], spec["sigma"])
        if source in sweep and _trains_within(config, name, source):
            out[name] = source
    return out


def _trains_within(config: Mapping[str, Any], name: str, source: str) -> bool:
    """Whether every member regime ``name`` trains is one of ``source``'s, but for the regime's name."""
    every = regimes(config)
    spec, other = every[name], every[source]
    students, restarts = regime_students(spec), restart_students(config, spec)
    if not set(students) <= set(regime_students(other)) or not set(restarts) <= set(restart_students(config, other)):
        return False
    wanted = [(s, 0) for s in students] + [(s, k) for s in restarts for k in restart_indices(config)]
    return all(
        replace(member(config, name, seed, s, k, every), regime=source) == member(config, source, seed, s, k, every)
        for s, k in wanted
        for seed in config["seeds"]
    )


def sweep_students(config: Mapping[str, Any], teacher_depth: int | None = None) -> list[str]:
    """The students every sweep regime of ``teacher_depth`` trains (all of one depth train the same
    ones); without a depth, those of any depth."""
    depths = sweep_teacher_depths(config) if teacher_depth is None else [teacher_depth]
    names = []
    for depth in depths:
        specs = list(sweep_regimes(config, depth).values())
        names += regime_students(specs[0]) if specs else []
    return list(dict.fromkeys(names))


def batches(config: Mapping[str, Any]) -> list[Batch]:
    """Every batch the workflow trains, one job each (each restart in a batch of its own)."""
    out = []
    restarts = restart_indices(config)
    every = regimes(config)
    for r in batched_regimes(config):
        spec = every[r]
        out += [batch(config, student, [r], all_regimes=every) for student in regime_students(spec)]
        out += [
            batch(config, student, [r], k, all_regimes=every)
            for student in restart_students(config, spec)
            for k in restarts
        ]
    if batches_by_sweep(config):
        for depth in sweep_teacher_depths(config):
            group = list(sweep_regimes(config, depth))
            spec = every[group[0]]
            out += [batch(config, student, group, sweep=True, all_regimes=every) for student in regime_students(spec)]
            out += [
                batch(config, student, group, k, True, every)
                for student in restart_students(config, spec)
                for k in restarts
            ]
    return out
