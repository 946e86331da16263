"""The catalog's install path: the workflow deployed as a Snakemake module into an empty folder.

``snakedeploy deploy-workflow <repo> <dest> --tag <tag>`` copies the repository's ``config/`` to
``<dest>/config/`` and writes ``<dest>/workflow/Snakefile``, which declares the workflow a module
(``snakefile: github(...)``, ``config: config``) and uses all its rules. Tests have no network, so
the module's Snakefile here is a local clone's (a copy of the checkout, as ``conftest`` makes for
every run); docs/deployment.md says what differs for a ``github(...)`` source. The smoke config runs
to the end in the deployment, whose results must hold what a run at the repository root makes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import REPO, SMOKE_CONFIG, copy_workflow, job_counts, snakemake_env

# What snakedeploy's template (snakedeploy/templates/use_workflow.smk.jinja) writes, with a local
# path where it writes github("<owner>/<repo>", path="workflow/Snakefile", tag="<tag>").
DEPLOYED_SNAKEFILE = """\
configfile: "config/config.yaml"


# declare {source} as a module
module depthwidth:
    snakefile:
        "{snakefile}"
    config:
        config


# use all rules from {source}
use rule * from depthwidth
"""


def deploy(clone: Path, dest: Path) -> Path:
    """Deploy ``clone`` into the empty folder ``dest`` as snakedeploy would; return ``dest``."""
    dest.mkdir()
    shutil.copytree(clone / "config", dest / "config")
    (dest / "workflow").mkdir()
    snakefile = (clone / "workflow" / "Snakefile").resolve()
    (dest / "workflow" / "Snakefile").write_text(DEPLOYED_SNAKEFILE.format(source=clone, snakefile=snakefile))
    return dest


def snakemake(dest: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """``snakemake --cores 2 ...`` in the deployment, as its user runs it (no -s: workflow/Snakefile)."""
    env = snakemake_env(dest)  # the deployment on PYTHONPATH, not the clone: the module must find its package
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=dest,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess, float]:
    """A clone, a deployment of it with the smoke config as its config, and that config's finished run."""
    root = tmp_path_factory.mktemp("deploy")
    clone = copy_workflow(root / "depth-vs-width")
    dest = deploy(clone, root / "my-analysis")
    shutil.copy2(SMOKE_CONFIG, dest / "config" / "smoke.yaml")
    start = time.perf_counter()
    proc = snakemake(dest, "--configfile", "config/smoke.yaml")
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, f"the deployed workflow failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    return clone, dest, proc, seconds


def test_deployment_gets_the_config_as_a_file():
    """What snakedeploy copies is config/ itself: its config.yaml is the config, not a link."""
    config = REPO / "config" / "config.yaml"
    assert config.is_file() and not config.is_symlink()
    assert yaml.safe_load(config.read_text())["regimes"], "config/config.yaml holds no regimes"


def test_deployed_workflow_runs_the_smoke_config_to_the_end(deployment, record_property):
    clone, dest, proc, seconds = deployment
    smoke = yaml.safe_load(SMOKE_CONFIG.read_text())
    results = dest / "results"
    # nothing is written beside the module's Snakefile: results and logs are the deployment's
    assert not (clone / "results").exists()
    for name in ("deep_loss", "error_vs_width", "predictions", "expressivity", "mean_field", "phase_diagram"):
        assert (results / "figures" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    table = pd.read_csv(results / "summary.tsv", sep="\t")
    students = table[table["model"] != "scaling_fit"]
    expected = sum(
        len(smoke["seeds"]) * (len(spec["shallow_widths"]) + bool(spec["deep_student"]))
        for spec in smoke["regimes"].values()
    )
    assert len(students) == expected
    assert (students["test_error_mse_over_var_ytest"] > 0).all()
    for regime, spec in smoke["regimes"].items():
        for seed in smoke["seeds"]:
            metrics = json.loads(
                (
                    results / regime / f"seed{seed}" / "shallow_w{}".format(spec["shallow_widths"][0]) / "metrics.json"
                ).read_text()
            )
            assert metrics["steps"] == smoke["shallow"]["steps"] and 0 < metrics["test_relative_error"] < 2
    fit = json.loads((results / "chaotic" / "scaling_fit.json").read_text())
    assert fit["slope"] < 0, fit  # wider shallow students imitate the teacher better
    assert (results / "logs" / "chaotic" / "deep.log").exists()
    record_property("summary", f"deployed smoke run: {seconds:.0f} s")


def test_deployed_workflow_is_up_to_date_after_its_run(deployment):
    """The code inputs (the clone's package modules, relative to the deployment) and the config
    are the run's: a second run has nothing to do."""
    _, dest, _, _ = deployment
    proc = snakemake(dest, "-n", "--configfile", "config/smoke.yaml")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Nothing to be done" in proc.stdout + proc.stderr, job_counts(proc.stdout + proc.stderr)


def test_deployed_jobs_run_the_clones_package(deployment):
    """Editing a module of the clone's package reruns the jobs that import it in the deployment."""
    clone, dest, _, _ = deployment
    module = clone / "depthwidth" / "theory" / "meanfield.py"
    module.write_text(module.read_text() + "\n")
    proc = snakemake(dest, "-n", "--configfile", "config/smoke.yaml")
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = job_counts(proc.stdout + proc.stderr)
    assert "mean_field" in counts and "student" not in counts, counts


def test_a_module_without_a_local_clone_is_refused_with_a_clear_message(tmp_path):
    """A module whose Snakefile is no file of a clone (github(...), here a local git repository
    read from its objects: ``gitfile``) has no root to import the package and read scripts from."""
    clone = copy_workflow(tmp_path / "depth-vs-width")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(clone)]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "v0"], ["tag", "v0"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    dest = deploy(clone, tmp_path / "my-analysis")
    snakefile = dest / "workflow" / "Snakefile"
    source = f'gitfile("{clone}", path="workflow/Snakefile", tag="v0")'
    snakefile.write_text(snakefile.read_text().replace(f'"{(clone / "workflow" / "Snakefile").resolve()}"', source))
    proc = snakemake(dest, "-n")
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "is not in a local clone of the repository" in output, output[-3000:]
