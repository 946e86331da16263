"""The report, its captions' numbers, the figures' look and the training progress log.

The end-to-end test builds ``snakemake --report`` from a completed smoke run and reads the single
HTML file back: Snakemake embeds each result as a base64 ``data:`` URI and its rendered caption
inside a ``var results = {...}`` JSON object, and the workflow description in ``var workflow_desc``.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import math
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import matplotlib.collections
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageSequence

from depthwidth.analysis.scaling import fit_students
from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import read_json, write_json
from depthwidth.presentation import captions, figures, style

REPO = Path(__file__).resolve().parents[1]
REPORT_DIR = REPO / "workflow" / "report"


# ---------------------------------------------------------------- the report, end to end


@pytest.fixture(scope="module")
def finished_smoke(request, tmp_path_factory):
    """A completed run of tests/smoke.yaml: the session's shared ``smoke_run`` if a conftest offers
    one, else a run of this checkout in a temporary folder. Read-only."""
    try:
        return request.getfixturevalue("smoke_run")
    except pytest.FixtureLookupError:
        pass
    workdir = tmp_path_factory.mktemp("smoke")
    shutil.copy2(REPO / "tests" / "smoke.yaml", workdir / "smoke.yaml")
    run = SimpleNamespace(repo=REPO, workdir=workdir, configfile=workdir / "smoke.yaml")
    proc = _snakemake(run, "--cores", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run.stdout = proc.stdout + proc.stderr
    return run


def _snakemake(run, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(run.repo), os.environ.get("PYTHONPATH")])))
    env.pop("SNAKEMAKE_PROFILE", None)
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(Path(run.repo) / "Snakefile"),
        "--configfile",
        str(run.configfile),
        *args,
    ]
    return subprocess.run(cmd, cwd=run.workdir, env=env, capture_output=True, text=True, timeout=900)


def _script_json(html: str, script_id: str) -> object:
    """The JSON value Snakemake assigns in ``<script id="...">var name = ...;</script>``."""
    match = re.search(rf'<script id="{script_id}">\s*var \w+ = (.*?);\s*</script>', html, re.S)
    assert match, f"no <script id={script_id!r}> in the report"
    return json.loads(match.group(1))


def _text(caption_html: str) -> str:
    """A caption's words without markup, whitespace collapsed."""
    text = re.sub(r"<[^>]+>", " ", caption_html).replace("&quot;", '"').replace("&amp;", "&")
    return " ".join(text.split())


