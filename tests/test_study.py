"""The sigma sweep's pieces (names, budgets, linear reference, bands) and the study run end to end."""

from __future__ import annotations

import copy
import json
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from depthwidth.analysis import sigma_study
from depthwidth.analysis.scaling import bootstrap_fit
from depthwidth.experiment import config as config_module
from depthwidth.experiment import plan
from depthwidth.experiment.config import ConfigError
from depthwidth.experiment.sizes import n_parameters
from depthwidth.jobs.artifacts import ArtifactError
from depthwidth.model.teacher import standardise_targets, target_scaling

ROOT = Path(__file__).resolve().parents[1]
TEACHER = {"n_in": 5, "width": 5, "depth": 5}


def sweep_config(**sweep):
    spec = {
        "sigmas": [0.4, 1.0, 2.0],
        "shallow_widths": [5, 15],
        "deep_student": True,
        "student_init": "default",
        "budget_depths": [2, 3, 4, 5, 6],
        "budget": None,
        **sweep,
    }
    return {
        "teacher": TEACHER,
        "regimes": {"chaotic": {}},
        "nonlinearity": "tanh",
        "min_points_per_parameter": 3,
        "data": {"n_train": 4000},
        "sweep": spec,
    }


def test_budget_widths_at_the_teachers_105_weights():
    widths = {d: plan.budget_width(5, d, 105) for d in range(2, 7)}
    assert widths == {2: 17, 3: 8, 4: 6, 5: 5, 6: 4}
    assert plan.budget_students(sweep_config()) == ["shallow_w17", "d3_w8", "d4_w6", "deep", "d6_w4"]
    assert [n_parameters(plan.student_sizes(n, TEACHER)) for n in plan.budget_students(sweep_config())] == [
        102,
        112,
        108,
        105,
        88,
    ]


def test_student_names_and_sizes():
    assert plan.student_sizes("shallow_w17", TEACHER) == [5, 17, 1]
    assert plan.student_sizes("deep", TEACHER) == [5, 5, 5, 5, 5, 1]
    assert plan.student_sizes("d3_w8", TEACHER) == [5, 8, 8, 1]
    assert plan.student_name(5, 5, TEACHER) == "deep" and plan.student_name(2, 9, TEACHER) == "shallow_w9"
    assert plan.uses_deep_schedule("d3_w8") and not plan.uses_deep_schedule("shallow_w5")
    with pytest.raises(ValueError, match="unknown student 'd1_w5'"):
        plan.student_sizes("d1_w5", TEACHER)


def test_sweep_regimes_are_named_by_sigma_and_carry_the_budget_students():
    regimes = plan.sweep_regimes(sweep_config(budget_depths=[3]))
    assert list(regimes) == ["depth5_sigma0.40", "depth5_sigma1.00", "depth5_sigma2.00"]
    assert regimes["depth5_sigma0.40"]["sigma"] == 0.4
    assert plan.regime_students(regimes["depth5_sigma1.00"]) == ["shallow_w5", "shallow_w15", "deep", "d3_w8"]
    assert plan.sweep_regimes({**sweep_config(), "sweep": {"sigmas": []}}) == {}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"sigmas": [1.0, 1.001]}, "repeated regime names"),
        ({"shallow_widths": [15, 5]}, "'sweep.shallow_widths': must be strictly increasing"),
    ],
)
def test_check_sweep_rejects_bad_sweeps(change, message):
    with pytest.raises(ConfigError, match=message):
        config_module.check_sweep(sweep_config(**change))


def test_check_sweep_needs_tanh():
    with pytest.raises(ConfigError, match="nonlinearity is 'relu'"):
        config_module.check_sweep({**sweep_config(), "nonlinearity": "relu"})


def test_a_sweep_student_short_of_data_is_refused_with_every_other():
    config = config_module.read_files([ROOT / "config.yaml", ROOT / "configs" / "study.yaml"])
    config["sweep"]["shallow_widths"] = [5, 1000]
    with pytest.raises(
        ConfigError, match="'sweep.shallow_widths': the sweep student shallow_w1000 has 6000 parameters"
    ):
        config_module.validate(config)


