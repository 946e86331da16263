"""Converged students in the workflow: polish and the representability search on the smoke run.

The algorithm itself (the Jacobian, convergence to the float64 floor, never above the start, batch
independence, scipy's MINPACK) is tests/test_levmar.py's; here the rules, their files, the
summary's columns and the fits.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import torch
import yaml
from conftest import job_counts, run_snakemake

from depthwidth.jobs import artifacts
from depthwidth.model import nets, teacher
from depthwidth.training import polish
from depthwidth.training.levmar import LMOptions

POLISH = {"enabled": True, "search_starts": 3}


@pytest.fixture
def polished(smoke_clone):
    """The smoke run's clone, polished and searched: (the run, its config file, the dry run's output)."""
    config = yaml.safe_load(smoke_clone.configfile.read_text())
    config["polish"] = POLISH
    path = smoke_clone.workdir / "polish.yaml"
    path.write_text(yaml.safe_dump(config))
    dry = run_snakemake(smoke_clone.repo, smoke_clone.workdir, "-n", "--configfile", str(path))
    run_snakemake(smoke_clone.repo, smoke_clone.workdir, "--configfile", str(path))
    return smoke_clone, path, dry.stdout


def test_polishing_a_finished_run_trains_nothing_and_converges_every_student(polished):
    run, _, dry = polished
    counts = job_counts(dry)
    # one polish job per regime and student (every seed), one search per deep regime; no training
    assert counts["polish"] == 5 and counts["search"] == 1, counts
    assert "student" not in counts and "teacher" not in counts
    records = sorted(run.results.glob("*/seed*/*/polish.json"))
    assert len(records) == 10  # 5 students x 2 seeds
    for path in records:
        r = json.loads(path.read_text())
        metrics = json.loads((path.parent / "metrics.json").read_text())
        assert r["stop"] in ("tolerance", "rounding", "stalled", "budget")
        assert 1 <= r["iterations"] <= 250  # polish.max_iterations' default
        # never above where Adam left it (recomputed from the same weights against the teacher's
        # float64 targets; the smoke run is float64, so they are its own targets)
        assert r["train_relative_error"] <= r["adam_train_relative_error"]
        assert math.isclose(r["adam_train_relative_error"], metrics["train_relative_error"], rel_tol=1e-9)
        weights = artifacts.read_weights(path.parent / "polished.pt", metrics["sizes"])
        assert all(w.dtype == torch.float64 for w in weights)


def test_the_search_stops_at_the_first_fitted_start(polished):
    run, _, _ = polished
    for seed in (-1, 7):
        r = json.loads((run.results / f"chaotic/seed{seed}/deep/search.json").read_text())
        errors = [s["train_relative_error"] for s in r["each"]]
        assert r["starts"] == len(errors) <= POLISH["search_starts"]
        assert r["fitted"] == (min(errors + [r["polished_train_relative_error"]]) <= r["tolerance"])
        if r["fitted"] and errors:
            assert errors[-1] <= r["tolerance"] and all(e > r["tolerance"] for e in errors[:-1])
        if errors:
            assert r["best_train_relative_error"] == min(errors)
    # the search's journal of finished starts is deleted once its records exist
    assert not list((run.results / "checkpoints").rglob("*.search.json"))


def test_summary_and_fits_show_adam_and_the_converged_errors(polished):
    run, _, _ = polished
    table = pd.read_csv(run.results / "summary.tsv", sep="\t")
    students = table[table["model"] != "scaling_fit"]
    assert students["converged_train_error_mse_over_var_ytest"].notna().all()
    assert (
        students["converged_train_error_mse_over_var_ytest"] <= students["train_error_mse_over_var_ytest"] * (1 + 1e-9)
    ).all()
    deep = students[students["student"] == "deep"]
    assert deep["search_starts"].notna().all() and deep["search_fitted"].notna().all()
    fits = table[table["model"] == "scaling_fit"]
    assert sorted(fits["fit_errors"]) == ["adam_test", "adam_train", "converged_test", "converged_train"]
    fit = json.loads((run.results / "chaotic/scaling_fit.json").read_text())
    assert fit["fits"]["adam_test"]["slope"] == pytest.approx(fit["slope"], rel=1e-12)
    assert len(fit["fits"]["converged_train"]["relative_errors"]) == 6  # 3 widths x 2 seeds


def test_polish_converges_a_perturbed_teacher_to_the_float64_floor():
    """The module the rule runs, on float64 targets: the teacher's shape started at the teacher's
    weights plus 1e-3 noise ends below 1e-20 relative training error."""
    sizes = [5, 5, 5, 5, 5, 1]
    weights, data = teacher.draw_teacher_and_data(sizes, 2.0, -1, 1000, 200)
    g = nets.generator(nets.derived_seed(-1, "noise"))
    start = [w + 1e-3 * torch.randn(w.shape, dtype=w.dtype, generator=g) for w in weights]
    out, record = polish.polish(start, data, "tanh", LMOptions())
    assert record["adam_train_relative_error"] > 1e-8
    assert record["train_relative_error"] <= 1e-20 and record["test_relative_error"] <= 1e-18
    assert record["stop"] in ("tolerance", "rounding")
    assert len(out) == len(sizes) - 1


def test_polish_is_refused_for_relu():
    sizes = [5, 5, 1]
    weights, data = teacher.draw_teacher_and_data(sizes, 1.0, -1, 100, 20, phi="relu")
    with pytest.raises(ValueError, match="relu"):
        polish.polish(weights, data, "relu", LMOptions())


def test_a_deleted_polish_record_is_remade_alone(polished):
    run, path, _ = polished
    (run.results / "chaotic/seed7/shallow_w15/polish.json").unlink()
    dry = run_snakemake(run.repo, run.workdir, "-n", "--configfile", str(path))
    counts = job_counts(dry.stdout)
    assert counts.get("polish") == 1 and counts.get("summary") == 1 and "student" not in counts, counts


def _search_case():
    """A small deep teacher whose search needs more than one start (tolerance out of reach)."""
    sizes = [5, 3, 3, 1]
    _, data = teacher.draw_teacher_and_data(sizes, 2.0, 3, 300, 100)
    section = {"search_starts": 3, "search_tolerance": 1e-30, "search_max_iterations": 20, "search_warmup_steps": 50}
    return sizes, data, section


def test_a_resumed_search_equals_an_uninterrupted_one(tmp_path):
    """Start j draws from its own stream, so a search resumed from a journal after its first start
    gives the same records, and the journal holds every start as it goes."""
    sizes, data, section = _search_case()
    key = polish.search_key(section, sizes, "tanh", 3e-3)
    journal = polish.SearchJournal(tmp_path / "deep.search.json", key)
    whole = polish.search(sizes, data, 3, "deep", "tanh", section, 3e-3, keep=lambda s: journal.keep(3, "h", s))
    assert whole["starts"] == 3 and not whole["fitted"]
    kept = polish.SearchJournal(tmp_path / "deep.search.json", key).starts(3, "h")
    assert [r["start"] for r in kept] == [1, 2, 3]
    resumed = polish.search(sizes, data, 3, "deep", "tanh", section, 3e-3, done=kept[:1])
    drop = ("seconds",)
    assert [{k: v for k, v in r.items() if k not in drop} for r in resumed["each"]] == [
        {k: v for k, v in r.items() if k not in drop} for r in whole["each"]
    ]
    assert resumed["best_train_relative_error"] == whole["best_train_relative_error"]
    assert resumed["best_start"] == whole["best_start"]


def test_a_stale_or_damaged_search_journal(tmp_path, caplog):
    sizes, _, section = _search_case()
    path = tmp_path / "deep.search.json"
    key = polish.search_key(section, sizes, "tanh", 3e-3)
    polish.SearchJournal(path, key).keep(3, "h", [{"start": 1, "train_relative_error": float("inf")}])
    assert polish.SearchJournal(path, key).starts(3, "h")[0]["train_relative_error"] == float("inf")
    assert polish.SearchJournal(path, key).starts(3, "other data") == []  # another teacher's data
    other = polish.search_key({**section, "search_warmup_steps": 60}, sizes, "tanh", 3e-3)
    assert polish.SearchJournal(path, other).starts(3, "h") == []
    assert "journal of a different search" in caplog.text
    path.write_text('{"key": ')
    with pytest.raises(artifacts.ArtifactError, match="deep.search.json: not valid JSON"):
        polish.SearchJournal(path, key)
