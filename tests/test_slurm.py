"""The Slurm profiles, against a real single-node Slurm started for the test (tests/slurm/cluster.py).

The smoke workflow run through ``profiles/slurm`` must give the same numbers as a local run;
a job failing on a node (a student asked to train on CUDA through ``profiles/slurm-gpu``, on a
fake GPU) must stop the run with the job's log named and no outputs of it left behind.

Slurm needs root and the Debian packages of tests/slurm/ci-install.sh. If it cannot start, the
Slurm tests fail with the reason; set DEPTHWIDTH_SKIP_SLURM=1 to skip them instead.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "tests" / "smoke.yaml"
TEST_PROFILE = REPO / "tests" / "slurm" / "profile"
SKIP_ENV = "DEPTHWIDTH_SKIP_SLURM"
# Commands of the Debian packages slurm-client, slurmctld, slurmd and munge.
SLURM_COMMANDS = {
    "sacct",
    "sacctmgr",
    "salloc",
    "sattach",
    "sbatch",
    "sbcast",
    "scancel",
    "scontrol",
    "sdiag",
    "sinfo",
    "sprio",
    "squeue",
    "sreport",
    "srun",
    "sshare",
    "sstat",
    "strigger",
    "slurmctld",
    "slurmd",
    "slurmstepd",
    "munge",
    "remunge",
    "unmunge",
    "munged",
    "mungekey",
}
# Wall-clock durations: the only numbers a Slurm run may not reproduce.
TIMING_KEYS = {"train_seconds", "train_time_s"}
SUBMITTED = re.compile(r"has been submitted with SLURM jobid (\d+)")


def _load_cluster_module():
    spec = importlib.util.spec_from_file_location("slurm_cluster", REPO / "tests" / "slurm" / "cluster.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cluster_module = _load_cluster_module()


# -- running snakemake ---------------------------------------------------------------------------
# Snakemake with a filter on its logger that keeps every job-info event's rule and resources (the
# events a logger plugin receives) and prints them last, as JSON: the console shows each job's
# `message:` in place of its resources.
WITH_JOB_RESOURCES = """
import json, logging, sys
from snakemake.cli import main
from snakemake_interface_logger_plugins.common import LogEvent

jobs = []

def keep(record):
    if getattr(record, "event", None) == LogEvent.JOB_INFO:
        jobs.append((record.rule_name, {k: str(v) for k, v in record.resources.items() if not k.startswith("_")}))
    return True

logging.getLogger("snakemake.logging").addFilter(keep)
try:
    main(sys.argv[1:])
finally:
    print("JOB RESOURCES " + json.dumps(jobs))
"""


def snakemake(
    workdir: Path,
    *args: str,
    timeout: float,
    path: str | None = None,
    configfile: Path = SMOKE,
    job_resources: bool = False,
) -> tuple[int, str]:
    """Run the workflow in ``workdir``; return its exit status and output (also in workdir/snakemake.out).
    With ``job_resources`` the output ends with every job's resources (:func:`job_resources`).

    On timeout it is interrupted with SIGINT, which the Slurm plugin answers by cancelling its jobs
    (it ignores SIGTERM), and the test fails.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    if path is not None:
        env["PATH"] = path
    out_path = workdir / "snakemake.out"
    program = ["-c", WITH_JOB_RESOURCES] if job_resources else ["-m", "snakemake"]
    cmd = [sys.executable, *program, "-s", str(REPO / "Snakefile"), "--configfile", str(configfile), *args]
    with open(out_path, "w") as out:
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            pytest.fail(f"snakemake {' '.join(args)} ran over {timeout} s:\n{out_path.read_text()[-3000:]}")
    return rc, out_path.read_text()