def test_linear_fit_recovers_a_linear_teacher_and_is_relative():
    rng = np.random.default_rng(0)
    X_train, X_test = rng.standard_normal((200, 5)), rng.standard_normal((100, 5))
    coef = np.array([[0.5], [-1.0], [0.0], [2.0], [0.1]])
    noise = 0.1 * rng.standard_normal((100, 1))
    data = {"X_train": X_train, "y_train": X_train @ coef, "X_test": X_test, "y_test": X_test @ coef + noise}
    m = sigma_study.linear_fit(data)
    np.testing.assert_allclose(m["coefficients"], coef.ravel(), atol=1e-12)
    assert m["test_relative_error"] == pytest.approx(float((noise**2).mean() / np.var(data["y_test"], ddof=1)))
    assert m["train_relative_error"] < 1e-20


def test_standardised_targets_record_their_scale_and_keep_relative_errors():
    rng = np.random.default_rng(1)
    y = 0.007 * rng.standard_normal((50, 1))
    data = {
        "X_train": rng.standard_normal((50, 5)),
        "y_train": y,
        "X_test": rng.standard_normal((20, 5)),
        "y_test": 0.007 * rng.standard_normal((20, 1)),
    }
    scaled = standardise_targets(data)
    assert target_scaling(scaled) == {"standardised": True, "target_scale": pytest.approx(float(y.std()))}
    assert scaled["y_train"].std() == pytest.approx(1.0)
    assert target_scaling(data) == {"standardised": False, "target_scale": 1.0}
    assert sigma_study.linear_fit(scaled)["test_relative_error"] == pytest.approx(
        sigma_study.linear_fit(data)["test_relative_error"]
    )


def test_median_band_brackets_the_median():
    med, lo, hi = sigma_study.median_band([1.0, 2.0, 3.0, 4.0, 100.0])
    assert med == 3.0 and 1.0 <= lo <= med <= hi <= 100.0
    assert sigma_study.median_band([5.0]) == (5.0, 5.0, 5.0)


