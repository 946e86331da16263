"""Shared fixtures: a private copy of the workflow, and one completed smoke run reused by tests.

Workflow runs happen in temporary folders against a copy of the repository (Snakefile, rules,
scripts, package), so that a test may touch a module to see what Snakemake reruns without
disturbing the checkout, and jobs import that copy's package (``PYTHONPATH``).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW_PARTS = (
    "Snakefile",
    "config.yaml",
    "config",
    "workflow",
    "scripts",
    "depthwidth",
    "envs",
    "profiles",
    "pyproject.toml",
)
SMOKE_CONFIG = REPO / "tests" / "smoke.yaml"


def copy_workflow(dest: Path) -> Path:
    """Copy what a run needs into ``dest`` (mtimes kept); return ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in WORKFLOW_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif src.exists():
            shutil.copy2(src, dest / part)
    return dest


def snakemake_env(repo: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(repo), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("OMP_NUM_THREADS", "1")
    env.pop("SNAKEMAKE_PROFILE", None)
    return env


def snakemake_command(repo: Path, *args: str, cores: int = 2) -> list[str]:
    return [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--cores", str(cores), *args]


def run_snakemake(
    repo: Path, workdir: Path, *args: str, cores: int = 2, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess:
    """Run Snakemake in ``workdir`` (the repo's default profile applies, as for a user)."""
    proc = subprocess.run(
        snakemake_command(repo, *args, cores=cores),
        cwd=workdir,
        env=snakemake_env(repo),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def job_counts(output: str) -> dict[str, int]:
    """The ``Job stats`` table of a (dry) run as {rule: count}, without the total; {} if nothing to do."""
    counts: dict[str, int] = {}
    lines = output.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Job stats:")
    except StopIteration:
        return counts
    for line in lines[start + 3 :]:
        m = re.fullmatch(r"\s*(\w+)\s+(\d+)\s*", line)
        if not m or m.group(1) == "total":
            break
        counts[m.group(1)] = int(m.group(2))
    return counts


def pending_files(summary_output: str) -> list[str]:
    """The files a run would (re)make: ``snakemake --summary``'s rows whose plan is "update pending".
    (The console names each job by its message, not its files.)"""
    rows = [line.split("\t") for line in summary_output.splitlines() if line.count("\t") >= 5]
    return [row[0] for row in rows if row[0] != "output_file" and row[-1] == "update pending"]


def merged(base: dict, overlay: dict) -> dict:
    """Snakemake's --configfile merge: mappings merge key by key, anything else replaces."""
    out = copy.deepcopy(base)
    for k, v in overlay.items():
        out[k] = merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def clone_workdir(src: Path, dest: Path) -> Path:
    """Copy a workdir with its results and Snakemake's records, keeping mtimes."""
    shutil.copytree(src, dest, symlinks=True, ignore=shutil.ignore_patterns("locks"))
    return dest


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@dataclass(frozen=True)
class Run:
    repo: Path  # the workflow copy that ran
    workdir: Path  # where results/ lies
    configfile: Path

    def snakemake(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        # --configfile takes several files: it goes last, or it would swallow the targets
        return run_snakemake(self.repo, self.workdir, *args, "--configfile", str(self.configfile), **kwargs)

    @property
    def results(self) -> Path:
        return self.workdir / "results"

    def config(self) -> dict:
        return yaml.safe_load(self.configfile.read_text())


@pytest.fixture(scope="session")
def workflow_repo(tmp_path_factory) -> Path:
    """A copy of the workflow shared by the session's runs (tests that touch it restore it)."""
    return copy_workflow(tmp_path_factory.mktemp("repo"))


@pytest.fixture(scope="session")
def smoke_run(workflow_repo, tmp_path_factory) -> Run:
    """The smoke config run to completion once per session. Treat as read-only: clone it to change it."""
    workdir = tmp_path_factory.mktemp("smoke")
    configfile = workdir / "smoke.yaml"
    shutil.copy2(SMOKE_CONFIG, configfile)
    run = Run(workflow_repo, workdir, configfile)
    run.snakemake()
    return run


@pytest.fixture(scope="session")
def study_run(tmp_path_factory) -> Path:
    """tests/smoke_study.yaml (3 sigmas, 2 seeds, a few steps) run once per session in a temporary
    folder, with the checkout's workflow; the folder it ran in (results/ inside). Read-only."""
    work = tmp_path_factory.mktemp("study")
    shutil.copy(REPO / "tests" / "smoke_study.yaml", work)
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop("SNAKEMAKE_PROFILE", None)
    run = subprocess.run(
        snakemake_command(REPO, "--configfile", "smoke_study.yaml"),
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    (work / "console.txt").write_text(run.stdout + run.stderr)  # what a user's terminal showed
    return work


@pytest.fixture
def smoke_clone(smoke_run, tmp_path_factory) -> Run:
    """A private copy of the completed smoke run, to damage or extend.

    It lies as deep as the original, beside the workflow copy: the rules' code inputs are paths
    relative to the working folder (so that a clone moved with its results stays up to date), and
    a copy at another depth would see them all changed.
    """
    dest = tmp_path_factory.mktemp("clone")  # a sibling of the original: the same depth
    dest.rmdir()
    workdir = clone_workdir(smoke_run.workdir, dest)
    return Run(smoke_run.repo, workdir, workdir / smoke_run.configfile.name)


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the ``summary`` lines tests recorded with ``record_property("summary", text)``.

    They show in every run's output (CI included), whether or not output capture is on.
    """
    lines = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == "summary" and getattr(report, "when", "call") == "call":
                    lines.append(f"{report.nodeid}: {value}")
    if lines:
        terminalreporter.section("test summaries")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread for a module's tests, as every workflow job runs (OpenMP threads crawl
    on a busy machine); restored afterwards. Modules opt in with ``pytestmark``."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
