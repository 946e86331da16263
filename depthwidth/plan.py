"""The experiment's plan, written once: regimes, students, schedules, random streams and batches.

Everything here follows from the validated config (defaults filled) alone and imports no torch,
so Snakemake's planning (``workflow/rules/*.smk``), the job scripts and the benchmark all read
the same definitions.

- **Regimes**: the config's named ``regimes`` plus those its ``sweep`` section generates,
  ``sigma<sigma:.2f>`` (``sigma0.40``), each with ``budget_students``: students of several
  depths whose parameter count is close to ``sweep.budget``.
- **Students** are named by architecture, one name per architecture: ``shallow_w<W>`` (one
  hidden layer of W units), ``deep`` (the teacher's shape) and ``d<D>_w<W>`` (D layers counting
  the input, D - 1 hidden layers of W units, like the teacher's ``depth``). A depth-2 net is
  always ``shallow_w<W>`` and the teacher's shape always ``deep``.
- **Schedules**: one Adam phase for a student with one hidden layer, the ``deep`` section's
  phases for every other.
- **Streams**: with ``student_seeding: tutorial`` a student's initial weights come from its
  teacher's generator after the teacher, its data and the students the tutorial draws first
  (the deep student, then the shallow ones by width).
- **Batches**: the students one job trains together, all of one architecture and schedule:
  by default one batch per regime and student over every seed; with ``batch: sweep`` one
  batch per student over every sweep regime and seed as well.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .config import ConfigError
from .sizes import deep_sizes, n_parameters, shallow_sizes

STUDENT_PATTERN = r"shallow_w\d+|deep|d\d+_w\d+"
_DEPTH_WIDTH = re.compile(r"d(\d+)_w(\d+)")
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
        return f"shallow_w{width}"
    if deep_sizes(teacher["n_in"], width, depth) == teacher_sizes(teacher):
        return "deep"
    return f"d{depth}_w{width}"


def student_sizes(name: str, teacher: Mapping[str, int]) -> list[int]:
    """Layer sizes of a named student (see the module docstring)."""
    if name == "deep":
        return teacher_sizes(teacher)
    if name.startswith("shallow_w") and name[len("shallow_w") :].isdigit():
        return shallow_sizes(teacher["n_in"], int(name[len("shallow_w") :]))
    match = _DEPTH_WIDTH.fullmatch(name)
    if match and int(match[1]) >= 2 and int(match[2]) >= 1:
        return deep_sizes(teacher["n_in"], int(match[2]), int(match[1]))
    raise ValueError(f"unknown student {name!r}: expected shallow_w<width>, deep or d<depth>_w<width> (depth >= 2)")


def uses_deep_schedule(name: str, teacher: Mapping[str, int]) -> bool:
    """The deep student and every student with more than one hidden layer train on the deep config's phases."""
    return name == "deep" or len(student_sizes(name, teacher)) > 3


def phased_schedule(phases: int, steps_per_phase: int, lr: float, lr_decay: float) -> tuple[Phase, ...]:
    """``phases`` phases of ``steps_per_phase`` steps, the learning rate divided by ``lr_decay`` each phase."""
    return tuple(Phase(steps_per_phase, lr / lr_decay**k) for k in range(phases))


def schedule(name: str, config: Mapping[str, Any]) -> tuple[Phase, ...]:
    """A student's phases: the ``deep`` section's for more than one hidden layer, else ``shallow``'s one."""
    if uses_deep_schedule(name, config["teacher"]):
        d = config["deep"]
        return phased_schedule(d["phases"], d["steps_per_phase"], d["lr"], d["lr_decay"])
    return (Phase(config["shallow"]["steps"], config["shallow"]["lr"]),)


def total_steps(name: str, config: Mapping[str, Any]) -> int:
    return sum(p.steps for p in schedule(name, config))


# --- regimes ------------------------------------------------------------------------------------


def regime_name(sigma: float) -> str:
    return f"sigma{sigma:.2f}"


def budget_width(n_in: int, depth: int, budget: int) -> int:
    """The hidden width whose depth-``depth`` bias-free net has the parameter count nearest ``budget``.

    Ties go to the smaller net (e.g. 105 parameters at depth 2: width 17 with 102 over 18 with 108).
    """
    best, best_gap = 1, None
    for width in range(1, budget + 1):
        gap = abs(n_parameters(deep_sizes(n_in, width, depth)) - budget)
        if best_gap is None or gap < best_gap:
            best, best_gap = width, gap
        elif n_parameters(deep_sizes(n_in, width, depth)) > budget:
            break
    return best


def sweep_budget(config: Mapping[str, Any]) -> int:
    budget = config["sweep"].get("budget")
    return int(budget) if budget else n_parameters(teacher_sizes(config["teacher"]))


def budget_students(config: Mapping[str, Any]) -> list[str]:
    """Names of the equal-budget students of ``sweep.budget_depths``, in depth order."""
    teacher = config["teacher"]
    budget = sweep_budget(config)
    return [
        student_name(d, budget_width(teacher["n_in"], d, budget), teacher)
        for d in sorted(config["sweep"].get("budget_depths", []))
    ]


