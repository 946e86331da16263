"""The files a config makes, by kind: what the rules ask for as inputs.

Torch-free, from the config alone (through :mod:`plan` and :mod:`paths`), so that Snakemake,
the tests and the benchmark list the same files. ``workflow/rules/common.smk`` holds one
:class:`Targets` of the run's config.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from depthwidth.experiment import paths, plan

Regimes = Mapping[str, Mapping[str, Any]] | list[str]


class Targets:
    """The files of one validated ``config``."""

    def __init__(self, config: Mapping[str, Any]):
        self.config = config
        self.named = config["regimes"]
        self.sweep = plan.sweep_regimes(config)
        self.regimes = plan.regimes(config)
        self.seeds = config["seeds"]
        self.sweep_depths = plan.sweep_teacher_depths(config) if self.sweep else []
        # the sigma figures show the sweep at one teacher depth (plan.sigma_sweep_depth)
        self.sigma_depth = plan.sigma_sweep_depth(config)
        self.sigma_regimes = plan.sweep_regimes(config, self.sigma_depth)
        self.budget_students = plan.budget_students(config, self.sigma_depth) if self.sweep else []
        self.restarts = plan.restart_indices(config)
        self.polish = config["polish"]

    def _specs(self, regimes: Regimes | None, default: Mapping | None = None) -> Mapping[str, Mapping[str, Any]]:
        """``regimes`` (a mapping, or names of this config's regimes) as a mapping; ``default`` (all) if None."""
        if regimes is None:
            return self.regimes if default is None else default
        return regimes if isinstance(regimes, Mapping) else {r: self.regimes[r] for r in regimes}

    # --- regimes ---

    def fitted_regimes(self, regimes: Regimes | None = None) -> list[str]:
        """Regimes (of ``regimes``, default all) with at least two shallow widths: those a scaling fit is made for."""
        return [r for r, spec in self._specs(regimes).items() if len(spec["shallow_widths"]) >= 2]

    def deep_regimes(self, regimes: Regimes | None = None) -> list[str]:
        return [r for r, spec in self._specs(regimes).items() if spec["deep_student"]]

    # --- students' files ---

    def student_files(self, name: str, regimes: Regimes | None = None, shallow: bool = False) -> list[str]:
        """File ``name`` of every student (only the shallow ones with ``shallow``) of the ``regimes``
        (default all), every seed, first initialisation."""
        return [
            paths.student_file(name, r, s, student)
            for r, spec in self._specs(regimes).items()
            for s in self.seeds
            for student in (
                map(paths.shallow_student, spec["shallow_widths"]) if shallow else plan.regime_students(spec)
            )
        ]

    def restart_files(self, name: str, regimes: Regimes | None = None) -> list[str]:
        """File ``name`` of every restart of every restart student of the ``regimes`` (default all), every seed."""
        return [
            paths.student_file(name, r, s, student, k)
            for r, spec in self._specs(regimes).items()
            for s in self.seeds
            for student in plan.restart_students(self.config, spec)
            for k in self.restarts
        ]

    def deep_files(self, name: str, regimes: Regimes | None = None, restarts: bool = False) -> list[str]:
        """File ``name`` of the deep student of each of the ``regimes`` (default the named) and seed,
        with every restart (``restarts``)."""
        files = []
        for r in self.deep_regimes(self._specs(regimes, self.named)):
            for s in self.seeds:
                files.append(paths.student_file(name, r, s, paths.DEEP))
                if restarts and paths.DEEP in plan.restart_students(self.config, self.regimes[r]):
                    files += [paths.student_file(name, r, s, paths.DEEP, k) for k in self.restarts]
        return files

    def widest_files(self, name: str) -> list[str]:
        """File ``name`` of each named regime's widest shallow student, first seed (the prediction plot)."""
        return [
            paths.student_file(name, r, self.seeds[0], paths.shallow_student(max(spec["shallow_widths"])))
            for r, spec in self.named.items()
        ]

    def linear_files(self, regimes: Regimes | None = None) -> list[str]:
        """The linear reference's metrics of each of the ``regimes`` (default the sigma figures') and seed."""
        return [
            paths.student_file("metrics.json", r, s, "linear")
            for r in self._specs(regimes, self.sigma_regimes)
            for s in self.seeds
        ]

    def teacher_files(self) -> list[str]:
        return [
            paths.teacher_file(name, r, s)
            for r in self.regimes
            for s in self.seeds
            for name in ("data.npz", "teacher.pt", "teacher.pt.json")
        ]

    def polish_records(self) -> list[str]:
        """polish.json of every student of the first initialisation, when the config polishes."""
        return self.student_files("polish.json") if self.polish["enabled"] else []

    def search_records(self) -> list[str]:
        """search.json of every deep student, when the config searches."""
        if not (self.polish["enabled"] and self.polish["search_starts"]):
            return []
        return [paths.student_file("search.json", r, s, paths.DEEP) for r in self.deep_regimes() for s in self.seeds]

    def scaling_fits(self, regimes: Regimes | None = None) -> list[str]:
        return [paths.scaling_fit(r) for r in self.fitted_regimes(regimes)]

    # --- what a successful run deletes ---

    def finished_checkpoints(self) -> list[str]:
        """Checkpoints of the batches, and search journals, whose outputs all exist."""
        training = [
            paths.checkpoint(b.key)
            for b in plan.batches(self.config)
            if all(Path(m.directory(b.student), "metrics.json").exists() for m in b.members)
        ]
        searches = [
            paths.search_journal(r)
            for r in self.deep_regimes()
            if all(Path(paths.student_file("search.json", r, s, paths.DEEP)).exists() for s in self.seeds)
        ]
        return training + searches
