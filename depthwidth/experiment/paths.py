"""Where every file of a run lives, and the names of students and generated regimes.

One function per kind of file under ``results/`` (as pypsa-eur's ``resources()`` and ``logs()``):
the rules, the input functions, the scripts' tables, the summary and the benchmark all name files
through them, and no other code spells a results path or builds a student name. Each function takes
values or Snakemake wildcard patterns alike: ``student_file("metrics.json")`` is the pattern
``results/{regime}/seed{seed}/{student}/metrics.json``, ``student_file("metrics.json", "chaotic", -1,
"deep")`` one file. The layout itself is documented in docs/outputs.md.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

RESULTS = "results"

# --- names ----------------------------------------------------------------------------------------

# a student's name says its shape: shallow_w<width> (one hidden layer), deep (the teacher's shape),
# d<depth>_w<width> (depth layers counting the input, equal-budget students)
STUDENT_PATTERN = r"shallow_w\d+|deep|d\d+_w\d+"
DEEP = "deep"
_SHALLOW = re.compile(r"shallow_w(\d+)")
_STACKED = re.compile(r"d(\d+)_w(\d+)")


def shallow_student(width: int | str) -> str:
    """The name of a one-hidden-layer student of ``width`` units."""
    return f"shallow_w{width}"


def stacked_student(depth: int, width: int) -> str:
    """The name of a student of ``depth`` layers (counting the input) of hidden ``width``."""
    return f"d{depth}_w{width}"


def is_shallow(name: str) -> bool:
    """Whether ``name`` is a ``shallow_w<width>`` student (one hidden layer)."""
    return bool(_SHALLOW.fullmatch(name))


def is_stacked(name: str) -> bool:
    """Whether ``name`` is a ``d<depth>_w<width>`` student (an equal-budget one)."""
    return bool(_STACKED.fullmatch(name))


def parse_student(name: str) -> tuple[int, int] | None:
    """``(depth, width)`` of a shallow or stacked student's name, ``None`` for ``deep``; ValueError otherwise."""
    if name == DEEP:
        return None
    if match := _SHALLOW.fullmatch(name):
        return 2, int(match[1])
    if (match := _STACKED.fullmatch(name)) and int(match[1]) >= 2 and int(match[2]) >= 1:
        return int(match[1]), int(match[2])
    raise ValueError(f"unknown student {name!r}: expected shallow_w<width>, deep or d<depth>_w<width> (depth >= 2)")


def sweep_regime(teacher_depth: int | str, sigma: float) -> str:
    """The name of the regime the ``sweep`` section generates for a teacher depth and sigma."""
    return f"depth{teacher_depth}_sigma{sigma:.2f}"


# --- a seed's files -------------------------------------------------------------------------------


def seed_dir(regime: str = "{regime}", seed: int | str = "{seed}") -> str:
    return f"{RESULTS}/{regime}/seed{seed}"


def teacher_file(name: str, regime: str = "{regime}", seed: int | str = "{seed}") -> str:
    """``teacher.pt``, ``teacher.pt.json`` or ``data.npz`` of a regime's teacher of one seed."""
    return f"{seed_dir(regime, seed)}/{name}"


def student_dir(
    regime: str = "{regime}", seed: int | str = "{seed}", student: str = "{student}", restart: int | str = 0
) -> str:
    """A student's folder; restart k > 0 (or the pattern ``{restart}``) below it in ``restart<k>``."""
    base = f"{seed_dir(regime, seed)}/{student}"
    return f"{base}/restart{restart}" if restart not in (0, "0", None) else base


def student_file(
    name: str,
    regime: str = "{regime}",
    seed: int | str = "{seed}",
    student: str = "{student}",
    restart: int | str = 0,
) -> str:
    """A student's file: ``student.pt`` (+ ``.json``), ``metrics.json``, ``loss.npz``, ``polish.json``,
    ``polished.pt`` (+ ``.json``), ``search.json``; the linear reference's ``metrics.json`` as ``linear``."""
    return f"{student_dir(regime, seed, student, restart)}/{name}"