def sweep_regimes(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The regimes ``sigma<sigma>`` that the ``sweep`` section generates (none when it lists no sigmas)."""
    sweep = config.get("sweep") or {}
    students = budget_students(config) if sweep.get("sigmas") else []
    return {
        regime_name(s): {
            "sigma": float(s),
            "shallow_widths": list(sweep["shallow_widths"]),
            "deep_student": bool(sweep["deep_student"]),
            "student_init": sweep["student_init"],
            "budget_students": students,
        }
        for s in sweep.get("sigmas", [])
    }


def regimes(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every regime trained: the named ones, then the sweep's."""
    return {**config["regimes"], **sweep_regimes(config)}


def regime_students(spec: Mapping[str, Any]) -> list[str]:
    """Every student a regime trains: shallow widths, the deep student, the equal-budget students (no repeats)."""
    names = [f"shallow_w{w}" for w in spec["shallow_widths"]]
    if spec["deep_student"]:
        names.append("deep")
    names += spec.get("budget_students", [])
    return list(dict.fromkeys(names))


def check_sweep(config: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` for a sweep that would clash or starve a student of data."""
    sweep = config.get("sweep") or {}
    sigmas = sweep.get("sigmas", [])
    if not sigmas:
        return
    names = [regime_name(s) for s in sigmas]
    if len(set(names)) != len(names):
        raise ConfigError(f"sweep.sigmas: {sigmas} give repeated regime names {names} (sigmas are named to 2 decimals)")
    clash = set(names) & set(config["regimes"])
    if clash:
        raise ConfigError(f"sweep.sigmas: regime names {sorted(clash)} are already in regimes")
    widths = sweep["shallow_widths"]
    if list(widths) != sorted(set(widths)):
        raise ConfigError(f"sweep.shallow_widths: must be strictly increasing, got {widths}")
    if config["nonlinearity"] != "tanh":
        raise ConfigError(
            f"sweep: its figures use the tanh mean-field theory, but nonlinearity is {config['nonlinearity']!r}"
        )
    spec = next(iter(sweep_regimes(config).values()))
    n_train, floor = config["data"]["n_train"], config["min_points_per_parameter"]
    for name in regime_students(spec):
        params = n_parameters(student_sizes(name, config["teacher"]))
        if n_train / params <= floor:
            raise ConfigError(
                f"sweep: student {name} has {params} parameters, so data.n_train={n_train} gives "
                f"{n_train / params:.2f} training points per parameter, below min_points_per_parameter={floor}"
            )


# --- the tutorial's random stream ---------------------------------------------------------------


def stream_order(spec: Mapping[str, Any]) -> list[str]:
    """A regime's students in the order the tutorial draws their initial weights from the
    teacher's stream: the deep student, the shallow students by width, then the others."""
    names = (["deep"] if spec["deep_student"] else []) + [f"shallow_w{w}" for w in spec["shallow_widths"]]
    return list(dict.fromkeys(names + regime_students(spec)))


def preceding_students(spec: Mapping[str, Any], name: str, teacher: Mapping[str, int]) -> list[tuple[list[int], str]]:
    """(sizes, init) of the students whose initial weights the tutorial's stream draws before ``name``'s
    (all of the regime's, for a student not in it): ``students.student_generator``'s ``preceding``."""
    order = stream_order(spec)
    before = order[: order.index(name)] if name in order else order
    return [(student_sizes(other, teacher), spec["student_init"]) for other in before]


def teacher_stream(config: Mapping[str, Any], regime: str) -> dict[str, Any]:
    """What replays a teacher's random stream (``students.student_generator``'s ``teacher``)."""
    return {
        "sizes": teacher_sizes(config["teacher"]),
        "sigma": regimes(config)[regime]["sigma"],
        "n_train": config["data"]["n_train"],
        "n_test": config["data"]["n_test"],
    }


# --- batches ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One student of a batch: the teacher (regime, seed) it learns, and how its weights start."""

    regime: str
    seed: int
    sigma: float
    init: str
    preceding: tuple[tuple[tuple[int, ...], str], ...]  # for student_seeding: tutorial


@dataclass(frozen=True)
class Batch:
    """Students of one architecture, trained together by one job."""

    student: str
    members: tuple[Member, ...]

    @property
    def regimes(self) -> list[str]:
        return list(dict.fromkeys(m.regime for m in self.members))


def member(config: Mapping[str, Any], regime: str, seed: int, student: str) -> Member:
    spec = regimes(config)[regime]
    preceding = ()
    if config["student_seeding"] == "tutorial":
        preceding = tuple((tuple(sizes), init) for sizes, init in preceding_students(spec, student, config["teacher"]))
    return Member(regime, int(seed), float(spec["sigma"]), spec["student_init"], preceding)


def batch(config: Mapping[str, Any], student: str, regime_names: Sequence[str]) -> Batch:
    """The batch training ``student`` for every seed of each of ``regime_names`` (regime-major)."""
    return Batch(student, tuple(member(config, r, s, student) for r in regime_names for s in config["seeds"]))


def batches_by_sweep(config: Mapping[str, Any]) -> bool:
    """Whether one job trains a student for every sweep regime at once (``batch: sweep``)."""
    return config.get("batch", "regime") == "sweep" and bool(sweep_regimes(config))


def batched_regimes(config: Mapping[str, Any]) -> list[str]:
    """Regimes whose students the per-regime batches train (all but the sweep's under ``batch: sweep``)."""
    skip = sweep_regimes(config) if batches_by_sweep(config) else {}
    return [r for r in regimes(config) if r not in skip]


def sweep_students(config: Mapping[str, Any]) -> list[str]:
    """The students every sweep regime trains (they all train the same ones)."""
    specs = list(sweep_regimes(config).values())
    return regime_students(specs[0]) if specs else []


def batches(config: Mapping[str, Any]) -> list[Batch]:
    """Every batch the workflow trains, one job each."""
    out = [
        batch(config, student, [r]) for r in batched_regimes(config) for student in regime_students(regimes(config)[r])
    ]
    if batches_by_sweep(config):
        out += [batch(config, student, list(sweep_regimes(config))) for student in sweep_students(config)]
    return out
