"""Set-up shared by every workflow job: its log file, its thread count, its exceptions."""

from __future__ import annotations

import contextlib
import logging
import os
import traceback
from collections.abc import Iterator
from typing import Any

import torch

log = logging.getLogger("depthwidth")


@contextlib.contextmanager
def job(snakemake: Any) -> Iterator[logging.Logger]:
    """Run a script's body with logging to the rule's log and ``threads`` torch threads.

    An exception is written to the log (with its traceback) and re-raised, so Snakemake marks
    the job failed and points at the log.
    """
    log_path = snakemake.log[0] if snakemake.log else None
    handler: logging.Handler = logging.FileHandler(log_path, mode="w") if log_path else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    threads = max(1, int(getattr(snakemake, "threads", 1)))
    torch.set_num_threads(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)  # for any subprocess
    log.info("rule %s, %d thread(s), torch %s", getattr(snakemake, "rule", "?"), threads, torch.__version__)
    try:
        yield log
    except BaseException as err:
        log.error("failed: %s: %s\n%s", type(err).__name__, err, traceback.format_exc())
        handler.flush()
        raise
    finally:
        handler.flush()


def torch_dtype(name: str) -> torch.dtype:
    try:
        return {"float32": torch.float32, "float64": torch.float64}[name]
    except KeyError:
        raise ValueError(f"dtype must be float32 or float64, got {name!r}") from None


def progress_logger(label: str):
    """A ``progress(step, total, loss, steps_per_s)`` callback for the training engine that logs."""

    def progress(step: int, total: int, loss: float, rate: float | None = None) -> None:
        rate_txt = f", {rate:.0f} steps/s" if rate else ""
        log.info("%s: step %d/%d (%.0f%%), loss %.4g%s", label, step, total, 100 * step / total, loss, rate_txt)

    return progress
