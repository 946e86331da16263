"""What each job asks a cluster for (memory, minutes) and its priority, from the config alone.

Calibrated on one core (torch 2.13 CPU, float64, the slower dtype, so the times hold for float32
too): a full-batch Adam step costs ~0.1 ms plus ~30 ns per (training point x hidden unit); a Python
process with torch loaded peaks at ~250 MB RSS; a Levenberg-Marquardt iteration costs about 4e-11 s
per (training point x weight^2), forming J^T J (0.1 s at width 135, 4000 points), plus about 1 ms.
Requests add a margin of 3x on time and 4x on arrays, and grow with each retry (``attempt``).
The methods take a job's wildcards (``regime`` or ``depth``, ``student``), as Snakemake passes them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from depthwidth.experiment import plan
from depthwidth.experiment.sizes import deep_sizes, n_parameters

STEP_OVERHEAD_S = 1e-4
SECONDS_PER_POINT_UNIT = 3e-8
TORCH_MB = 500
LM_SECONDS_PER_POINT_WEIGHT2 = 4e-11


def hidden_units(sizes) -> int:
    return sum(sizes[1:-1])


def job_regimes(config: Mapping[str, Any], wildcards) -> list[str]:
    """The regimes of a training job: its ``regime``, or for a sweep job (``batch: sweep``, no
    regime wildcard) every sweep regime of its teacher ``depth``."""
    regime = getattr(wildcards, "regime", None)
    return [regime] if regime is not None else list(plan.sweep_regimes(config, int(wildcards.depth)))


def job_batch(config: Mapping[str, Any], wildcards) -> plan.Batch:
    """The batch a training job trains (``plan.batch``): its student for every seed of its regimes,
    from the first initialisation or, for a restart rule's job, its ``restart``."""
    return plan.batch(
        config,
        wildcards.student,
        job_regimes(config, wildcards),
        int(getattr(wildcards, "restart", 0)),
        sweep=not hasattr(wildcards, "regime"),
    )


def job_teacher(config: Mapping[str, Any], wildcards) -> dict[str, int]:
    """The teacher shape of a job's regimes (one per job: a sweep job's regimes share a depth)."""
    return plan.regime_teacher(config, job_regimes(config, wildcards)[0])


class Requests:
    """The requests and priorities of the jobs of one ``config``."""

    def __init__(self, config: Mapping[str, Any]):
        self.config = config
        self.itemsize = {"float32": 4, "float64": 8}[config["dtype"]]
        self.n_rows = config["data"]["n_train"] + config["data"]["n_test"]
        self.regimes, self.sweep = plan.regimes(config), plan.sweep_regimes(config)
        self.batched = plan.batches_by_sweep(config)

    def _arrays_mb(self, n_rows: int, sizes, extra_bytes: int = 0) -> int:
        """MB for a forward and backward pass of ``n_rows`` points through ``sizes``, plus extra."""
        # per point: input, output, and each hidden unit's activation and derivative
        per_row = sizes[0] + sizes[-1] + 2 * hidden_units(sizes)
        return math.ceil(4 * (n_rows * per_row * self.itemsize + extra_bytes) / 1e6)

    def _step_s(self, sizes) -> float:
        return STEP_OVERHEAD_S + SECONDS_PER_POINT_UNIT * self.config["data"]["n_train"] * hidden_units(sizes)

    def _student_sizes(self, wildcards):
        return plan.student_sizes(wildcards.student, job_teacher(self.config, wildcards))

    def student_runtime(self, wildcards, attempt: int) -> int:
        """Minutes for training a batch: students x steps x per-step cost, 3x margin, 5 min to start."""
        steps = plan.total_steps(wildcards.student, self.config)
        students = len(job_batch(self.config, wildcards).members)
        return attempt * (5 + math.ceil(3 * students * steps * self._step_s(self._student_sizes(wildcards)) / 60))

    def student_priority(self, wildcards) -> int:
        """Longest batches first (their estimated minutes): started last, the deep student alone
        would set the wall time of a run on few cores."""
        return self.student_runtime(wildcards, 1)

    def teacher_priority(self, wildcards) -> int:
        """A teacher goes before the students waiting for it, and so before every job that is not training."""
        spec = self.regimes[wildcards.regime]
        if self.batched and wildcards.regime in self.sweep:
            job = dict(depth=str(spec["teacher_depth"]))
        else:
            job = dict(regime=wildcards.regime)
        students = plan.regime_students(spec)
        return 1 + max(self.student_priority(SimpleNamespace(**job, student=s)) for s in students)

    def student_mem_mb(self, wildcards, attempt: int) -> int:
        """MB for training a batch: per student, data and activations of train and test sets,
        weights with their gradient and Adam moments, and the per-step loss history."""
        sizes = self._student_sizes(wildcards)
        extra = (4 * n_parameters(sizes) + plan.total_steps(wildcards.student, self.config)) * self.itemsize
        students = len(job_batch(self.config, wildcards).members)
        return attempt * (TORCH_MB + students * self._arrays_mb(self.n_rows, sizes, extra))

    def teacher_mem_mb(self, wildcards, attempt: int) -> int:
        """MB for drawing a teacher and labelling its train and test sets."""
        sizes = plan.teacher_sizes(plan.regime_teacher(self.config, wildcards.regime))
        return attempt * (TORCH_MB + self._arrays_mb(self.n_rows, sizes))

    def expressivity_mem_mb(self, wildcards, attempt: int) -> int:
        """MB for the circle's path through every hidden layer of each regime's net (all kept)."""
        e = self.config["expressivity"]
        trajectories = len(e["regimes"]) * e["points"] * hidden_units(deep_sizes(2, e["width"], e["depth"]))
        return attempt * (TORCH_MB + math.ceil(4 * trajectories * 8 / 1e6))  # float64 while computed

    def _polish_weights(self, wildcards) -> int:
        student = getattr(wildcards, "student", "deep")
        return n_parameters(plan.student_sizes(student, plan.regime_teacher(self.config, wildcards.regime)))

    def _lm_iteration_s(self, wildcards) -> float:
        n = self.config["data"]["n_train"]
        return 1e-3 + LM_SECONDS_PER_POINT_WEIGHT2 * n * self._polish_weights(wildcards) ** 2

    def polish_runtime(self, wildcards, attempt: int) -> int:
        """Minutes for a polish job: every seed's iterations at most, 3x margin, 5 min to start."""
        seeds, iterations = len(self.config["seeds"]), self.config["polish"]["max_iterations"]
        return attempt * (5 + math.ceil(3 * seeds * iterations * self._lm_iteration_s(wildcards) / 60))

    def search_runtime(self, wildcards, attempt: int) -> int:
        """Minutes for a search job: every seed's starts at most (warm-up and iterations), 3x margin."""
        polish = self.config["polish"]
        sizes = plan.teacher_sizes(plan.regime_teacher(self.config, wildcards.regime))
        start_s = polish["search_warmup_steps"] * self._step_s(sizes)
        start_s += polish["search_max_iterations"] * self._lm_iteration_s(wildcards)
        return attempt * (5 + math.ceil(3 * len(self.config["seeds"]) * polish["search_starts"] * start_s / 60))

    def polish_mem_mb(self, wildcards, attempt: int) -> int:
        """MB for J, the normal equations and their copies, 4x margin, plus a torch process."""
        weights, n = self._polish_weights(wildcards), self.config["data"]["n_train"]
        return attempt * (TORCH_MB + math.ceil(4 * 8 * (3 * n * weights + 4 * weights**2) / 1e6))