@pytest.fixture(scope="module")
def report(finished_smoke, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    proc = _snakemake(finished_smoke, "--report", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = path.read_text()
    results = _script_json(html, "results")
    return SimpleNamespace(
        html=html, results=results, run=finished_smoke, captions={p: _text(r["caption"]) for p, r in results.items()}
    )


def test_report_holds_every_figure_and_the_table_byte_for_byte(report):
    results_dir = Path(report.run.workdir)
    figures_made = {
        str(p.relative_to(results_dir))
        for p in (results_dir / "results" / "figures").iterdir()
        if p.suffix in (".png", ".html")
    }
    expected = {
        "results/figures/deep_loss.png",
        "results/figures/error_vs_width.png",
        "results/figures/predictions.png",
        "results/figures/expressivity.png",
        "results/figures/expressivity_animation.html",
        "results/figures/mean_field.png",
        "results/figures/phase_diagram.png",
        "results/figures/trajectory_length.png",
    }
    assert expected <= figures_made
    # the table and the animation go in as HTML pages (the report shows HTML in place, not TSV or GIF)
    assert figures_made | {"results/summary.html"} == set(report.results)
    page = (results_dir / "results" / "summary.html").read_text()
    assert base64.b64encode((results_dir / "results" / "summary.tsv").read_bytes()).decode() in page
    animation = (results_dir / "results" / "figures" / "expressivity_animation.html").read_text()
    assert (
        base64.b64encode((results_dir / "results" / "figures" / "expressivity.gif").read_bytes()).decode() in animation
    )
    for path, result in report.results.items():
        header, data = result["data_uri"].split(",", 1)
        assert header.startswith(f"data:{result['mime_type']};"), path
        assert base64.b64decode(data) == (results_dir / path).read_bytes(), f"{path}: embedded copy differs"


def test_every_caption_is_rendered_without_errors(report):
    headings = {
        "results/figures/deep_loss.png": "(a) A deep student learns its deep teacher.",
        "results/figures/error_vs_width.png": "(b) How wide must a shallow network be?",
        "results/figures/predictions.png": "(c) Predictions on held-out inputs.",
        "results/figures/expressivity.png": "(d) Deep chaotic networks fold their input.",
        "results/figures/expressivity_animation.html": "(d, animated) The circle, layer by layer.",
        "results/figures/mean_field.png": "Order to chaos: the mean-field theory.",
        "results/figures/phase_diagram.png": "Order to chaos: the phase diagram.",
        "results/figures/trajectory_length.png": "Order to chaos: the circle's length, layer by layer.",
        "results/summary.html": "Summary table.",
    }
    for path, heading in headings.items():
        text = report.captions[path]
        assert text.startswith(heading), f"{path}: caption starts {text[:80]!r}"
        # Unrendered template syntax, docutils' complaints about bad RST, missing numbers.
        for bad in ("{{", "{%", "System Message", "n/a", "None", "once the"):
            assert bad not in text, f"{path}: caption contains {bad!r}: {text}"
        assert report.results[path]["labels"]["figure"], path


def test_captions_quote_the_run_numbers(report):
    results = Path(report.run.workdir) / "results"
    fit = read_json(results / "chaotic" / "scaling_fit.json")
    text = report.captions["results/figures/error_vs_width.png"]
    assert f"slope m = {fit['slope']:.2f}" in text
    assert f"95% CI {fit['slope_ci_low']:.2f} to {fit['slope_ci_high']:.2f}" in text
    assert f"R² = {fit['r2']:.2f}" in text
    assert f"W ≈ {captions.number(float(fit['predicted_width']))}" in text

    deep = [read_json(p) for p in sorted(results.glob("chaotic/seed*/deep/metrics.json"))]
    text = report.captions["results/figures/deep_loss.png"]
    test_errors = [m["test_relative_error"] for m in deep]
    assert f"test error {captions.number(float(np.median(test_errors)))}" in text
    assert f"{deep[0]['n_parameters']} parameters" in text

    widest = read_json(results / "chaotic" / "seed-1" / "shallow_w45" / "metrics.json")
    assert (
        f"test E = {captions.number(widest['test_relative_error'])}"
        in report.captions["results/figures/predictions.png"]
    )

    lengths = [line.split("\t") for line in (results / "expressivity" / "lengths.tsv").read_text().splitlines()[1:]]
    last_chaotic = [row for row in lengths if row[0] == "chaotic"][-1]
    assert (
        f"×{captions.number(float(last_chaotic[4]))} at hidden layer {last_chaotic[2]}"
        in report.captions["results/figures/expressivity.png"]
    )
    assert "8 shallow, 2 deep and 0 multilayer students and 1 scaling fit(s)" in report.captions["results/summary.html"]

    theory = pd.read_csv(results / "figures" / "mean_field.tsv", sep="\t")
    crossing = theory["sigma_w"][theory["chi_1"] >= 1].iloc[0]
    text = report.captions["results/figures/mean_field.png"]
    assert (
        f"χ₁ crosses 1 between σ_w = {captions.number(theory['sigma_w'][theory['chi_1'] < 1].iloc[-1])} and "
        f"{captions.number(crossing)} (the theory's transition: σ_w = 1)" in text
    )
    assert "chaotic (σ_w = 2, chaotic): q* = 2.12, χ₁ = 1.36" in text  # the smoke config's chaotic teacher
    assert "quasilinear (σ_w = 0.4, ordered): q* = 0, χ₁ = 0.16" in text

    lengths = pd.read_csv(results / "figures" / "trajectory_length.tsv", sep="\t")
    chaotic = lengths[lengths["sigma_w"] == 2.0].sort_values("layer")
    growth = (chaotic["length_geomean"].iloc[-1] / chaotic["length_geomean"].iloc[0]) ** (1 / (len(chaotic) - 1))
    assert (
        f"σ_w = 2 (χ₁ = 1.36): measured growth ×{captions.number(growth, 3)} per layer over {len(chaotic)} "
        "hidden layers, against √χ₁ = 1.17" in report.captions["results/figures/trajectory_length.png"]
    )


def test_report_has_categories_and_the_workflow_description(report):
    categories = _script_json(report.html, "categories")
    assert set(categories["Tutorial"]["Other"]) == {
        "results/figures/deep_loss.png",
        "results/figures/error_vs_width.png",
        "results/figures/predictions.png",
    }
    assert set(categories["Expressivity"]["Other"]) == {
        "results/figures/expressivity.png",
        "results/figures/expressivity_animation.html",
    }
    assert set(categories["Transition"]["Other"]) == {
        "results/figures/mean_field.png",
        "results/figures/phase_diagram.png",
        "results/figures/trajectory_length.png",
    }
    description = _text(_script_json(report.html, "workflow-desc"))
    assert "Depth vs width" in description
    assert "widths 5, 15, 45" in description  # the smoke config's, rendered from snakemake.config
    assert "System Message" not in description
    assert "Transition follows the order-to-chaos transition of random tanh nets" in description
    assert "teachers drawn at" not in description  # the smoke config has no sweep


def test_run_ends_by_saying_where_the_results_are(finished_smoke):
    if not hasattr(finished_smoke, "stdout"):
        pytest.skip("the shared smoke run does not keep its output")
    assert "This run made, in " in finished_smoke.stdout
    assert (
        "figures/ (5, PNG for the web, PDF for print): deep_loss, error_vs_width, expressivity" in finished_smoke.stdout
    )
    assert (
        f"snakemake -s {Path(finished_smoke.repo) / 'Snakefile'} --report results/report.html --configfile smoke.yaml"
        in finished_smoke.stdout
    )


def test_the_closing_report_command_with_two_config_files_reports_this_run(smoke_clone):
    """Given twice, --configfile keeps only its last value: the closing message passes every file
    after one flag, so the report it builds describes the run it follows (smoke.yaml's 1000
    training points, not config.yaml's 4000 under the second file alone)."""
    from conftest import run_snakemake

    overlay = smoke_clone.workdir / "polish.yaml"
    overlay.write_text("polish: {enabled: true}\n")
    proc = run_snakemake(
        smoke_clone.repo, smoke_clone.workdir, "--configfile", str(smoke_clone.configfile), str(overlay), cores=2
    )
    line = next(s for s in (proc.stdout + proc.stderr).splitlines() if "--report results/report.html" in s)
    command = line[line.index("snakemake ") :].split()
    assert command[-3:] == ["--configfile", "smoke.yaml", "polish.yaml"], line
    run_snakemake(smoke_clone.repo, smoke_clone.workdir, *command[3:], cores=1)  # after "snakemake -s <Snakefile>"
    description = _text(_script_json((smoke_clone.results / "report.html").read_text(), "workflow-desc"))
    assert "1000 training and 200 test inputs" in description, description


# ---------------------------------------------------------------- caption numbers


@pytest.mark.parametrize(
    "value, text",
    [
        (6.634e15, "6.6×10¹⁵"),
        (1e-6, "10⁻⁶"),
        (2.3e-7, "2.3×10⁻⁷"),
        (230.4, "230"),
        (0.0561, "0.056"),
        (math.inf, "∞"),
        (None, "n/a"),
        (12345.0, "1.2×10⁴"),
    ],
)
def test_number_formats_for_captions(value, text):
    assert captions.number(value) == text


def _metrics(regime, seed, width, error, path: Path) -> Path:
    data = {
        "regime": regime,
        "seed": seed,
        "name": f"shallow_w{width}",
        "sizes": [5, width, 1],
        "n_parameters": 6 * width,
        "points_per_parameter": 1000 / (6 * width),
        "steps": 10,
        "train_relative_error": error / 2,
        "test_relative_error": error,
        "train_seconds": 0.1,
        "train_mse": error / 2,
        "test_mse": error,
        "var_y_test": 1.0,
    }
    write_json(path, data)
    return path


def test_scaling_facts_follow_the_fit_file(tmp_path):
    # E = 0.5 W^-1 exactly: slope -1, and E = 1e-6 at W = 5e5.
    metrics = [_metrics("chaotic", s, w, 0.5 / w, tmp_path / f"m{s}_{w}.json") for s in (1, 2) for w in (5, 50, 500)]
    from depthwidth.analysis.results import load_metrics

    fit = fit_students([load_metrics(p) for p in metrics], 1e-6)
    write_json(tmp_path / "fit.json", {"regime": "chaotic", **fit})
    deep = _metrics("chaotic", 1, 5, 0.5 / 5000, tmp_path / "deep.json")
    [facts] = captions.error_vs_width([str(tmp_path / "fit.json")], [str(deep)])
    assert facts["slope"] == "-1.00"
    assert facts["predicted_width"] == "5.0×10⁵"
    assert facts["best_test"] == "0.001" and facts["best_width"] == 500
    assert facts["deep"]["shallow_width"] == "5000"  # the width the line gives the deep student's error
    assert facts["seeds"] == 2 and facts["slope_ci"].startswith("95% CI -1.00 to -1.00")


def test_caption_facts_wait_for_their_files(tmp_path):
    """Snakemake evaluates the params before the inputs exist: no error, no numbers then."""
    missing = str(tmp_path / "not_yet.json")
    assert captions.error_vs_width([missing], []) is None
    assert captions.deep_loss([missing]) is None
    assert captions.expressivity(str(tmp_path / "lengths.tsv")) is None
    table = str(tmp_path / "figure.tsv")
    assert captions.mean_field(table, {"chaotic": 2.0}) is None
    assert captions.phase_diagram(table, {"chaotic": 2.0}) is None
    assert captions.trajectory_length(table) is None and captions.sweep_scaling(table) is None
    assert captions.sweep_error(table, ["deep"]) is None and captions.equal_budget(table, ["deep"]) is None


def test_unreachable_target_is_said_not_extrapolated(tmp_path):
    metrics = [_metrics("flat", 1, w, e, tmp_path / f"m{w}.json") for w, e in ((5, 0.1), (50, 0.2))]
    from depthwidth.analysis.results import load_metrics

    write_json(tmp_path / "fit.json", {"regime": "flat", **fit_students([load_metrics(p) for p in metrics], 1e-6)})
    [facts] = captions.error_vs_width([str(tmp_path / "fit.json")], [])
    assert facts["reachable"] is False and facts["predicted_width"] == "∞"


class _Params(list):
    """Snakemake's params: a list whose items may have names."""


def _render_caption(name: str, facts, config: dict, deep_inputs=()) -> str:
    """A caption as Snakemake renders it: Jinja2 (trim_blocks, lstrip_blocks), then docutils to HTML."""
    from docutils.core import publish_parts
    from jinja2 import Environment

    params = _Params([facts])  # the rules pass the numbers as their first, unnamed param
    smk = SimpleNamespace(
        config=config, params=params, input=SimpleNamespace(deep=list(deep_inputs)), wildcards=SimpleNamespace()
    )
    rst = (
        Environment(trim_blocks=True, lstrip_blocks=True)
        .from_string((REPORT_DIR / f"{name}.rst").read_text())
        .render(snakemake=smk, categories={}, files=[])
    )
    with warnings.catch_warnings():  # Snakemake's own call; docutils 0.22 announces a new spelling
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        html = publish_parts(rst, writer_name="html", settings_overrides={"report_level": 5})["body"]
    return _text(html), rst


def _config():
    """config.yaml with the schema's defaults filled in, as the workflow sees it."""
    import yaml
    from snakemake.utils import validate

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    return config


@pytest.mark.parametrize("seeds, with_deep, slope_sign", [(1, False, -1), (2, True, -1), (1, True, +1)])
def test_error_vs_width_caption_is_valid_rst_for_every_kind_of_fit(tmp_path, seeds, with_deep, slope_sign):
    from docutils.core import publish_doctree

    from depthwidth.analysis.results import load_metrics

    metrics = [
        _metrics("chaotic", s, w, 0.5 * w ** (0.5 * slope_sign), tmp_path / f"m{s}_{w}.json")
        for s in range(seeds)
        for w in (5, 50)
    ]
    write_json(tmp_path / "fit.json", {"regime": "chaotic", **fit_students([load_metrics(p) for p in metrics], 1e-6)})
    deep = [str(_metrics("chaotic", 0, 5, 1e-4, tmp_path / "deep.json"))] if with_deep else []
    facts = captions.error_vs_width([str(tmp_path / "fit.json")], deep)
    text, rst = _render_caption("error_vs_width", facts, _config(), deep)
    doctree = publish_doctree(rst, settings_overrides={"report_level": 5})
    problems = [m.astext() for m in doctree.findall(lambda n: n.tagname == "system_message")]
    assert not problems, rst
    assert ("bootstrap over seeds" in text) == (seeds > 1)
    assert ("The deep student (30 parameters)" in text) == with_deep
    assert ("no width reaches" in text) == (slope_sign > 0)


def test_phase_diagram_caption_quotes_the_critical_line(tmp_path):
    """The caption quotes the critical sigma_w at the grid's sigma_b among 0, 0.1, 0.3, 0.5, 1 and the simulation's fit."""
    from docutils.core import publish_doctree

    from depthwidth.jobs.artifacts import write_tsv
    from depthwidth.theory import meanfield, phase

    table = phase.phase_diagram_table(
        np.linspace(0.5, 3.0, 6),
        np.linspace(0.0, 1.0, 11),
        [(0.8, 0.3), (2.0, 0.0)],
        width=300,
        layers=4,
        burn_in=1,
        inputs=2,
        seed=0,
    )
    write_tsv(tmp_path / "phase_diagram.tsv", table)
    facts = captions.phase_diagram(str(tmp_path / "phase_diagram.tsv"), {"chaotic": 2.0, "quasilinear": 0.4})
    text, rst = _render_caption("phase_diagram", facts, _config())
    assert not [
        m
        for m in publish_doctree(rst, settings_overrides={"report_level": 5}).findall(
            lambda n: n.tagname == "system_message"
        )
    ], rst
    for b in (0.0, 0.1, 0.3, 0.5, 1.0):
        assert f"σ_w = {captions.number(meanfield.critical_sigma_w(b), 4)} at σ_b = {captions.number(b)}" in text
    assert f"chaotic (σ_w = 2) has ξ_c = {captions.number(meanfield.depth_scale(2.0), 3)} layers" in text
    assert "The 2 simulated points (1 ordered, 1 chaotic)" in text
    for bad in ("{{", "{%", "n/a", "None", "once the"):
        assert bad not in text


@pytest.mark.parametrize(
    "name",
    [
        "deep_loss",
        "error_vs_width",
        "predictions",
        "expressivity",
        "expressivity_animation",
        "summary",
        "workflow",
        "mean_field",
        "phase_diagram",
        "trajectory_length",
        "sweep_error",
        "equal_budget",
        "sweep_scaling",
    ],
)
def test_captions_render_before_the_numbers_exist(name):
    """While Snakemake plans a run, ``facts`` is None: the captions must still render, cleanly."""
    from docutils.core import publish_doctree

    _, rst = _render_caption(name, None, _config())
    doctree = publish_doctree(rst, settings_overrides={"report_level": 5})
    assert not list(doctree.findall(lambda n: n.tagname == "system_message")), rst


# ---------------------------------------------------------------- figures and style


def _axes_texts(fig) -> str:
    parts = []
    for ax in fig.axes:
        parts += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
        parts += [t.get_text() for t in ax.texts]
        legend = ax.get_legend()
        if legend:
            parts += [t.get_text() for t in legend.get_texts()]
    return "\n".join(parts)


def _fit(slope, intercept, predicted, seeds=(1, 2)):
    return {
        "slope": slope,
        "intercept": intercept,
        "target_error": 1e-6,
        "predicted_width": predicted,
        "seeds": list(seeds),
        "slope_ci_low": slope - 0.1,
        "slope_ci_high": slope + 0.1,
    }


def test_error_vs_width_labels_normalisation_seeds_and_off_axis_extrapolation():
    points = {
        "chaotic": {
            "width": np.array([5, 15, 45]),
            "train": np.array([0.1, 0.05, 0.02]),
            "test": np.array([0.12, 0.06, 0.03]),
        }
    }
    fig = figures.error_vs_width(
        points, {"chaotic": _fit(-0.3, -1.7, 6.6e15)}, {"chaotic": {"test": 0.03, "n_parameters": 105}}
    )
    ax = fig.axes[0]
    text = _axes_texts(fig)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert figures.REL in ax.get_ylabel() and "y_\\mathrm{test}" in ax.get_ylabel()  # mathtext subscript
    assert "test (2 seeds)" in text and "deep student, 105 parameters" in text
    assert "target at W ≈ 6.6×10¹⁵ →" in text  # beyond 10⁶ × the widest: an arrow, not a star
    assert ax.get_xlim()[1] < 45 * 1e7
    plt.close(fig)

    fig = figures.error_vs_width(points, {"chaotic": _fit(-0.5, -1.7, 3e4)})
    assert "target reached at W ≈ 3.0×10⁴" in _axes_texts(fig)
    assert fig.axes[0].get_xlim()[1] >= 3e4
    plt.close(fig)


def test_deep_loss_names_regime_seeds_and_schedule():
    curves = {"chaotic": [np.geomspace(1, 1e-4, 400), np.geomspace(1, 1e-3, 400)]}
    fig = figures.deep_loss(curves, 100, {"chaotic": [2e-4, 2e-3]}, lr_decay=3)
    ax = fig.axes[0]
    text = _axes_texts(fig)
    assert "chaotic, training (2 seeds)" in text and "chaotic, test at end" in text
    assert ax.get_yscale() == "log" and figures.REL in ax.get_ylabel()
    assert "÷ 3" in ax.get_xlabel()
    assert sorted(line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == ":") == [100, 200, 300]
    plt.close(fig)


def test_deep_loss_counts_long_runs_in_thousands_without_an_offset():
    fig = figures.deep_loss({"chaotic": [np.geomspace(1, 1e-6, 200_000)]}, 50_000)
    ax = fig.axes[0]
    fig.canvas.draw()
    assert "thousands" in ax.get_xlabel()
    assert ax.xaxis.get_offset_text().get_text() == ""
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "100" in labels and "200" in labels, labels
    plt.close(fig)


def test_deep_loss_draws_adams_spikes_as_peaks_and_keeps_the_end_marker():
    clean = np.geomspace(1, 1e-6, 200_000)
    curve = clean.copy()
    curve[1000::37] *= 100  # spikes every 37 steps, as Adam's: drawn raw, they fill a band
    fig = figures.deep_loss({"chaotic": [curve]}, 50_000, {"chaotic": [2e-6]})
    ax = fig.axes[0]
    [line] = [line for line in ax.lines if line.get_linestyle() == "-"]
    assert len(line.get_xdata()) == figures.LOSS_BLOCKS and line.get_xdata()[-1] == len(curve)
    ends = line.get_xdata().astype(int)
    assert np.all(line.get_ydata() / clean[ends - 1] < 1.1)  # the medians follow the curve under the spikes
    [band] = [c for c in ax.collections if isinstance(c, matplotlib.collections.PolyCollection)]
    assert band.get_paths()[0].vertices[:, 1].max() == pytest.approx(curve.max())  # the spikes' tops
    assert "Adam's spikes" in _axes_texts(fig)
    [marker] = [c for c in ax.collections if c is not band]
    assert not marker.get_clip_on()
    plt.close(fig)


def _runs(sigmas=(0.4, 0.7, 0.85, 1.0, 1.15, 1.3, 2.0, 4.0), seeds=(1, 2, 3)):
    rng = np.random.default_rng(0)
    rows = [
        {
            "student": student,
            "sigma_w": s,
            "seed": seed,
            "depth": depth,
            "width": width,
            "n_parameters": 105,
            "test_relative_error": float(np.exp(rng.normal(np.log(0.01 * s), 0.3))),
        }
        for student, depth, width in (("deep", 5, 5), ("shallow_w17", 2, 17), ("linear", 1, 0), ("d3_w8", 3, 8))
        for s in sigmas
        for seed in seeds
    ]
    return pd.DataFrame(rows)


def test_sweep_bands_drawn_are_the_tabulated_ones_and_sigma_labels_do_not_crowd():
    from depthwidth.analysis import sigma_study

    runs = _runs()
    bands = sigma_study.error_bands(runs, {s: 1.0 for s in runs["sigma_w"].unique()})
    chi = sigma_study.chi_curve(list(runs["sigma_w"].unique()))
    fig = figures.sweep_error(runs, chi, ["shallow_w17"])
    ax = fig.axes[0]
    deep = bands[bands["student"] == "deep"].sort_values("sigma_w")
    [line] = [line for line in ax.lines if line.get_label().startswith("deep student")]
    np.testing.assert_allclose(line.get_ydata(), deep["test_error_median"])
    # the band: seaborn's polygon spans the TSV's interval at each sigma
    band = next(
        c
        for c in ax.collections
        if len(c.get_paths())
        and np.allclose(
            c.get_facecolor()[0][:3], line.get_color() if isinstance(line.get_color(), tuple) else (0, 0, 0)
        )
    )
    vertices = band.get_paths()[0].vertices
    for _, row in deep.iterrows():
        at = vertices[np.isclose(vertices[:, 0], row["sigma_w"])][:, 1]
        assert at.min() == pytest.approx(row["test_error_ci95_low"]) and at.max() == pytest.approx(
            row["test_error_ci95_high"]
        )
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels == ["0.5", "1", "2", "4"]  # round values; the crowded sigmas near 1 get unlabelled ticks
    assert "\\sigma_w" in ax.get_xlabel()
    plt.close(fig)

    fig = figures.equal_budget(runs, chi, ["shallow_w17", "d3_w8", "deep"], "shallow_w17")
    fig.canvas.draw()
    assert [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()] == ["0.5", "1", "2", "4"]
    plt.close(fig)


@pytest.mark.parametrize("name", ["sweep_error", "equal_budget"])
def test_chi_1_has_its_own_panel_and_legends_sit_below_the_data(name):
    from depthwidth.analysis import sigma_study

    runs = _runs()
    chi = sigma_study.chi_curve(list(runs["sigma_w"].unique()))
    if name == "sweep_error":
        fig = figures.sweep_error(runs, chi, ["shallow_w17"])
    else:
        fig = figures.equal_budget(runs, chi, ["shallow_w17", "d3_w8", "deep"], "shallow_w17")
    fig.canvas.draw()
    errors, chi_panel = fig.axes[0], fig.axes[1]
    # chi_1 on a linear panel of its own above the errors, sharing their sigma axis; no twin axis
    assert errors.get_yscale() == "log" and chi_panel.get_yscale() == "linear"
    assert "chi_1" in chi_panel.get_ylabel() and "chi_1" not in errors.get_ylabel()
    assert chi_panel.get_position().y0 >= errors.get_position().y1
    assert chi_panel.get_shared_x_axes().joined(chi_panel, errors)
    assert not any("chi_1" in line.get_label() for line in errors.lines)
    # the legends below their panels, clear of the data
    for ax in fig.axes:
        if (legend := ax.get_legend()) is not None:
            assert legend.get_window_extent().y1 <= ax.get_window_extent().y0, ax.get_title()
    # the deep student's band: faint, with an outline
    deep = [c for c in errors.collections if len(c.get_paths()) and np.allclose(c.get_facecolor()[0][:3], 0)]
    assert deep and all(c.get_facecolor()[0][3] < 0.1 and c.get_linewidth()[0] > 0 for c in deep)
    plt.close(fig)


def _depth_deep_table(kinds=("first_init", "best_init")):
    rows = []
    for s in (0.4, 1.0, 2.0, 4.0):
        for d in (2, 4, 6):
            row = {"sigma_w": s, "teacher_depth": d, "n_seeds": 5, "inits": 3, "target_error": 1e-6}
            for k in kinds:
                row |= {
                    f"{k}_test_error_median": 1e-5 * s * d,
                    f"{k}_test_error_ci95_low": 1e-6 * s * d,
                    f"{k}_test_error_ci95_high": 1e-4 * s * d,
                }
            rows.append(row)
    return pd.DataFrame(rows)


def test_depth_deep_keys_each_meaning_once_and_separates_the_sigmas():
    from matplotlib.colors import to_rgb

    fig = figures.depth_deep(_depth_deep_table())
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts.count("first initialisation") == 1 and texts.count("best of 3 initialisations") == 1, texts
    assert [t for t in texts if "sigma_w" in t] == [f"$\\sigma_w$ = {s:g}" for s in (0.4, 1.0, 2.0, 4.0)]
    assert any("bootstrap 95% interval" in t for t in texts) and any("target error" in t for t in texts)
    colours = [np.array(to_rgb(h.get_color())) for h in ax.get_legend().legend_handles[:4]]
    gaps = [np.abs(a - b).sum() for i, a in enumerate(colours) for b in colours[i + 1 :]]
    assert min(gaps) > 0.4, gaps  # 0.4 and 1 no longer two shades of one purple
    plt.close(fig)

    fig = figures.depth_deep(_depth_deep_table(("first_init", "best_init", "converged", "search")))
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "converged" in texts and "search" in texts
    plt.close(fig)


def _lengths(sigmas, layers) -> pd.DataFrame:
    """A circle-length table as trajectory_lengths writes it: length 10 * sigma_w**layer."""
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "sigma_w": s,
                    "layer": layers,
                    "n_nets": 3,
                    "chi_1": s**2,
                    "length_geomean": 10 * s**layers,
                    "length_min": 9 * s**layers,
                    "length_max": 11 * s**layers,
                    "theory_length": 10 * s**layers,
                    "theory_fixed_point_length": 10 * s**layers,
                    "normalised_length_mean": 1 + 0.1 * layers,
                    "theory_normalised_length": 1 + 0.1 * layers,
                }
            )
            for s in sigmas
        ]
    )


