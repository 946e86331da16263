"""Set-up shared by every workflow job: its log file, its thread count, its exceptions."""

from __future__ import annotations

import contextlib
import logging
import os
import statistics
import sys
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


def progress_logger(label: str) -> Callable[[int, int, Any, float], None]:
    """A ``progress(step, total, losses, seconds)`` callback for ``engine.train_batch`` that logs how
    training goes.

    Each call logs the steps done, the training MSE (the median and the largest over a batch's
    students), and the steps per second since the previous call with the time left at that rate.
    ``seconds`` is the engine's training time so far, compiling excluded, so a compile neither
    slows the rate nor inflates the time left.
    """
    last = {"seconds": 0.0, "step": 0}

    def progress(step: int, total: int, losses: Any, seconds: float) -> None:
        elapsed, steps = seconds - last["seconds"], step - last["step"]
        last.update(seconds=seconds, step=step)
        pace = ""
        if elapsed > 0 and steps > 0:
            rate = steps / elapsed
            pace = f", {rate:,.0f} steps/s, ~{format_duration((total - step) / rate)} left"
        values = [float(v) for v in (losses if hasattr(losses, "__len__") else [losses])]
        mse = (
            f"{values[0]:.4g}"
            if len(values) == 1
            else (f"median {statistics.median(values):.4g}, max {max(values):.4g} over {len(values)} students")
        )
        log.info(
            "%s: step %d/%d (%.0f%%), training MSE %s%s", label, step, total, 100 * step / max(total, 1), mse, pace
        )

    return progress


def format_duration(seconds: float) -> str:
    """``42 s``, ``3.5 min``, ``2.1 h``: a time left, to the precision a person reads it at."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
