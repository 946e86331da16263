"""The whole workflow on tests/smoke.yaml: every rule runs, every output is checked."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import clone_workdir, job_counts, pending_files, run_snakemake

from depthwidth.jobs import artifacts

REPO = Path(__file__).resolve().parents[1]
SMOKE = yaml.safe_load((REPO / "tests" / "smoke.yaml").read_text())
PNG_MAGIC, PDF_MAGIC, GIF_MAGIC = b"\x89PNG\r\n\x1a\n", b"%PDF", b"GIF8"


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config))
    return path


def students():
    for regime, spec in SMOKE["regimes"].items():
        for seed in SMOKE["seeds"]:
            for width in spec["shallow_widths"]:
                yield regime, seed, f"shallow_w{width}", [5, width, 1]
            if spec["deep_student"]:
                yield regime, seed, "deep", [5, 5, 5, 5, 5, 1]


def test_teachers_and_data(smoke_run):
    for regime in SMOKE["regimes"]:
        for seed in SMOKE["seeds"]:
            d = smoke_run.workdir / f"results/{regime}/seed{seed}"
            data = artifacts.read_dataset(d / "data.npz", n_in=5)
            assert data["X_train"].shape == (1000, 5) and data["y_test"].shape == (200, 1)
            assert data["y_train"].dtype == np.float64
            weights = artifacts.read_weights(d / "teacher.pt", [5, 5, 5, 5, 5, 1])
            sidecar = json.loads((d / "teacher.pt.json").read_text())
            assert sidecar["sigma"] == SMOKE["regimes"][regime]["sigma"] and sidecar["seed"] == seed
            assert weights[0].dtype == torch.float64


def test_students(smoke_run):
    for regime, seed, student, sizes in students():
        d = smoke_run.workdir / f"results/{regime}/seed{seed}/{student}"
        metrics = json.loads((d / "metrics.json").read_text())
        steps = (
            SMOKE["deep"]["phases"] * SMOKE["deep"]["steps_per_phase"]
            if student == "deep"
            else SMOKE["shallow"]["steps"]
        )
        assert metrics["sizes"] == sizes and metrics["steps"] == steps
        assert 0 < metrics["test_relative_error"] < 2 and 0 < metrics["train_relative_error"] < 2
        losses = artifacts.read_npz(d / "loss.npz", ["train_mse"])["train_mse"]
        assert losses.shape == (steps,) and np.isfinite(losses).all()
        assert losses[-1] < losses[0]
        assert [tuple(w.shape) for w in artifacts.read_weights(d / "student.pt", sizes)] == list(
            zip(sizes[1:], sizes[:-1])
        )


def test_scaling_fit_and_summary(smoke_run):
    fit = json.loads((smoke_run.workdir / "results/chaotic/scaling_fit.json").read_text())
    widths = SMOKE["regimes"]["chaotic"]["shallow_widths"]
    assert sorted(fit["widths"]) == sorted(widths * len(SMOKE["seeds"]))
    assert np.isfinite([fit["slope"], fit["intercept"]]).all()
    assert fit["slope_ci_low"] <= fit["slope"] <= fit["slope_ci_high"]  # two seeds: bootstrap over seeds
    assert not (smoke_run.workdir / "results/quasilinear/scaling_fit.json").exists()  # one width: nothing to fit

    table = pd.read_csv(smoke_run.workdir / "results/summary.tsv", sep="\t")
    students_rows = table[table["model"] != "scaling_fit"]
    assert len(students_rows) == len(list(students()))
    assert set(table["model"]) == {"shallow", "deep", "scaling_fit"}
    errors = students_rows["test_error_mse_over_var_ytest"]
    assert errors.notna().all() and (errors > 0).all()
    fit_row = table[table["model"] == "scaling_fit"].iloc[0]
    assert fit_row["fit_slope_dlnE_dlnW"] == pytest.approx(fit["slope"], rel=1e-9)
    assert fit_row["regime"] == "chaotic"


def test_expressivity(smoke_run):
    e = SMOKE["expressivity"]
    arrays = artifacts.read_npz(smoke_run.workdir / "results/expressivity/trajectories.npz", ["projected", "regimes"])
    assert arrays["projected"].shape == (2, e["depth"] - 1, e["points"], 3)
    assert list(arrays["regimes"]) == e["regimes"]
    lengths = pd.read_csv(smoke_run.workdir / "results/expressivity/lengths.tsv", sep="\t")
    assert len(lengths) == 2 * (e["depth"] - 1)


def test_figures(smoke_run):
    figures = smoke_run.workdir / "results/figures"
    for name in ("deep_loss", "error_vs_width", "predictions", "expressivity"):
        assert (figures / f"{name}.png").read_bytes()[:8] == PNG_MAGIC
        assert (figures / f"{name}.pdf").read_bytes()[:4] == PDF_MAGIC
        assert (figures / f"{name}.png").stat().st_size > 10_000
    from PIL import Image

    with Image.open(figures / "expressivity.gif") as gif:
        assert gif.n_frames == SMOKE["expressivity"]["depth"] - 1
    assert (figures / "expressivity.gif").read_bytes()[:4] == GIF_MAGIC
    assert not list(smoke_run.workdir.rglob("*.tmp*")), "temporary files were left behind"


def test_every_rule_has_a_log(smoke_run):
    logs = {
        str(p.relative_to(smoke_run.workdir / "results/logs"))
        for p in (smoke_run.workdir / "results/logs").rglob("*.log")
    }
    # one job per regime and student (every seed in it), one teacher job per regime
    batches = {f"{regime}/{name}.log" for regime, _, name, _ in students()}
    assert (
        batches | {"chaotic/teacher.log", "quasilinear/teacher.log", "chaotic/scaling_fit.log", "summary.log"} <= logs
    )
    assert len(logs) >= len(batches) + 2 + 1 + 1 + 4 + 1
    student_log = (smoke_run.workdir / "results/logs/chaotic/deep.log").read_text()
    assert "deep: 2 student(s)" in student_log
    assert "deep, chaotic seed 7: relative test error" in student_log


def test_second_run_has_nothing_to_do(smoke_run):
    proc = smoke_run.snakemake("-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_changing_one_width_reruns_only_what_depends_on_it(smoke_clone):
    # a clone: the summary's inputs missing under the new config rewrite its marker, even in a dry run
    config = smoke_clone.config()
    config["regimes"]["chaotic"]["shallow_widths"] = [5, 20, 45]
    changed = write_config(smoke_clone.workdir.parent / "changed.yaml", config)
    proc = run_snakemake(smoke_clone.repo, smoke_clone.workdir, "-n", "--configfile", str(changed))
    # tutorial seeding: the width-45 student draws its initial weights after the width-20 one
    summary = run_snakemake(smoke_clone.repo, smoke_clone.workdir, "--summary", "--configfile", str(changed))
    pending = pending_files(summary.stdout)
    assert "results/chaotic/seed-1/shallow_w45/student.pt" in pending
    assert not [f for f in pending if "shallow_w5/" in f or "deep/" in f or "teacher" in f]
    counts = job_counts(proc.stdout)
    assert counts == {
        "student": 2,  # one job per width (20 and 45), each for both seeds
        "scaling_fit": 1,
        "figure_error_vs_width": 1,
        "figure_predictions": 1,
        "summary": 1,
        "all": 1,
    }


def test_adding_restarts_trains_the_restarts_alone(smoke_clone):
    config = smoke_clone.config()
    config["restarts"] = {"count": 3, "students": "deep"}
    changed = write_config(smoke_clone.workdir.parent / "restarts.yaml", config)
    proc = run_snakemake(smoke_clone.repo, smoke_clone.workdir, "-n", "--configfile", str(changed))
    summary = run_snakemake(smoke_clone.repo, smoke_clone.workdir, "--summary", "--configfile", str(changed))
    pending = pending_files(summary.stdout)
    assert "results/chaotic/seed-1/deep/restart1/student.pt" in pending
    assert not [f for f in pending if "restart" not in f and f.startswith("results/chaotic/")], pending
    # the first initialisations keep their files: restarts are batches of their own
    # one job per restart (1 and 2), each for both seeds
    assert job_counts(proc.stdout) == {"student_restarts": 2, "summary": 1, "all": 1}, proc.stdout


def test_default_config_dry_run(tmp_path):
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    proc = run_snakemake(REPO, tmp_path, "-n")
    counts = job_counts(proc.stdout)
    assert counts["student"] == 4 + 1 + 1  # chaotic widths 5..135, the deep student, the quasi-linear one
    assert counts["teacher"] == 2 and counts["scaling_fit"] == 1


def test_lint():
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_too_few_points_per_parameter_is_rejected_before_any_job(tmp_path):
    config = dict(SMOKE, data={"n_train": 500, "n_test": 100})
    proc = run_snakemake(REPO, tmp_path, "--configfile", str(write_config(tmp_path / "c.yaml", config)), check=False)
    assert proc.returncode != 0
    assert "config key 'regimes.chaotic.shallow_widths': the width-45 student has 270 parameters" in proc.stderr
    assert not (tmp_path / "results").exists()


def test_a_clone_moved_with_its_results_has_nothing_to_do(smoke_run, tmp_path):
    """The workflow and its results moved together to another folder: the code inputs are relative
    paths, so Snakemake finds everything up to date."""
    moved = tmp_path / "elsewhere"
    repo = shutil.copytree(smoke_run.repo, moved / smoke_run.repo.name, symlinks=True)
    workdir = clone_workdir(smoke_run.workdir, moved / smoke_run.workdir.name)
    proc = run_snakemake(repo, workdir, "-n", "--configfile", str(workdir / smoke_run.configfile.name))
    assert "Nothing to be done" in proc.stdout + proc.stderr, proc.stdout
