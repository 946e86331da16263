"""The files a config makes, by kind: what the rules ask for as inputs and the named targets.

Torch-free, from the config alone (through :mod:`plan` and :mod:`paths`), so that Snakemake,
the tests and the benchmark list the same files. ``workflow/rules/common.smk`` holds one
:class:`Targets` of the run's config.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from depthwidth.experiment import paths, plan

# Why a figure may be missing from a config's results, for the message naming it as a target.
FIGURE_NEEDS = {
    "deep_loss": "a named regime with deep_student: true",
    "error_vs_width": "a named regime with at least two shallow_widths",
    "mean_field": "nonlinearity: tanh",
    "phase_diagram": "nonlinearity: tanh",
    "trajectory_length": "nonlinearity: tanh",
    "sweep_error": "a `sweep` section with sigmas (e.g. --configfile configs/study.yaml)",
    "equal_budget": "a `sweep` section with sigmas and budget_depths (configs/study.yaml)",
    "sweep_scaling": "a `sweep` section with sigmas and at least two shallow_widths (configs/study.yaml)",
    "study": "nonlinearity: tanh, or a `sweep` section with sigmas (configs/study.yaml)",
    "depth_error": "a `sweep` section with sigmas and two or more teacher_depths (configs/depth.yaml)",
    "depth_scaling": "a `sweep` with two or more teacher_depths and at least two shallow_widths (configs/depth.yaml)",
    "depth_deep": "a `sweep` with two or more teacher_depths and deep_student: true (configs/depth.yaml)",
}

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

    # --- figures and the named targets ---

    def tutorial_figures(self) -> list[str]:
        names = ["predictions", "expressivity"]
        if self.deep_regimes(self.named):
            names.append("deep_loss")
        if self.fitted_regimes(self.named):
            names.append("error_vs_width")
        return names

    def study_figures(self) -> list[str]:
        """Figures of the study: the cheap theory ones always (tanh), the sweep's when it lists sigmas."""
        names = ["mean_field", "phase_diagram", "trajectory_length"] if self.config["nonlinearity"] == "tanh" else []
        if self.sweep:
            names.append("sweep_error")
            if self.budget_students:
                names.append("equal_budget")
            if self.fitted_regimes(self.sigma_regimes):
                names.append("sweep_scaling")
        if len(self.sweep_depths) > 1:
            names.append("depth_error")
            if self.fitted_regimes(self.sweep):
                names.append("depth_scaling")
            if self.config["sweep"]["deep_student"]:
                names.append("depth_deep")
        return names

    def tutorial_outputs(self) -> list[str]:
        """The tutorial's figures, the animation and the summary table (``snakemake tutorial``)."""
        return [
            paths.summary("tsv"),
            paths.summary("html"),
            paths.figure("expressivity", "gif"),
            paths.figure("expressivity_animation", "html"),
        ] + [paths.figure(n, ext) for n in self.tutorial_figures() for ext in ("png", "pdf")]

    def study_outputs(self) -> list[str]:
        """The order-to-chaos figures and their tables (``snakemake study``)."""
        return [paths.figure(n, ext) for n in self.study_figures() for ext in ("png", "pdf", "tsv")]

    def all_outputs(self) -> list[str]:
        return self.tutorial_outputs() + self.study_outputs()

    def undefined(self, name: str) -> str:
        """Why ``name`` (a figure or target) is not a result of this config, and what it makes."""
        return (
            f"{name} is not a result of this config: it needs {FIGURE_NEEDS[name]}.\nThis config makes: "
            + ", ".join(["summary", *self.tutorial_figures(), *self.study_figures()])
            + " (targets: all, tutorial, study, figures)."
        )

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
