"""After a completed run, a change reruns the rule it concerns and what depends on it, nothing else.

Dry runs (``-n``) against the session's completed smoke run: a changed parameter (Snakemake's
``params`` trigger), a touched package module (rules list the modules they run as inputs via
``package(...)`` in common.smk) and an edited script (the ``code`` trigger). The job counts per
rule are compared whole, so a rule rerun without cause fails the test as much as one missed.
(``--list-changes params`` is not used: Snakemake 9.27 lists outputs of unchanged jobs too.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from conftest import Run, job_counts, merged


def dry_run(run: Run, *args: str) -> dict[str, int]:
    proc = run.snakemake("-n", *args, cores=1)
    return job_counts(proc.stdout)


def with_changes(run: Run, tmp_path: Path, overlay: dict) -> Run:
    configfile = tmp_path / "changed.yaml"
    configfile.write_text(yaml.safe_dump(merged(run.config(), overlay)))
    return Run(run.repo, run.workdir, configfile)


def test_completed_run_has_nothing_to_do(smoke_run):
    proc = smoke_run.snakemake("-n", cores=1)
    assert job_counts(proc.stdout) == {}
    assert "Nothing to be done" in proc.stdout + proc.stderr


# smoke: chaotic (widths 5, 15, 45 and a deep student) and quasilinear (width 10), seeds -1 and 7;
# one teacher job per regime and one student job per regime and student, for both seeds
PARAM_CHANGES = {
    "shallow steps": (
        {"shallow": {"steps": 201}},
        {"student": 4, "scaling_fit": 1, "summary": 1, "figure_error_vs_width": 1, "figure_predictions": 1, "all": 1},
    ),
    "one regime's sigma": (
        {"regimes": {"quasilinear": {"sigma": 0.5}}},
        {
            "teacher": 1,
            "student": 1,
            "summary": 1,
            "figure_predictions": 1,
            "expressivity": 1,
            "figure_expressivity": 1,
            "phase_diagram": 1,
            "all": 1,
        },
    ),
    # the width figure draws the deep student's error as a reference line
    "deep learning rate": (
        {"deep": {"lr": 0.02}},
        {"student": 1, "summary": 1, "figure_deep_loss": 1, "figure_error_vs_width": 1, "all": 1},
    ),
    "expressivity points": ({"expressivity": {"points": 61}}, {"expressivity": 1, "figure_expressivity": 1, "all": 1}),
    "figure style": (
        {"figures": {"xkcd": True}},
        {
            "figure_deep_loss": 1,
            "figure_error_vs_width": 1,
            "figure_predictions": 1,
            "figure_expressivity": 1,
            "mean_field": 1,
            "phase_diagram": 1,
            "figure_trajectory_length": 1,
            "all": 1,
        },
    ),
}


@pytest.mark.parametrize("change", PARAM_CHANGES)
def test_changed_parameter_reruns_its_rule_and_dependents_only(change, smoke_run, tmp_path):
    overlay, expected = PARAM_CHANGES[change]
    assert dry_run(with_changes(smoke_run, tmp_path, overlay)) == expected


class edited:
    """Append a comment to a file as an editor would (new content, new mtime), then restore it exactly.

    Snakemake decides by mtime, newer input than output; for an input whose content it has a
    checksum of, a newer mtime with unchanged content is no change (``touch=True``).
    """

    def __init__(self, path: Path, touch: bool = False):
        self.path, self.touch = path, touch

    def __enter__(self):
        self.original, self.stat = self.path.read_bytes(), self.path.stat()
        if self.touch:  # newer, same content
            later = self.stat.st_mtime + 3600
            os.utime(self.path, (later, later))
        else:
            self.path.write_bytes(self.original + b"# a change\n")
        return self

    def __exit__(self, *exc):
        self.path.write_bytes(self.original)
        os.utime(self.path, ns=(self.stat.st_atime_ns, self.stat.st_mtime_ns))


# modules in the package's subpackages: a rule's code inputs follow its script's imports through them
MODULE_CHANGES = {
    "analysis/scaling": {"scaling_fit": 1, "summary": 1, "figure_error_vs_width": 1, "all": 1},
    "presentation/figures": {
        "figure_deep_loss": 1,
        "figure_error_vs_width": 1,
        "figure_predictions": 1,
        "figure_expressivity": 1,
        "mean_field": 1,
        "phase_diagram": 1,
        "figure_trajectory_length": 1,
        "all": 1,
    },
    # the native loop's C source, a companion of training/native.py: every training job and all after
    "training/native/step.h": None,
}


@pytest.mark.parametrize("module", MODULE_CHANGES)
def test_package_change_reruns_the_rules_that_use_it(module, smoke_run):
    path = smoke_run.repo / "depthwidth" / (module if "." in module else f"{module}.py")
    with edited(path):
        changed = dry_run(smoke_run)
    if MODULE_CHANGES[module] is None:
        assert changed["student"] >= 1 and changed["all"] == 1 and "teacher" not in changed, changed
    else:
        assert changed == MODULE_CHANGES[module]


def test_touching_a_module_without_changing_it_reruns_nothing(smoke_run):
    """Snakemake keeps the inputs' checksums: a newer mtime with the same content is no change."""
    with edited(smoke_run.repo / "depthwidth" / "analysis" / "scaling.py", touch=True):
        assert dry_run(smoke_run) == {}


def test_script_change_reruns_its_rule(smoke_run):
    with edited(smoke_run.repo / "scripts" / "scaling_fit.py"):
        assert dry_run(smoke_run) == {"scaling_fit": 1, "summary": 1, "figure_error_vs_width": 1, "all": 1}


def test_a_fresh_clone_given_the_results_reruns_nothing(smoke_run):
    """A fresh clone's files are all newer than the results copied into it: with the scripts among
    the code inputs (by content) and without Snakemake's script-time trigger (the default profile),
    a plain run has nothing to do."""
    code = [p for d in ("scripts", "depthwidth", "workflow") for p in (smoke_run.repo / d).rglob("*") if p.is_file()]
    times = {p: p.stat() for p in code}
    later = max(s.st_mtime for s in times.values()) + 3600
    try:
        for p in code:
            os.utime(p, (later, later))
        assert dry_run(smoke_run) == {}
    finally:
        for p, s in times.items():
            os.utime(p, ns=(s.st_atime_ns, s.st_mtime_ns))