def test_median_band_is_the_band_seaborn_draws():
    """The numbers in the TSVs beside the figures are the bands lineplot draws (public API only), to 1e-12."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    rng = np.random.default_rng(3)
    groups = {
        1.0: [3e-4, 1e-11],  # two seeds, ten decades apart (the deep student's band)
        2.0: [1.0, 2.0, 3.0, 4.0, 100.0],
        3.0: list(10 ** rng.uniform(-8, -2, 7)),
        4.0: [0.5, 0.5, 0.25],
    }
    runs = pd.DataFrame([{"x": x, "y": y} for x, ys in groups.items() for y in ys])
    fig, ax = plt.subplots()
    sns.lineplot(data=runs, x="x", y="y", ax=ax, **sigma_study.SEED_BANDS)
    drawn = ax.collections[0].get_paths()[0].vertices
    plt.close(fig)
    for x, ys in groups.items():
        med, lo, hi = sigma_study.median_band(ys)
        at = drawn[drawn[:, 0] == x, 1]
        assert med == pytest.approx(float(np.median(ys)), rel=1e-12)
        assert lo == pytest.approx(at.min(), rel=1e-12, abs=0)
        assert hi == pytest.approx(at.max(), rel=1e-12, abs=0)


def test_bootstrap_width_interval_stays_finite_or_inf_never_nan():
    # seed 2's error rises with width: resamples of it alone predict an infinite width
    widths = [5, 15, 45] * 3
    errors = [1e-2, 1e-3, 1e-4, 1e-2, 2e-3, 3e-4, 1e-3, 2e-3, 3e-3]
    ci = bootstrap_fit(widths, errors, [0] * 3 + [1] * 3 + [2] * 3, target=1e-6, n_boot=500)
    assert ci["predicted_width_ci_high"] == float("inf")
    assert np.isfinite(ci["predicted_width_ci_low"]) and ci["slope_ci_low"] < 0 < ci["slope_ci_high"]


# study_run: the smoke study, run once per session (tests/conftest.py).


def test_study_outputs(study_run):
    figures = study_run / "results" / "figures"
    for name in ("mean_field", "phase_diagram", "trajectory_length", "sweep_error", "equal_budget", "sweep_scaling"):
        for ext in ("png", "pdf", "tsv"):
            assert (figures / f"{name}.{ext}").stat().st_size > 0, f"{name}.{ext}"
    config = yaml.safe_load((ROOT / "tests" / "smoke_study.yaml").read_text())

    errors = pd.read_csv(figures / "sweep_error.tsv", sep="\t")
    expected = {"shallow_w5", "shallow_w15", "deep", "linear", "shallow_w17", "d3_w8"}
    assert set(errors["student"]) == expected
    assert sorted(errors["sigma_w"].unique()) == config["sweep"]["sigmas"]
    assert (errors["n_seeds"] == 2).all()
    assert (
        (errors["test_error_ci95_low"] <= errors["test_error_median"])
        & (errors["test_error_median"] <= errors["test_error_ci95_high"])
    ).all()
    assert ((errors["test_error_median"] > 0) & (errors["test_error_median"] < 2)).all()
    chi = errors.drop_duplicates("sigma_w").set_index("sigma_w")["chi_1"]
    assert chi[0.5] == pytest.approx(0.25) and chi[2.0] == pytest.approx(1.36267, abs=1e-5)

    budget = pd.read_csv(figures / "equal_budget.tsv", sep="\t")
    assert set(budget["student"]) == {"shallow_w17", "d3_w8", "deep", "linear"}
    assert set(budget.loc[budget["student"] != "linear", "n_parameters"]) == {102, 112, 105}

    fits = pd.read_csv(figures / "sweep_scaling.tsv", sep="\t")
    assert list(fits["regime"]) == ["depth5_sigma0.50", "depth5_sigma1.00", "depth5_sigma2.00"]
    assert (fits["slope_ci_low"] <= fits["slope"]).all() and (fits["slope"] <= fits["slope_ci_high"]).all()

    lengths = pd.read_csv(figures / "trajectory_length.tsv", sep="\t")
    last = lengths[lengths["layer"] == lengths["layer"].max()].set_index("sigma_w")
    assert last.loc[0.5, "length_geomean"] < last.loc[2.0, "length_geomean"]
    # within a factor 2 of the mean field even at width 30
    ratio = lengths["length_geomean"] / lengths["theory_length"]
    assert ratio.between(0.5, 2.0).all()

    theory = pd.read_csv(figures / "mean_field.tsv", sep="\t")
    assert len(theory) == config["theory"]["points"]
    ordered = theory[theory["sigma_w"] < 1]
    np.testing.assert_allclose(ordered["chi_1"], ordered["sigma_w"] ** 2, rtol=1e-8)

    linear = pd.read_json(
        study_run / "results" / "depth5_sigma2.00" / "seed7" / "linear" / "metrics.json", typ="series"
    )
    assert linear["standardised"] and linear["target_scale"] > 0


def _study_metrics(results: Path, pattern: str) -> pd.DataFrame:
    return pd.DataFrame([json.loads(p.read_text()) for p in sorted(results.glob(pattern))])


def test_study_tsvs_hold_the_numbers_of_the_students_metrics(study_run):
    """Every figure TSV of the smoke study against the metrics and fits it is made from: medians over
    seeds per student and sigma, the restarts' best (lowest training error) beside the first."""
    results = study_run / "results"
    runs = _study_metrics(results, "depth5_sigma*/seed*/*/metrics.json")
    first = runs.groupby(["name", "sigma_w"])["test_relative_error"].median()
    errors = pd.read_csv(results / "figures" / "sweep_error.tsv", sep="\t")
    for _, row in errors.iterrows():
        assert row["test_error_median"] == pytest.approx(first[(row["student"], row["sigma_w"])], rel=1e-9)

    budget = pd.read_csv(results / "figures" / "equal_budget.tsv", sep="\t")
    restarts = _study_metrics(results, "depth5_sigma*/seed*/*/restart*/metrics.json")
    assert set(restarts["name"]) == {"deep", "d3_w8"} and set(restarts["restart"]) == {1}
    both = pd.concat([runs[runs["name"].isin(["deep", "d3_w8"])], restarts], ignore_index=True)
    best = both.loc[both.groupby(["name", "sigma_w", "seed"])["train_relative_error"].idxmin()]
    best = best.groupby(["name", "sigma_w"])["test_relative_error"].median()
    assert set(budget["initialisations"]) == {1, 2}
    for _, row in budget.iterrows():
        expected = first if row["initialisations"] == 1 else best
        assert row["test_error_median"] == pytest.approx(expected[(row["student"], row["sigma_w"])], rel=1e-9)
    assert set(budget.loc[budget["initialisations"] == 2, "student"]) == {"deep", "d3_w8"}

    fits = pd.read_csv(results / "figures" / "sweep_scaling.tsv", sep="\t")
    for _, row in fits.iterrows():
        fit = json.loads((results / row["regime"] / "scaling_fit.json").read_text())
        assert row["slope"] == pytest.approx(fit["slope"], rel=1e-9)  # the TSV keeps 10 digits
        assert row["predicted_width"] == pytest.approx(float(fit["predicted_width"]), rel=1e-9)


