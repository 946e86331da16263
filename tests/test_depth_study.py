"""The teacher-depth axis and restarts: the plan's regimes and batches, the restarts' own streams,
the best-of choice, the depth tables against hand-made runs, and the smoke depth study end to end
(every figure's TSV checked against the students' metrics and scaling fits)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import snakemake_command

from depthwidth.analysis import depth_study, results, sigma_study
from depthwidth.experiment import plan
from depthwidth.experiment.config import load
from depthwidth.model.nets import derived_seed, generator, make_student
from depthwidth.theory.meanfield import chi_1
from depthwidth.training.students import initial_weights, student_seed

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "tests" / "smoke_depth.yaml"


@pytest.fixture(scope="module")
def depth_config():
    return load(ROOT / "config.yaml", SMOKE)


def test_regimes_are_named_by_teacher_depth_and_sigma(depth_config):
    regimes = plan.sweep_regimes(depth_config)
    assert list(regimes) == [f"depth{d}_sigma{s}" for d in (2, 3, 6) for s in ("0.50", "2.00")]
    assert {r: spec["teacher_depth"] for r, spec in regimes.items() if r.endswith("2.00")} == {
        "depth2_sigma2.00": 2,
        "depth3_sigma2.00": 3,
        "depth6_sigma2.00": 6,
    }
    assert plan.regime_teacher(depth_config, "depth6_sigma0.50") == {"n_in": 5, "width": 5, "depth": 6}
    assert plan.regimes(depth_config)["chaotic"]["teacher_depth"] == 5
    # the deep student has each teacher's own shape
    assert plan.student_sizes("deep", plan.regime_teacher(depth_config, "depth3_sigma2.00")) == [5, 5, 5, 1]
    assert plan.teacher_stream(depth_config, "depth6_sigma2.00")["sizes"] == [5, 5, 5, 5, 5, 5, 1]
    # the sigma figures: teacher.depth (5) is not swept, so the deepest
    assert plan.sigma_sweep_depth(depth_config) == 6


def test_budget_students_follow_the_teachers_depth():
    config = {
        "teacher": {"n_in": 5, "width": 5, "depth": 5},
        "sweep": {"sigmas": [1.0], "budget_depths": [2, 3], "budget": None},
    }
    assert plan.budget_students(config) == ["shallow_w17", "d3_w8"]  # 105 weights
    assert plan.budget_students(config, 3) == ["shallow_w9", "deep"]  # 55 weights: d3_w5 is the teacher


def test_sweep_batches_are_one_per_depth_and_student_and_each_restart_its_own(depth_config):
    batches = plan.batches(depth_config)
    keys = [b.key for b in batches]
    assert len(keys) == len(set(keys))
    sweep = {b.key: b for b in batches if b.sweep}
    assert set(sweep) == {
        f"sweep/depth{d}/{name}" for d in (2, 3, 6) for name in ("shallow_w5", "shallow_w15", "deep")
    } | {f"sweep/depth{d}/deep.restart{k}" for d in (2, 3, 6) for k in (1, 2)}
    first = sweep["sweep/depth3/deep"]
    assert [(m.regime, m.seed, m.restart) for m in first.members] == [
        ("depth3_sigma0.50", -1, 0),
        ("depth3_sigma0.50", 7, 0),
        ("depth3_sigma2.00", -1, 0),
        ("depth3_sigma2.00", 7, 0),
    ]
    second = sweep["sweep/depth3/deep.restart2"]
    assert [(m.regime, m.seed, m.restart) for m in second.members] == [
        (r, s, 2) for r, s, _ in [(m.regime, m.seed, 0) for m in first.members]
    ]
    assert {m.teacher_sizes for m in second.members} == {(5, 5, 5, 1)}
    assert second.members[0].directory("deep") == "results/depth3_sigma0.50/seed-1/deep/restart2"
    assert second.members[0].preceding == ()  # a restart draws from its own generator
    # the tutorial's regimes train their own deep student's restarts, shallow students none
    assert "chaotic/deep.restart1" in keys and not [k for k in keys if k.startswith("chaotic/shallow_w5.")]


def test_restart_students_are_the_deep_one_or_every_multilayer_one():
    spec = {"shallow_widths": [5], "deep_student": True, "budget_students": ["shallow_w17", "d3_w8", "deep"]}
    config = {"restarts": {"count": 3, "students": "multilayer"}}
    assert plan.restart_indices(config) == [1, 2]
    assert plan.restart_students(config, spec) == ["deep", "d3_w8"]
    assert plan.restart_students({"restarts": {"count": 3, "students": "deep"}}, spec) == ["deep"]
    assert plan.restart_students({"restarts": {"count": 1}}, spec) == []
    assert plan.restart_students({}, spec) == []


def test_restarts_draw_from_their_own_seeded_streams(depth_config):
    regime, sizes = "depth3_sigma2.00", [5, 5, 5, 1]
    data = {"n_train": 1000, "n_test": 200}
    seeding = depth_config["student_seeding"]
    first = plan.member(depth_config, regime, 7, "deep")
    again = plan.member(depth_config, regime, 7, "deep", restart=1)
    w0 = initial_weights(sizes, "deep", vars(first), seeding, data)
    w1 = initial_weights(sizes, "deep", vars(again), seeding, data)
    seed = derived_seed(7, "deep", "restart", 1)
    assert student_seed("deep", vars(again), seeding) == seed
    assert student_seed("deep", vars(first), seeding) is None  # the tutorial's stream
    expected = make_student(sizes, "default", 2.0, generator(seed))
    assert all(torch.equal(a, b) for a, b in zip(w1, expected))
    assert not torch.equal(w0[0], w1[0])
    w2 = initial_weights(sizes, "deep", vars(plan.member(depth_config, regime, 7, "deep", restart=2)), seeding, data)
    assert not torch.equal(w1[0], w2[0])


def _runs(rows):
    base = {"regime": "r", "sigma_w": 2.0, "student": "deep", "teacher_depth": 3, "depth": 3, "width": 5}
    return pd.DataFrame([{**base, **row} for row in rows])


def test_best_of_restarts_chooses_by_training_error_not_test_error():
    runs = _runs(
        [
            {"seed": 1, "restart": 0, "train_relative_error": 1e-3, "test_relative_error": 2e-3},
            {"seed": 1, "restart": 1, "train_relative_error": 1e-7, "test_relative_error": 5e-3},
            {"seed": 1, "restart": 2, "train_relative_error": 1e-4, "test_relative_error": 1e-8},
            {"seed": 2, "restart": 0, "train_relative_error": 1e-9, "test_relative_error": 1e-9},
            {"seed": 2, "restart": 1, "train_relative_error": 1e-3, "test_relative_error": 1e-3},
        ]
    )
    best = results.best_of_restarts(runs).set_index("seed")
    assert best.loc[1, "restart"] == 1 and best.loc[1, "test_relative_error"] == 5e-3
    assert best.loc[2, "restart"] == 0
    assert list(best["inits"]) == [3, 2]
    assert list(sigma_study.first_inits(runs)["restart"]) == [0, 0]


def test_deep_by_depth_counts_the_teachers_within_the_target():
    rows = []
    for seed, (first, best) in enumerate([(1e-3, 1e-8), (1e-7, 1e-7), (1e-2, 1e-3)]):
        rows += [
            {"seed": seed, "restart": 0, "train_relative_error": first, "test_relative_error": first},
            {"seed": seed, "restart": 1, "train_relative_error": best, "test_relative_error": best},
        ]
    table = depth_study.deep_by_depth(_runs(rows), found=1e-6)
    (row,) = table.to_dict("records")
    assert row["inits"] == 2 and row["n_seeds"] == 3
    assert row["first_init_within_target"] == 1 and row["best_init_within_target"] == 2
    assert row["first_init_test_error_median"] == pytest.approx(1e-3)
    assert row["best_init_test_error_median"] == pytest.approx(1e-7)


def test_width_by_depth_fits_the_growth_per_layer_and_the_theory_beside_it():
    fits, specs = [], {}
    for depth in (2, 4, 6):
        name = f"depth{depth}_sigma2.00"
        specs[name] = {"sigma": 2.0, "teacher_depth": depth}
        fits.append({"regime": name, "slope": -0.5, "predicted_width": 10 * 3.0**depth, "target_error": 1e-6})
        fits[-1].update(seeds=[1, 2], predicted_width_ci_low=1.0, predicted_width_ci_high=1e9, slope_ci_high=-0.1)
    # a depth where the error does not fall with width (slope's interval reaching 0) is left out
    specs["depth8_sigma2.00"] = {"sigma": 2.0, "teacher_depth": 8}
    fits.append({**fits[0], "regime": "depth8_sigma2.00", "predicted_width": 1e-6, "slope_ci_high": 0.5})
    table = depth_study.width_by_depth(fits, specs)
    assert list(table["teacher_depth"]) == [2, 4, 6, 8]
    assert list(table["in_growth_fit"]) == [True, True, True, False]
    np.testing.assert_allclose(table["width_growth_per_layer"], 3.0, rtol=1e-12)
    np.testing.assert_allclose(table["theory_growth_per_layer"], np.sqrt(chi_1(2.0)), rtol=1e-12)
    np.testing.assert_allclose(table["length_growth_theory"], chi_1(2.0) ** ((table["teacher_depth"] - 1) / 2))


# --- the smoke depth study, run once for this module ---


@pytest.fixture(scope="module")
def depth_run(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("depth")
    (work / SMOKE.name).write_text(SMOKE.read_text())
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop("SNAKEMAKE_PROFILE", None)
    run = subprocess.run(
        snakemake_command(ROOT, "--configfile", SMOKE.name, "--quiet"),
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    return work / "results"


def _metrics(results: Path, pattern: str) -> pd.DataFrame:
    rows = [json.loads(p.read_text()) for p in sorted(results.glob(pattern))]
    return pd.DataFrame(rows)


def test_every_metrics_file_records_the_teachers_depth_and_sigma(depth_run):
    for path in depth_run.glob("depth*_sigma*/seed*/**/metrics.json"):
        m = json.loads(path.read_text())
        regime = path.relative_to(depth_run).parts[0]
        depth, sigma = regime[len("depth") :].split("_sigma")
        assert (m["teacher_depth"], m["sigma_w"]) == (int(depth), float(sigma)), path


def test_depth_error_tsv_holds_the_medians_of_the_students_metrics(depth_run):
    table = pd.read_csv(depth_run / "figures" / "depth_error.tsv", sep="\t")
    runs = _metrics(depth_run, "depth*_sigma*/seed*/shallow_w*/metrics.json")
    linear = _metrics(depth_run, "depth*_sigma*/seed*/linear/metrics.json")
    runs = pd.concat([runs, linear], ignore_index=True)
    expected = runs.groupby(["name", "sigma_w", "teacher_depth"])["test_relative_error"].median()
    assert len(table) == len(expected) == 3 * 2 * 3  # (w5, w15, linear) x sigmas x depths
    for _, row in table.iterrows():
        assert row["test_error_median"] == pytest.approx(
            expected[(row["student"], row["sigma_w"], row["teacher_depth"])], rel=1e-9
        )
        assert row["test_error_ci95_low"] <= row["test_error_median"] <= row["test_error_ci95_high"]


def test_depth_scaling_tsv_holds_each_regimes_scaling_fit(depth_run):
    table = pd.read_csv(depth_run / "figures" / "depth_scaling.tsv", sep="\t")
    assert len(table) == 6
    assert (table["in_growth_fit"] == ((table["slope_ci_high"] < 0) & np.isfinite(table["predicted_width"]))).all()
    for _, row in table.iterrows():
        fit = json.loads((depth_run / row["regime"] / "scaling_fit.json").read_text())
        assert row["predicted_width"] == pytest.approx(float(fit["predicted_width"]), rel=1e-9)
        assert row["slope"] == pytest.approx(fit["slope"], rel=1e-9)
        assert row["length_growth_theory"] == pytest.approx(chi_1(row["sigma_w"]) ** ((row["teacher_depth"] - 1) / 2))


def test_depth_deep_tsv_holds_the_first_and_the_best_initialisations(depth_run):
    table = pd.read_csv(depth_run / "figures" / "depth_deep.tsv", sep="\t")
    config = yaml.safe_load(SMOKE.read_text())
    assert (table["inits"] == config["restarts"]["count"]).all()
    runs = _metrics(depth_run, "depth*_sigma*/seed*/deep/**/metrics.json")
    assert len(runs) == 3 * 2 * 2 * 3  # depths x sigmas x seeds x initialisations
    assert set(runs["restart"]) == {0, 1, 2}
    for _, row in table.iterrows():
        at = runs[(runs["sigma_w"] == row["sigma_w"]) & (runs["teacher_depth"] == row["teacher_depth"])]
        first = at[at["restart"] == 0]["test_relative_error"]
        best = at.loc[at.groupby("seed")["train_relative_error"].idxmin(), "test_relative_error"]
        assert row["first_init_test_error_median"] == pytest.approx(first.median(), rel=1e-9)
        assert row["best_init_test_error_median"] == pytest.approx(best.median(), rel=1e-9)
        assert row["best_init_within_target"] == (best <= row["target_error"]).sum()


def test_summary_reports_the_best_initialisation_beside_the_first(depth_run):
    summary = pd.read_csv(depth_run / "summary.tsv", sep="\t")
    deep = summary[(summary["student"] == "deep") & summary["regime"].str.startswith("depth")]
    assert len(deep) == 12 and (deep["initialisations"] == 3).all()
    for _, row in deep.iterrows():
        folder = depth_run / row["regime"] / f"seed{int(row['seed'])}" / "deep"
        inits = [
            json.loads(p.read_text()) for p in [folder / "metrics.json", *sorted(folder.glob("restart*/metrics.json"))]
        ]
        best = min(inits, key=lambda m: m["train_relative_error"])
        assert row["best_init_test_error_mse_over_var_ytest"] == pytest.approx(best["test_relative_error"], rel=1e-9)
        assert row["test_error_mse_over_var_ytest"] == pytest.approx(inits[0]["test_relative_error"], rel=1e-9)
    shallow = summary[summary["student"] == "shallow_w5"]
    assert shallow["initialisations"].isna().all()