def test_trajectory_length_has_whole_layers_and_a_legend_for_each_kind_of_line():
    fig = figures.trajectory_length(_lengths((0.5, 1.5), np.arange(1, 6)))
    fig.canvas.draw()
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert all(float(t).is_integer() for t in ticks), ticks
        assert "^" not in ax.get_title()
    texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert any("\\sqrt{\\chi_1}" in t for t in texts) and any("3 nets" in t for t in texts), texts
    plt.close(fig)

    # over many decades (0.2**19 to 3**19): a label per decade or two, every one a power of ten
    many = _lengths((0.5, 1.6), np.arange(1, 20))
    fig = figures.trajectory_length(many)
    fig.canvas.draw()
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text() and lo <= t.get_position()[1] <= hi]
    assert 4 <= len(labels) <= 8 and all("10^" in t for t in labels), labels
    plt.close(fig)


def test_expressivity_grid_has_a_colour_key():
    projected = np.random.default_rng(0).normal(size=(2, 3, 20, 3))
    fig = figures.expressivity_grid(projected, ["a", "b"], [1, 3])
    [key] = [ax for ax in fig.axes if ax.get_ylabel() == "angle on the input circle"]
    assert [t.get_text() for t in key.get_yticklabels()] == ["0", "$\\pi$", "$2\\pi$"]
    plt.close(fig)


