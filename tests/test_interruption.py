"""A run killed mid-training completes on rerun, with the results of a run never interrupted.

Each test starts Snakemake on a small config whose deep student trains for several seconds,
waits until that job is training, interrupts it (Ctrl-C to Snakemake, or SIGKILL to the job as
the out-of-memory killer or a cluster would), checks nothing half-made is left looking complete,
reruns the same command (the repo's profile sets ``rerun-incomplete``) and compares every result
file byte for byte with an uninterrupted run.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
import yaml
from conftest import Run, files_under, snakemake_command, snakemake_env

TARGET = "results/chaotic/seed-1/deep/metrics.json"
STUDENT_DIR = "results/chaotic/seed-1/deep"
STUDENT_LOG = "results/logs/chaotic/deep.log"
STUDENT_FILES = ("student.pt", "student.pt.json", "metrics.json", "loss.npz")
CHECKPOINT_EVERY = 20000

# One teacher and its deep student, trained 2 x 250000 steps (~20 s here with the native loop, at
# about 40 us per float64 step on 1000 points): the kill comes after the first progress report
# (5 s into training), so it lands mid-training (each test checks that it did).
LONG_CONFIG = {
    "seeds": [-1],
    "dtype": "float64",
    "device": "cpu",
    "checkpoint_every": CHECKPOINT_EVERY,
    "compile": False,  # a cold compile would cost more than the training; the engine tests cover resume compiled
    "teacher": {"n_in": 5, "width": 5, "depth": 5},
    "data": {"n_train": 1000, "n_test": 200},
    "regimes": {"chaotic": {"sigma": 2.0, "shallow_widths": [5], "deep_student": True, "student_init": "default"}},
    "deep": {"phases": 2, "steps_per_phase": 250000, "lr": 1.0e-2, "lr_decay": 3},
    "expressivity": {"regimes": ["chaotic"]},
}


def new_run(repo: Path, workdir: Path) -> Run:
    workdir.mkdir(parents=True)
    configfile = workdir / "long.yaml"
    configfile.write_text(yaml.safe_dump(LONG_CONFIG))
    return Run(repo, workdir, configfile)


def result_files(run: Run) -> dict[str, bytes]:
    return {
        k: v
        for k, v in files_under(run.results).items()
        if not k.startswith(("logs/", "benchmarks/", ".cache/", "store/"))
    }


@pytest.fixture(scope="module")
def uninterrupted(workflow_repo, tmp_path_factory) -> dict[str, bytes]:
    run = new_run(workflow_repo, tmp_path_factory.mktemp("long") / "uninterrupted")
    run.snakemake(TARGET, cores=1)
    files = result_files(run)
    assert sorted(files) == sorted(
        [f"{STUDENT_DIR}/{f}".removeprefix("results/") for f in STUDENT_FILES]
        + ["chaotic/seed-1/teacher.pt", "chaotic/seed-1/teacher.pt.json", "chaotic/seed-1/data.npz"]
    )
    return files


def wait_for(condition: Callable[[], object], proc: subprocess.Popen, what: str, timeout: float = 300) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc.poll() is not None:
            raise AssertionError(f"snakemake ended ({proc.returncode}) before {what}:\n{proc.stdout.read()}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def student_job(proc: subprocess.Popen) -> psutil.Process | None:
    """The process running the student's script, among Snakemake's descendants."""
    try:
        for child in psutil.Process(proc.pid).children(recursive=True):
            if any("student.py" in part for part in child.cmdline()):
                return child
    except psutil.NoSuchProcess:
        pass
    return None


def training(run: Run) -> bool:
    """The student has reported progress: it is past its start-up and in the training loop."""
    log = run.workdir / STUDENT_LOG
    return log.exists() and re.search(r"deep: step \d+/", log.read_text()) is not None


def checkpoint_files(run: Run) -> list[Path]:
    """Checkpoint files the student left anywhere in the working folder (not temporaries)."""
    return [
        p
        for p in run.workdir.rglob("*")
        if p.is_file()
        and re.search(r"checkpoint|ckpt", p.name, re.I)
        and not p.name.startswith(".")
        and ".snakemake/log" not in str(p)
    ]


class Interrupted:
    """Snakemake started in the background, in its own process group so that cleanup is certain."""

    def __init__(self, run: Run):
        self.run = run
        self.proc = subprocess.Popen(
            snakemake_command(run.repo, TARGET, "--configfile", str(run.configfile), cores=1),
            cwd=run.workdir,
            env=snakemake_env(run.repo),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            # A shell's background job starts with SIGINT ignored, and children inherit that: give
            # Snakemake the default disposition, as it has in a terminal, whoever runs the tests.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def finish(self, timeout: float = 120) -> str:
        out, _ = self.proc.communicate(timeout=timeout)
        return out


def assert_nothing_half_made(run: Run) -> None:
    for name in STUDENT_FILES:
        assert not (run.workdir / STUDENT_DIR / name).exists(), f"{name} left after the kill"
    leftovers = (
        [p.name for p in (run.workdir / STUDENT_DIR).glob(".*.tmp*")] if (run.workdir / STUDENT_DIR).exists() else []
    )
    assert not any(name.startswith((".metrics.json", ".student.pt")) for name in leftovers), leftovers


def rerun_and_compare(run: Run, uninterrupted: dict[str, bytes]) -> str:
    proc = run.snakemake(TARGET, cores=1)  # the profile's rerun-incomplete picks the job up again
    assert "(Rule: student)" in proc.stdout + proc.stderr  # "Finished jobid: <n> (Rule: student)"
    got = result_files(run)
    assert sorted(got) == sorted(uninterrupted)
    assert [name for name in got if got[name] != uninterrupted[name]] == []
    return (run.workdir / STUDENT_LOG).read_text()


def test_ctrl_c_mid_training_then_rerun(workflow_repo, tmp_path, uninterrupted):
    run = new_run(workflow_repo, tmp_path / "sigint")
    with Interrupted(run) as started:
        job = wait_for(lambda: training(run) and student_job(started.proc), started.proc, "the student to train")
        time.sleep(0.5)
        # Ctrl-C in a terminal signals the whole foreground group: Snakemake and its running jobs.
        # (A SIGINT to Snakemake alone lets a local job run to its end; its outputs are then
        # flagged incomplete, and the rerun below would redo them just the same.)
        os.killpg(started.proc.pid, signal.SIGINT)
        output = started.finish()
        try:
            job.wait(timeout=30)
        except psutil.TimeoutExpired:
            raise AssertionError(f"the student job outlived Ctrl-C:\n{output}") from None
    assert started.proc.returncode != 0, output
    assert "KeyboardInterrupt" in (run.workdir / STUDENT_LOG).read_text()  # stopped mid-training
    assert_nothing_half_made(run)
    rerun_and_compare(run, uninterrupted)


def test_sigkill_of_the_job_mid_training_then_rerun(workflow_repo, tmp_path, uninterrupted):
    run = new_run(workflow_repo, tmp_path / "sigkill")
    with Interrupted(run) as started:
        job = wait_for(lambda: training(run) and student_job(started.proc), started.proc, "the student to train")
        time.sleep(0.5)
        job.send_signal(signal.SIGKILL)
        output = started.finish()
    assert started.proc.returncode != 0
    assert "Error in rule student" in output, output
    assert_nothing_half_made(run)
    rerun_and_compare(run, uninterrupted)


def test_sigkill_after_a_checkpoint_resumes_to_identical_results(workflow_repo, tmp_path, uninterrupted):
    """With ``checkpoint_every`` the rerun resumes from the last checkpoint instead of step 0 and
    still ends bitwise equal to the uninterrupted run; the checkpoint is gone once the job is done."""
    run = new_run(workflow_repo, tmp_path / "checkpoint")
    with Interrupted(run) as started:
        wait_for(lambda: training(run) and student_job(started.proc), started.proc, "the student to train")

        def checkpoint_or_done():
            if (run.workdir / STUDENT_DIR / "metrics.json").exists():
                raise AssertionError(
                    f"the student finished without writing a checkpoint (checkpoint_every={CHECKPOINT_EVERY}); "
                    "is checkpoint_every wired into the student rule?"
                )
            return checkpoint_files(run)

        wait_for(checkpoint_or_done, started.proc, "a checkpoint")
        job = student_job(started.proc)
        assert job is not None, "the student job ended right after its first checkpoint"
        job.send_signal(signal.SIGKILL)
        started.finish()
    assert started.proc.returncode != 0
    assert_nothing_half_made(run)
    assert checkpoint_files(run), "the checkpoint must survive the failed job for the rerun to resume from"
    log = rerun_and_compare(run, uninterrupted)
    assert re.search(r"resum\w* (at|from) step [1-9]\d*", log), log
    assert checkpoint_files(run) == []


def test_sigint_to_snakemake_alone_keeps_the_finished_training(workflow_repo, tmp_path, uninterrupted):
    """SIGINT to Snakemake alone (``kill -INT``) lets the running job finish and then deletes its
    outputs as incomplete; the student it finished is in the store (and its final checkpoint
    stays), so the rerun trains nothing again."""
    run = new_run(workflow_repo, tmp_path / "sigint_alone")
    with Interrupted(run) as started:
        wait_for(lambda: training(run) and student_job(started.proc), started.proc, "the student to train")
        started.proc.send_signal(signal.SIGINT)  # the Snakemake process only, not its job
        output = started.finish(timeout=300)
    assert started.proc.returncode != 0, output
    assert "trained 1 student(s)" in (run.workdir / STUDENT_LOG).read_text(), output  # it ran to its end
    assert checkpoint_files(run), f"the finished training's checkpoint is gone:\n{output}"
    log = rerun_and_compare(run, uninterrupted)
    assert "1 of 1 student(s) copied from the store" in log and "steps each" not in log, log  # nothing trained twice
    assert checkpoint_files(run) == []  # a successful run deletes it