def workdir_with_smoke(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(SMOKE, path / SMOKE.name)
    return path


def expected_slurm_jobs(config: dict) -> dict[str, int]:
    """Jobs per rule that go to Slurm for a config: every rule but the localrules. One teacher job
    per regime and one student job per regime and student, each for every seed."""
    regimes = config["regimes"].values()
    return {
        "teacher": len(config["regimes"]),
        "student": sum(len(r["shallow_widths"]) + bool(r["deep_student"]) for r in regimes),
        "expressivity": 1,
        "trajectory_lengths": 1,  # the circle's length per layer for several sigmas: real work
    }


# -- comparing results ---------------------------------------------------------------------------
def result_files(root: Path) -> set[str]:
    skip = ("results/logs/", "results/benchmarks/")
    return {
        str(p.relative_to(root))
        for p in (root / "results").rglob("*")
        if p.is_file() and not str(p.relative_to(root)).startswith(skip)
    }


def assert_same(a, b, where: str) -> int:
    """Assert ``a`` and ``b`` are equal, number for number (NaN equals NaN); return the count of numbers."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{where}: keys {sorted(a)} != {sorted(b)}"
        return sum(assert_same(a[k], b[k], f"{where}.{k}") for k in a if k not in TIMING_KEYS)
    if isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{where}: {a!r} != {b!r}"
        return sum(assert_same(x, y, f"{where}[{i}]") for i, (x, y) in enumerate(zip(a, b)))
    if isinstance(a, torch.Tensor):
        a, b = a.numpy(), b.numpy()
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), f"{where}: arrays differ"
        return a.size
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return 1
    assert a == b, f"{where}: {a!r} != {b!r}"
    return int(isinstance(a, (int, float)) and not isinstance(a, bool))


def compare_results(local: Path, remote: Path) -> tuple[int, int]:
    """Assert the two runs wrote the same result files with the same numbers; return (files, numbers)."""
    files = result_files(local)
    assert files == result_files(remote), f"different result files: {sorted(files ^ result_files(remote))}"
    numbers = 0
    for name in sorted(files):
        a, b = local / name, remote / name
        if name.endswith(".json"):
            numbers += assert_same(json.loads(a.read_text()), json.loads(b.read_text()), name)
        elif name.endswith(".npz"):
            with np.load(a) as x, np.load(b) as y:
                numbers += assert_same(dict(x), dict(y), name)
        elif name.endswith(".pt"):
            numbers += assert_same(torch.load(a, weights_only=True), torch.load(b, weights_only=True), name)
        elif name.endswith(".tsv"):
            x, y = pd.read_csv(a, sep="\t"), pd.read_csv(b, sep="\t")
            x, y = (t.drop(columns=[c for c in t.columns if c in TIMING_KEYS]) for t in (x, y))
            pd.testing.assert_frame_equal(x, y, check_exact=True, obj=name)
            numbers += int(x.select_dtypes("number").size)
        else:  # figures: rendered locally from the compared numbers; their bytes hold timestamps
            assert b.stat().st_size > 0, f"{name} is empty"
    return len(files), numbers


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """A running test cluster with one fake GPU, stopped (daemons by PID) after the module."""
    cluster = cluster_module.SlurmCluster(tmp_path_factory.mktemp("slurm-state"), gpus=1)
    try:
        cluster.start()
    except cluster_module.SlurmUnavailable as err:
        if os.environ.get(SKIP_ENV) == "1":
            pytest.skip(f"Slurm could not start ({SKIP_ENV}=1): {err}")
        pytest.fail(f"Slurm could not start: {err}\n(set {SKIP_ENV}=1 to skip the Slurm tests)", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> Path:
    work = workdir_with_smoke(tmp_path_factory.mktemp("local"))
    rc, out = snakemake(work, "--cores", "2", timeout=300)
    assert rc == 0, out[-3000:]
    return work


# -- tests ---------------------------------------------------------------------------------------
def path_without_slurm(tmp_path: Path) -> str:
    """A PATH holding every command of this one but Slurm's and munge's (as links)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            link = bin_dir / entry.name
            if entry.name not in SLURM_COMMANDS and not link.exists() and os.access(entry.path, os.X_OK):
                link.symlink_to(entry.path)
    return str(bin_dir)


@pytest.mark.parametrize("profile", ["slurm", "slurm-gpu"])
def test_dry_run_needs_no_slurm(profile, tmp_path):
    path = path_without_slurm(tmp_path)
    assert all(shutil.which(c, path=path) is None for c in SLURM_COMMANDS)
    work = workdir_with_smoke(tmp_path / "work")
    rc, out = snakemake(
        work, "--profile", str(REPO / "profiles" / profile), "-n", timeout=120, path=path, job_resources=True
    )
    assert rc == 0, out[-3000:]
    # The job table of the dry run: every rule with its job count.
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out, re.MULTILINE))
    config = yaml.safe_load(SMOKE.read_text())
    for rule, n in expected_slurm_jobs(config).items():
        assert int(counts[rule]) == n, f"{rule}: {counts}"
    local = {
        "scaling_fit": 1,
        "summary": 1,
        "summary_upstream_present": 1,
        "all": 1,
        "figure_deep_loss": 1,
        "figure_error_vs_width": 1,
        "figure_predictions": 1,
        "figure_expressivity": 1,
        "mean_field": 1,
        "phase_diagram": 1,
        "figure_trajectory_length": 1,
    }
    assert int(counts["total"]) == sum(expected_slurm_jobs(config).values()) + sum(local.values()), counts
    # Only the GPU profile asks a GPU, and only for students.
    asked = job_resources(out)
    gpu_rules = {rule for rule, resources in asked if resources.get("gpu") == "1"}
    assert gpu_rules == ({"student"} if profile == "slurm-gpu" else set()), asked  # no sweep in the smoke config


def job_resources(output: str) -> list[tuple[str, dict[str, str]]]:
    """(rule, {resource: value}) of every job of a run with ``job_resources=True``."""
    jobs = json.loads(re.search(r"^JOB RESOURCES (.*)$", output, re.MULTILINE)[1])
    assert jobs, output[-3000:]
    return [(rule, resources) for rule, resources in jobs]