def test_study_report_holds_the_transition_figures_with_their_numbers(study_run, tmp_path):
    """The report of the study run (no second run: ``--report`` only reads it) puts every study figure
    under Transition, each caption quoting the numbers of the TSV beside the figure."""
    import json
    import re

    from depthwidth.presentation import captions

    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop("SNAKEMAKE_PROFILE", None)
    report = tmp_path / "report.html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-s",
            str(ROOT / "Snakefile"),
            "--configfile",
            "smoke_study.yaml",
            "--report",
            str(report),
        ],
        cwd=study_run,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    html = report.read_text()

    def script_json(script_id):
        return json.loads(re.search(rf'<script id="{script_id}">\s*var \w+ = (.*?);\s*</script>', html, re.S).group(1))

    results = script_json("results")
    text = {
        path: " ".join(re.sub(r"<[^>]+>", " ", r["caption"]).replace("&amp;", "&").split())
        for path, r in results.items()
    }
    names = ("mean_field", "phase_diagram", "trajectory_length", "sweep_error", "equal_budget", "sweep_scaling")
    assert set(script_json("categories")["Transition"]["Other"]) == {f"results/figures/{n}.png" for n in names}
    for name in names:
        caption = text[f"results/figures/{name}.png"]
        assert caption.startswith("Order to chaos:"), caption[:80]
        for bad in ("{{", "{%", "System Message", "n/a", "None", "once the"):
            assert bad not in caption, f"{name}: {bad!r} in {caption}"
        assert not re.search(r"\b(nan|inf)\b", caption), caption
    figures = study_run / "results" / "figures"

    errors = pd.read_csv(figures / "sweep_error.tsv", sep="\t").set_index(["student", "sigma_w"])
    deep_lo, deep_hi = errors.loc[("deep", 0.5)], errors.loc[("deep", 2.0)]
    rise = np.log10(deep_hi["test_error_median"] / deep_lo["test_error_median"])
    assert (
        f"the deep student (the teacher's shape, 105 weights) goes from "
        f"{captions.number(deep_lo['test_error_median'])} ({captions.number(deep_lo['test_error_ci95_low'])}–"
        f"{captions.number(deep_lo['test_error_ci95_high'])}) to {captions.number(deep_hi['test_error_median'])}"
    ) in text["results/figures/sweep_error.png"]
    assert f"{rise:.1f} decades" in text["results/figures/sweep_error.png"]
    assert "shallow student of width 5 (30 weights)" in text["results/figures/sweep_error.png"]
    assert "shallow student of width 17" not in text["results/figures/sweep_error.png"]  # a budget student, not plotted

    budget = pd.read_csv(figures / "equal_budget.tsv", sep="\t")
    budget = budget[budget["initialisations"] == 1].pivot(
        index="sigma_w", columns="student", values="test_error_median"
    )
    wins = int((budget["deep"] < budget["shallow_w17"]).sum())
    caption = text["results/figures/equal_budget.png"]
    assert f"beats the shallow one of width 17 (102 weights) at {wins} of 3 σ_w" in caption
    assert (
        f"σ_w = 1 (χ₁ = 1): deep {captions.number(budget.loc[1.0, 'deep'])}, shallow "
        f"{captions.number(budget.loc[1.0, 'shallow_w17'])}"
    ) in caption

    fits = pd.read_csv(figures / "sweep_scaling.tsv", sep="\t").set_index("sigma_w")
    caption = text["results/figures/sweep_scaling.png"]
    for sigma, fit in fits.iterrows():
        assert (
            f"σ_w = {sigma:g} (χ₁ = {captions.number(fit['chi_1'], 3)}, 2 seed(s)): slope m = {fit['slope']:.2f} "
            f"(95% CI {fit['slope_ci_low']:.2f} to {fit['slope_ci_high']:.2f})"
        ) in caption

    description = " ".join(re.sub(r"<[^>]+>", " ", script_json("workflow-desc")).split())
    assert "teachers drawn at σ_w = 0.5, 1.0, 2.0" in description


