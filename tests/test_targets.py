"""Named targets, a clear message for a target the config does not make, and a quiet job log.

Dry runs against the smoke run's copy of the workflow (no training here).
"""

from __future__ import annotations

import re

from conftest import job_counts


def test_named_targets_plan_their_results(smoke_clone):
    for target, rule in (
        ("tutorial", "figure_error_vs_width"),
        ("study", "figure_trajectory_length"),
        ("figures", "figure_predictions"),
    ):
        proc = smoke_clone.snakemake("-n", target, "--forcerun", rule)  # --forcerun takes a list: last
        assert job_counts(proc.stdout).get(rule) == 1, proc.stdout
    proc = smoke_clone.snakemake("-n", "figures", "--forcerun", "figure_predictions")
    assert job_counts(proc.stdout) == {"figure_predictions": 1, "figures": 1}  # not `all`, not the summary


def test_a_figure_the_config_does_not_make_is_named_not_a_traceback(smoke_clone):
    proc = smoke_clone.snakemake("-n", "figure_sweep_error", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "sweep_error is not a result of this config: it needs a `sweep` section" in out
    assert "targets: all, tutorial, study, figures" in out
    assert "min() arg is an empty sequence" not in out and "ValueError" not in out


def test_a_job_prints_its_message_not_its_files_or_a_shell_command(smoke_clone):
    proc = smoke_clone.snakemake("-n", "results/summary.tsv", "--forcerun", "summary")
    out = proc.stdout + proc.stderr
    assert re.search(r"^Job \d+: the summary table: results/logs/summary.log$", out, re.M), out
    assert "Shell command" not in out