def test_requests_follow_the_tutorial_config(tmp_path):
    """The requests the README quotes for config.yaml: ~0.5 GB each, 22 and 30 min for the longest students."""
    rc, out = snakemake(
        tmp_path,
        "--profile",
        str(REPO / "profiles" / "slurm"),
        "-n",
        timeout=120,
        configfile=REPO / "config.yaml",
        job_resources=True,
    )
    assert rc == 0, out[-3000:]
    asked = {}
    for rule, resources in job_resources(out):
        asked.setdefault(rule, set()).add((int(resources["mem_mb"]), int(resources["runtime"])))
    assert asked["teacher"] == {(504, 5)}  # float32 arrays
    assert asked["expressivity"] == {(549, 5)}  # computed in float64 whatever the dtype
    # shallow widths 5, 15, 45, 135 (20,000 steps), 10 (quasilinear), and the deep student (200,000 steps)
    assert asked["student"] == {(502, 6), (504, 7), (509, 11), (523, 22), (503, 7), (507, 30)}, asked["student"]


def test_gpu_profile_is_the_slurm_profile_with_a_gpu_per_student():
    cpu = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    gpu = yaml.safe_load((REPO / "profiles" / "slurm-gpu" / "config.yaml").read_text())
    rules = ("student", "sweep_student", "student_restarts", "sweep_student_restarts")
    assert gpu.pop("set-resources") == {rule: {"gpu": 1} for rule in rules}
    assert gpu.pop("config") == {"device": "cuda"}
    assert gpu == {k: v for k, v in cpu.items() if k != "set-resources"}


def test_smoke_on_slurm_equals_local_run(slurm, local_run, tmp_path, record_property):
    work = workdir_with_smoke(tmp_path / "slurm")
    before = set(slurm.submitted_job_ids())
    start = time.monotonic()
    rc, out = snakemake(
        work, "--profile", str(REPO / "profiles" / "slurm"), "--profile", str(TEST_PROFILE), timeout=480
    )
    seconds = time.monotonic() - start
    assert rc == 0, out[-4000:]
    # Every non-local job went through sbatch, once: as snakemake saw it and as slurmctld logged it.
    submitted = [int(i) for i in SUBMITTED.findall(out)]
    logged = sorted(set(slurm.submitted_job_ids()) - before)
    expected = sum(expected_slurm_jobs(yaml.safe_load(SMOKE.read_text())).values())
    assert sorted(submitted) == logged, (submitted, logged)
    assert len(submitted) == expected, out[-4000:]
    files, numbers = compare_results(local_run, work)
    record_property(
        "summary",
        f"smoke workflow on Slurm: {len(submitted)} Slurm jobs submitted, run took {seconds:.0f} s; "
        f"{files} result files and {numbers} numbers equal to the local run",
    )


def test_failed_slurm_job_stops_the_run(slurm, tmp_path, record_property):
    """A student asked for CUDA gets a (fake) GPU from Slurm, torch finds no CUDA, the job fails."""
    work = workdir_with_smoke(tmp_path / "gpu")
    student = "results/chaotic/seed7/shallow_w5"
    before = set(slurm.submitted_job_ids())
    rc, out = snakemake(
        work,
        "--profile",
        str(REPO / "profiles" / "slurm-gpu"),
        "--profile",
        str(TEST_PROFILE),
        f"{student}/metrics.json",
        timeout=300,
    )
    assert rc != 0, out[-4000:]
    assert "Error in rule student" in out, out[-4000:]
    job_log = "results/logs/chaotic/shallow_w5.log"
    assert job_log in out
    assert "device: cuda was asked for, but torch sees no CUDA device" in (work / job_log).read_text()
    # Slurm's own log of the failed job is named and kept.
    slurm_logs = re.findall(r"(\S*results/logs/slurm/rule_student/\S+?\.log)", out)
    assert slurm_logs and all(Path(work, p).is_file() for p in slurm_logs), out[-4000:]
    # The teacher's job ran; nothing of the student is left, no summary was made.
    assert (work / "results/chaotic/seed7/data.npz").is_file()
    assert sorted(p.name for p in (work / student).glob("*")) == []
    assert not (work / "results/summary.tsv").exists()
    # Two jobs went to Slurm: the teacher's, on CPUs, and the student's, with one GPU.
    jobs = sorted(set(slurm.submitted_job_ids()) - before)
    assert len(jobs) == 2, jobs
    shown = {j: slurm.run_client("scontrol", "show", "job", str(j)).stdout for j in jobs}
    student_job = [j for j, text in shown.items() if "Comment=rule_student" in text]
    assert len(student_job) == 1, shown
    assert re.search(r"TresPerJob=\S*gpu:1", shown[student_job[0]]), shown[student_job[0]]
    assert "JobState=FAILED" in shown[student_job[0]], shown[student_job[0]]
    record_property(
        "summary", f"failing GPU run on Slurm: {len(jobs)} Slurm jobs submitted, student job failed as expected"
    )