def test_predictions_are_in_units_of_the_teacher_sd():
    rng = np.random.default_rng(0)
    y = rng.normal(scale=0.01, size=200)
    fig = figures.predictions([("quasilinear, width 10: E = 0.1", y, y + rng.normal(scale=0.003, size=200))])
    ax = fig.axes[0]
    assert ax.get_xlabel() == "teacher output / SD(teacher)"
    offsets = ax.collections[0].get_offsets()
    assert np.std(offsets[:, 0], ddof=1) == pytest.approx(1.0)
    plt.close(fig)


def test_regime_colours_are_colour_blind_safe_and_stable():
    assert style.regime_colour("chaotic") == "#0072B2" and style.regime_colour("quasilinear") == "#E69F00"
    assert style.regime_colour("edge") == style.regime_colour("edge") in style.PALETTE
    assert style.regime_colour(0) == style.PALETTE[0]


def test_xkcd_style_renders_png_and_pdf_without_font_warnings(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with style.figure_style(xkcd=True):
            fig = figures.deep_loss({"chaotic": [np.geomspace(1, 1e-3, 50)]}, 25)
            style.save(fig, [tmp_path / "x.png", tmp_path / "x.pdf"])
    assert not [str(w.message) for w in caught]
    complaints = [
        r.getMessage() for r in caplog.records if r.name.startswith("matplotlib") and r.levelno >= logging.WARNING
    ]
    assert not complaints
    assert (tmp_path / "x.pdf").read_bytes().startswith(b"%PDF")
    assert Image.open(tmp_path / "x.png").size[0] > 500
    assert plt.rcParams["path.sketch"] is None  # the look ends with the block


def test_a_missing_xkcd_font_is_said(monkeypatch, caplog):
    monkeypatch.setattr(style, "XKCD_FONTS", ("No Such Font",))
    message = style.missing_xkcd_font()
    assert "No Such Font" in message and style.FALLBACK_FONT in message
    with caplog.at_level(logging.WARNING, logger="depthwidth"):
        assert style.xkcd_font() == style.FALLBACK_FONT
    assert message in caplog.text
    monkeypatch.setattr(style, "XKCD_FONTS", ("No Such Font", "DejaVu Sans"))
    assert style.missing_xkcd_font() is None


def test_pdfs_are_reproducible(tmp_path):
    for name in ("a", "b"):
        with style.figure_style():
            style.save(figures.deep_loss({"chaotic": [np.geomspace(1, 1e-3, 50)]}, 25), [tmp_path / f"{name}.pdf"])
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def test_animation_plays_through_the_layers_and_holds_the_last(tmp_path):
    rng = np.random.default_rng(1)
    projected = rng.normal(size=(2, 4, 30, 3))  # (nets, layers, points, 3)
    with style.figure_style():
        figures.expressivity_animation(projected, ["a", "b"], tmp_path / "a.gif", fps=4, stretch=np.ones((2, 4)))
    gif = Image.open(tmp_path / "a.gif")
    frames = [np.asarray(f.convert("L"), dtype=float) for f in ImageSequence.Iterator(gif)]
    durations = [f.info["duration"] for f in ImageSequence.Iterator(gif)]
    assert len(frames) == 4  # Pillow merges the held copies of the last layer into one long frame
    assert durations[-1] == pytest.approx(5 * durations[0], abs=20)  # its own frame + a second held
    assert all(np.abs(a - b).mean() > 0.5 for a, b in zip(frames, frames[1:]))  # each layer looks different


# ---------------------------------------------------------------- progress


def test_progress_log_has_steps_loss_rate_and_time_left(caplog):
    """Rates and time left from the engine's training seconds, which leave compiling out, measured
    from its first report (after compiling and warm-up), which gives no estimate."""
    progress = runtime.progress_logger("shallow_w45")
    with caplog.at_level(logging.INFO, logger="depthwidth"):
        progress(1000, 10000, np.array([0.0123]), 30.0)  # a slow first call (warm-up) sets no rate
        progress(1200, 10000, np.array([0.01]), 30.5)  # half a second: too short to measure a rate
        progress(3000, 10000, np.array([0.00456]), 34.0)
        progress(4000, 8000, np.array([0.3, 0.1, 0.2]), 36.0)  # a batch: the median and the largest
    first, short, second, third = (r.getMessage() for r in caplog.records)
    assert first == "shallow_w45: step 1000/10000 (10%), training MSE 0.0123"
    assert short == "shallow_w45: step 1200/10000 (12%), training MSE 0.01"
    assert second == "shallow_w45: step 3000/10000 (30%), training MSE 0.00456, 500 steps/s, ~14 s left"
    assert third == (
        "shallow_w45: step 4000/8000 (50%), training MSE median 0.2, max 0.3 over 3 students, 500 steps/s, ~8 s left"
    )


def test_progress_on_the_console_at_most_every_ten_seconds(monkeypatch):
    """The console (a job's stderr) gets a line at most every 10 s, none in a job's first 10 s."""
    clock = [100.0]
    monkeypatch.setattr(runtime.time, "monotonic", lambda: clock[0])
    console = io.StringIO()
    progress = runtime.progress_logger("deep", console, "chaotic/deep")
    for step in range(1, 8):  # a report every 5 s, 2 s of training each
        clock[0] += 5
        progress(100 * step, 1000, np.array([0.5]), 2.0 * step)
    lines = console.getvalue().splitlines()
    assert lines == [
        "chaotic/deep: step 200/1000 (20%), training MSE 0.5, 50 steps/s, ~16 s left",
        "chaotic/deep: step 400/1000 (40%), training MSE 0.5, 50 steps/s, ~12 s left",
        "chaotic/deep: step 600/1000 (60%), training MSE 0.5, 50 steps/s, ~8 s left",
    ]


def test_format_duration():
    assert runtime.format_duration(42) == "42 s"
    assert runtime.format_duration(600) == "10.0 min"
    assert runtime.format_duration(3 * 3600) == "3.0 h"


def test_every_caption_file_is_used_by_a_rule():
    """Each caption is a catalog figure's (workflow/report/<name>.rst) or named in a rule, and each
    catalog figure has its caption."""
    from depthwidth.presentation import catalog

    rules = "\n".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    figures = {f.name for f in catalog.FIGURES}
    for rst in REPORT_DIR.glob("*.rst"):
        if rst.name != "workflow.rst":
            assert rst.stem in figures or f"/{rst.name}" in rules, f"{rst.name} is not any result's caption"
    assert {f"{name}.rst" for name in figures} <= {p.name for p in REPORT_DIR.glob("*.rst")}
    assert 'report: "report/workflow.rst"' in (REPO / "workflow" / "Snakefile").read_text()


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
def test_readme_figures_are_legible_copies_and_the_rule_graph(finished_smoke, tmp_path):
    workdir = tmp_path / "run"
    shutil.copytree(finished_smoke.workdir, workdir, symlinks=True, ignore=shutil.ignore_patterns("locks"))
    run = SimpleNamespace(
        repo=finished_smoke.repo, workdir=workdir, configfile=workdir / finished_smoke.configfile.name
    )
    proc = _snakemake(run, "--cores", "1", "readme_figures")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("deep_loss", "error_vs_width", "predictions", "expressivity"):
        with (
            Image.open(workdir / "docs" / "figures" / f"{name}.png") as small,
            Image.open(workdir / "results" / "figures" / f"{name}.png") as full,
        ):
            assert small.size[0] == min(1600, full.size[0])
            assert small.size[1] == pytest.approx(full.size[1] * small.size[0] / full.size[0], abs=1)
    svg = (workdir / "docs" / "rulegraph.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "figure_error_vs_width" in svg and "scaling_fit" in svg