def test_preceding_students_follow_the_tutorial_stream():
    """Deep first, then the shallow students by width, then the rest (the tutorial's draw order)."""
    teacher = {"n_in": 5, "width": 5, "depth": 5}
    spec = {
        "shallow_widths": [5, 15],
        "deep_student": True,
        "student_init": "default",
        "budget_students": ["d3_w8", "shallow_w15"],
    }
    assert plan.preceding_students(spec, "deep", teacher) == []
    assert plan.preceding_students(spec, "shallow_w15", teacher) == [
        ([5, 5, 5, 5, 5, 1], "default"),
        ([5, 5, 1], "default"),
    ]
    assert [sizes for sizes, _ in plan.preceding_students(spec, "d3_w8", teacher)] == [
        [5, 5, 5, 5, 5, 1],
        [5, 5, 1],
        [5, 15, 1],
    ]
    # a student outside the regime draws after all of them
    assert len(plan.preceding_students(spec, "shallow_w99", teacher)) == 4


def test_the_summary_has_a_row_per_trained_student(study_run):
    """Equal-budget students included; each row's sigma_w is the one its metrics.json records."""
    students = [p for p in (study_run / "results").glob("*/seed*/*/metrics.json") if p.parent.name != "linear"]
    table = pd.read_csv(study_run / "results" / "summary.tsv", sep="\t")
    rows = table[table["model"] != "scaling_fit"]
    assert len(rows) == len(students) > 0
    config = yaml.safe_load((ROOT / "tests" / "smoke_study.yaml").read_text())
    sweep = config["sweep"]
    # smoke study: 2 named regimes (chaotic 2 widths + deep, quasilinear 1 width) and 3 sigmas x
    # (2 widths, deep, d3_w8, shallow_w17), for 2 seeds
    assert len(rows) == 2 * (3 + 1 + len(sweep["sigmas"]) * 5)
    assert {"shallow_w17", "d3_w8", "deep"} <= set(rows["student"])
    assert set(rows.loc[rows["student"] == "d3_w8", "model"]) == {"multilayer"}
    for path in students:
        m = json.loads(path.read_text())
        assert m["sigma_w"] == pytest.approx(plan.regimes(config)[m["regime"]]["sigma"]), path
        assert m["teacher_depth"] == config["teacher"]["depth"]


def test_a_named_regime_that_repeats_a_sweep_regime_is_copied_not_trained():
    """configs/study.yaml's chaotic regime is depth5_sigma2.00: same teachers, students and initial
    weights; quasilinear (width 10 from the teacher's weights) is not; nor is a regime that differs
    in one member."""
    study = config_module.load(ROOT / "config.yaml", ROOT / "configs" / "study.yaml")
    assert plan.copied_regimes(study) == {"chaotic": "depth5_sigma2.00"}
    assert "chaotic" not in plan.batched_regimes(study) and "quasilinear" in plan.batched_regimes(study)
    assert not any("chaotic" in b.regimes for b in plan.batches(study))

    def copied(**chaotic):
        config = copy.deepcopy(study)
        config["regimes"]["chaotic"].update(chaotic)
        return plan.copied_regimes(config)

    assert copied(shallow_widths=[5, 15]) == {"chaotic": "depth5_sigma2.00"}  # the same first draws
    assert copied(shallow_widths=[5, 45]) == {}  # width 45 draws its weights after width 15's
    assert copied(shallow_widths=[5, 17]) == {}  # width 17 draws its weights after the budget students
    assert copied(shallow_widths=[7]) == {}  # a student the sweep does not train
    assert copied(student_init="teacher") == {}
    assert copied(sigma=2.001) == {}  # named like depth5_sigma2.00, but another teacher
    assert copied(sigma=1.0) == {"chaotic": "depth5_sigma1.00"}
    # restarts of a student the sweep regime restarts too, and of one it does not
    restarts = {**study, "restarts": {"count": 2, "students": "deep"}}
    assert plan.copied_regimes(restarts) == {"chaotic": "depth5_sigma2.00"}
    other_depth = copy.deepcopy(study)
    other_depth["sweep"]["teacher_depths"] = [4, 6]
    assert plan.copied_regimes(other_depth) == {}


def test_the_copied_regimes_students_are_the_sweep_regimes_files(study_run):
    """The smoke study's chaotic regime is copied from depth5_sigma2.00 (its deep student's restart
    included): the same weights and losses byte for byte, metrics the same but for the regime."""
    results = study_run / "results"
    copies = sorted((results / "chaotic").glob("seed*/**/metrics.json"))
    # 2 seeds x (shallow_w5, shallow_w15, deep and its restart)
    assert len(copies) == 2 * 4
    for path in copies:
        source = results / "depth5_sigma2.00" / path.relative_to(results / "chaotic")
        mine, theirs = json.loads(path.read_text()), json.loads(source.read_text())
        assert (mine.pop("regime"), mine.pop("copied_from"), theirs.pop("regime")) == (
            "chaotic",
            "depth5_sigma2.00",
            "depth5_sigma2.00",
        )
        assert mine == theirs, path
        for name in ("student.pt", "loss.npz"):
            assert (path.parent / name).read_bytes() == (source.parent / name).read_bytes(), path / name
    assert "copied from" in (results / "logs" / "chaotic" / "deep.log").read_text()