_STUDENT_FILE = re.compile(
    r"(?:^|/)" + re.escape(RESULTS) + r"/(?P<regime>[^/]+)/seed(?P<seed>-?\d+)/(?P<student>[^/]+)"
    r"(?:/restart(?P<restart>\d+))?/(?P<name>[^/]+)$"
)


def parse_student_file(path: str) -> dict | None:
    """``regime``, ``seed``, ``student``, ``restart`` (None for the first initialisation) and file ``name``
    of a :func:`student_file` path, or None for another path."""
    match = _STUDENT_FILE.search(str(PurePosixPath(path)))
    if match is None:
        return None
    return {
        "regime": match["regime"],
        "seed": int(match["seed"]),
        "student": match["student"],
        "restart": int(match["restart"]) if match["restart"] else None,
        "name": match["name"],
    }


# --- a regime's and the run's files ---------------------------------------------------------------


def scaling_fit(regime: str = "{regime}") -> str:
    return f"{RESULTS}/{regime}/scaling_fit.json"


def expressivity(name: str) -> str:
    """``trajectories.npz``, ``lengths.tsv`` or ``length_vs_depth.tsv`` of the random nets."""
    return f"{RESULTS}/expressivity/{name}"


FIGURES = f"{RESULTS}/figures"


def figure(name: str, ext: str) -> str:
    """A figure's file: ``png``, ``pdf``, ``tsv`` (the plotted numbers), ``gif`` or ``html``."""
    return f"{FIGURES}/{name}.{ext}"


def summary(ext: str) -> str:
    """The table of every student and fit: ``tsv`` or ``html``."""
    return f"{RESULTS}/summary.{ext}"


REPORT = f"{RESULTS}/report.html"


def is_result(path: str) -> bool:
    """A table or figure a user reads (the end-of-run message lists those it made)."""
    return (path.startswith(f"{FIGURES}/") and path.endswith((".png", ".gif", ".tsv"))) or path.startswith(
        f"{RESULTS}/summary."
    )


def batch_key(where: str, student: str, restart: int = 0) -> str:
    """A training batch's name in log and checkpoint paths: ``{regime}/{student}`` or
    ``sweep/depth{D}/{student}``, with ``.restart{k}`` for restart k."""
    return f"{where}/{student}" + (f".restart{restart}" if restart not in (0, "0", None) else "")


def sweep_batch(teacher_depth: int | str = "{depth}") -> str:
    """Where a sweep batch (every sweep regime of one teacher depth) names its log and checkpoint."""
    return f"sweep/depth{teacher_depth}"


def checkpoint(key: str) -> str:
    """A training batch's checkpoint (:func:`batch_key`); deleted once the run succeeds."""
    return f"{RESULTS}/checkpoints/{key}.checkpoint.pt"


def search_journal(regime: str = "{regime}") -> str:
    """A search job's journal of finished starts; deleted once the run succeeds."""
    return f"{RESULTS}/checkpoints/{regime}/deep.search.json"


def log(*parts: str) -> str:
    """A job's log: ``log("{regime}", "teacher")`` is ``results/logs/{regime}/teacher.log``."""
    return f"{RESULTS}/logs/{'/'.join(parts)}.log"


def benchmark(*parts: str) -> str:
    """A job's time and memory, as Snakemake's ``benchmark:`` writes them."""
    return f"{RESULTS}/benchmarks/{'/'.join(parts)}.tsv"


def marker(name: str) -> str:
    """An empty file a rule writes only to order other rules (e.g. the summary's upstream check)."""
    return f"{RESULTS}/logs/{name}"


def store_root() -> str:
    """The store of finished students (``depthwidth.jobs.store``)."""
    return f"{RESULTS}/store/students"


def store_entry(key: str) -> str:
    """A stored student's folder: its files under its key."""
    return f"{store_root()}/{key[:2]}/{key}"
