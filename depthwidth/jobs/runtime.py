"""Set-up shared by every workflow job: its log file, its thread count, its exceptions."""

from __future__ import annotations

import contextlib
import logging
import os
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

log = logging.getLogger("depthwidth")


@contextlib.contextmanager
def job(snakemake: Any) -> Iterator[logging.Logger]:
    """Run a script's body with logging to the rule's log and ``threads`` torch threads.

    Jobs that only read tables and draw never import torch (it costs 1.5 s): the thread count
    goes to torch if the script has imported it, and to the OpenMP and MKL variables, which torch
    reads when it is imported later.

    An exception is written to the log (with its traceback) and re-raised, so Snakemake marks
    the job failed and points at the log.
    """
    log_path = snakemake.log[0] if snakemake.log else None
    handler: logging.Handler = logging.FileHandler(log_path, mode="w") if log_path else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    threads = max(1, int(getattr(snakemake, "threads", 1)))
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    log.info(
        "rule %s, %d thread(s)%s",
        getattr(snakemake, "rule", "?"),
        threads,
        f", torch {torch.__version__}" if torch is not None else "",
    )
    try:
        yield log
    except BaseException as err:
        log.error("failed: %s: %s\n%s", type(err).__name__, err, traceback.format_exc())
        handler.flush()
        raise
    finally:
        handler.flush()


def torch_dtype(name: str) -> torch.dtype:
    import torch

    try:
        return {"float32": torch.float32, "float64": torch.float64}[name]
    except KeyError:
        raise ValueError(f"dtype must be float32 or float64, got {name!r}") from None


def progress_logger(
    label: str,
    console: Any = None,
    console_label: str | None = None,
    console_every: float = 10.0,
    min_rate_seconds: float = 1.0,
) -> Callable[[int, int, Any, float], None]:
    """A ``progress(step, total, losses, seconds)`` callback for ``engine.train_batch`` that logs how
    training goes.

    Each call logs the steps done and the training MSE (the median and the largest over a batch's
    students). The first call (the engine's first report, after any compiling and warm-up) only
    starts the clock; later ones add the steps per second since then and the time left at that
    rate, once it has been measured over ``min_rate_seconds`` or more. ``seconds`` is the engine's training
    time so far, compiling excluded, so a compile neither slows the rate nor inflates the time left.

    ``console``: a stream (the job's stderr: Snakemake's console for a local run, the job's log
    under Slurm) that also gets the line, as ``console_label: ...``, at most every
    ``console_every`` seconds and not before that long into the job, so short jobs stay silent.
    """
    first: dict[str, float] = {}
    shown = [time.monotonic()]

    def progress(step: int, total: int, losses: Any, seconds: float) -> None:
        if not first:
            first.update(seconds=seconds, step=step)
        elapsed, steps = seconds - first["seconds"], step - first["step"]
        pace = ""
        if elapsed >= min_rate_seconds and steps > 0:
            rate = steps / elapsed
            pace = f", {rate:,.0f} steps/s, ~{format_duration((total - step) / rate)} left"
        values = [float(v) for v in (losses if hasattr(losses, "__len__") else [losses])]
        mse = (
            f"{values[0]:.4g}"
            if len(values) == 1
            else (f"median {statistics.median(values):.4g}, max {max(values):.4g} over {len(values)} students")
        )
        done = f"step {step}/{total} ({100 * step / max(total, 1):.0f}%), training MSE {mse}{pace}"
        log.info("%s: %s", label, done)
        now = time.monotonic()
        if console is not None and now - shown[0] >= console_every:
            shown[0] = now
            print(f"{console_label or label}: {done}", file=console, flush=True)

    return progress


def format_duration(seconds: float) -> str:
    """``42 s``, ``3.5 min``, ``2.1 h``: a time left, to the precision a person reads it at."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