def test_a_copy_refuses_a_regime_whose_data_differ(study_run, tmp_path):
    """Copying rests on both regimes having the same teachers: data that differ stop the job."""
    results = study_run / "results"
    source = results / "depth5_sigma2.00" / "seed7"
    files = {name: [str(source / "deep" / name)] for name in ("student.pt", "metrics.json", "loss.npz")}
    job = SimpleNamespace(
        input=SimpleNamespace(
            data=[str(results / "depth5_sigma1.00" / "seed7" / "data.npz")],  # another teacher's
            source_data=[str(source / "data.npz")],
            weights=files["student.pt"],
            metrics=files["metrics.json"],
            loss=files["loss.npz"],
        ),
        output=SimpleNamespace(**{k: [str(tmp_path / f"out.{k}")] for k in ("weights", "metrics", "loss")}),
        wildcards=SimpleNamespace(regime="chaotic", student="deep"),
        log=[str(tmp_path / "copy.log")],
        threads=1,
        rule="copy_student",
    )
    with pytest.raises(
        ArtifactError, match=r"depth5_sigma1.00/seed7/data.npz and .*depth5_sigma2.00/seed7/data.npz differ"
    ):
        runpy.run_path(str(ROOT / "scripts" / "copy_student.py"), init_globals={"snakemake": job})
    assert not list(tmp_path.glob("out.*"))


def test_a_copied_regimes_converged_results_are_its_sweep_regimes(study_run):
    """The named chaotic regime's students are depth5_sigma2.00's (plan.copied_regimes): their
    polished students and searches are copied, not computed again, and say where from."""
    import json

    from depthwidth.jobs import artifacts

    results = study_run / "results"
    for seed in (-1, 7):
        for name in ("shallow_w5/polish.json", "deep/polish.json", "deep/search.json"):
            mine = json.loads((results / f"chaotic/seed{seed}/{name}").read_text())
            theirs = json.loads((results / f"depth5_sigma2.00/seed{seed}/{name}").read_text())
            assert mine.pop("regime") == "chaotic" and mine.pop("copied_from") == "depth5_sigma2.00"
            assert theirs.pop("regime") == "depth5_sigma2.00"
            assert mine == theirs
        artifacts.verify_weights(results / f"chaotic/seed{seed}/deep/polished.pt")
        assert (results / f"chaotic/seed{seed}/deep/polished.pt").read_bytes() == (
            results / f"depth5_sigma2.00/seed{seed}/deep/polished.pt"
        ).read_bytes()
    logs = results / "logs" / "chaotic"
    assert "copied from" in (logs / "deep.polish.log").read_text()
    assert "copied from" in (logs / "deep.search.log").read_text()


def test_the_console_prints_a_short_line_per_job_not_its_files(study_run):
    """Each job shows its rule's message (what it makes, and its log), not its input and output
    lists or its reason (the default profile's ``quiet: [reason]``): a few short lines per job."""
    console = (study_run / "console.txt").read_text()
    lines = console.splitlines()
    jobs = int(re.search(r"^total\s+(\d+)$", console, re.M)[1])
    assert max(map(len, lines)) <= 200, max(lines, key=len)[:300]
    assert len(lines) <= 60 + 10 * jobs, len(lines)
    assert "Job" in console and not re.search(r"^\s+(input|output|reason):|^Reason:", console, re.M)
    messages = re.findall(r"^Job \d+: (.*)$", console, re.M)
    assert len(messages) == jobs
    # a job that a cluster would run says what it asks (the smoke study's requests: tests/test_slurm.py)
    trained = r"train the deep students of depth5_sigma2\.00, every seed \(asks \d+ MB, \d+ min\): "
    assert [m for m in messages if re.fullmatch(trained + r"results/logs/depth5_sigma2\.00/deep\.log", m)], messages
    assert "copy the deep students of chaotic from its sweep regime: results/logs/chaotic/deep.log" in messages
    assert "figure sweep_error: results/logs/figures/sweep_error.log" in messages
