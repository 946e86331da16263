"""The training checkpoint file: a batch's whole state between two compiled calls.

A checkpoint holds the flat weights and Adam moments of every student of a batch, the phase and
step within it, the losses so far, and a ``key``: what the run must agree on to resume from it
(sizes, batch size, schedule, dtype, nonlinearity, fingerprints of the initial weights and the
data). Files are written atomically, so one that cannot be read was damaged after the fact.

A finished group keeps its final state until the job's outputs are written, and the job keeps it
after that too: Snakemake, stopped by SIGINT, lets a running job finish and then deletes its
outputs as incomplete, and the rerun then resumes at the end instead of retraining. A successful
run deletes the checkpoints of every batch whose outputs exist (``remove``, from the
Snakefile's ``onsuccess``). Paths and removal need no torch, so that step stays cheap.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from depthwidth.jobs import artifacts

if TYPE_CHECKING:
    import torch

FORMAT = 2  # 2: batched students, losses (steps, K)

log = logging.getLogger("depthwidth")


class CheckpointError(ValueError):
    """A checkpoint file exists but cannot be used; the message names the file."""


@dataclass
class Position:
    """Where a run stands: ``phase`` index, ``step`` within it, ``done`` steps in all."""

    phase: int = 0
    step: int = 0
    done: int = 0


def fingerprint(*tensors: torch.Tensor) -> str:
    """A hash of the tensors' shapes, dtypes and bytes."""
    h = hashlib.sha256()
    for t in tensors:
        h.update(str((tuple(t.shape), str(t.dtype))).encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def run_key(shapes, batch: int, schedule, dtype, phi: str, init_print: str, data_print: str) -> dict:
    """What a checkpoint must agree on to be resumed."""
    return {
        "format": FORMAT,
        "shapes": [list(s) for s in shapes],
        "batch": int(batch),
        "schedule": [[p.steps, float(p.lr)] for p in schedule],
        "dtype": str(dtype),
        "phi": phi,
        "init": init_print,
        "data": data_print,
    }


def save(
    path: str | os.PathLike,
    key: dict,
    tensors: dict[str, torch.Tensor],
    at: Position,
    losses: torch.Tensor,
    backend: str,
    steps_per_call: int,
) -> None:
    """Write the state: ``tensors`` (p, m, v), the position, the first ``at.done`` rows of ``losses``."""
    import torch

    state = {
        "key": key,
        "backend": backend,
        "steps_per_call": steps_per_call,
        "phase": at.phase,
        "step_in_phase": at.step,
        "done": at.done,
        **{name: t.detach().cpu().clone() for name, t in tensors.items()},
        "losses": losses[: at.done].detach().cpu().clone(),
    }
    with artifacts.atomic_path(path) as tmp:
        torch.save(state, tmp)


def load(path: str | os.PathLike, key: dict) -> dict | None:
    """The checkpoint at ``path`` if it exists and belongs to this run (``key``), else None.

    A checkpoint of another run (other sizes, batch, schedule, dtype, nonlinearity, initial
    weights or data) is stale, not wrong: it is ignored, with a warning, and overwritten as the
    run goes. One that cannot be read raises :class:`CheckpointError`: atomic writes mean it was
    damaged after the fact, which a person should look at.
    """
    import torch

    path = Path(path)
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises a zoo of types for a truncated zip or pickle
        raise CheckpointError(f"{path}: unreadable checkpoint ({err}); delete it to start over") from None
    if not isinstance(state, dict) or "key" not in state:
        raise CheckpointError(f"{path}: not a training checkpoint; delete it to start over")
    if state["key"] != key:
        diff = sorted(k for k in key if state["key"].get(k) != key[k])
        log.warning("%s: checkpoint of a different run (differs in %s); starting over", path, diff)
        return None
    return state


def position(state: dict) -> Position:
    return Position(state["phase"], state["step_in_phase"], state["done"])


def group_path(path: str | os.PathLike | None, index: int) -> Path | None:
    """The checkpoint file of a job's group ``index``: ``path`` itself for the first,
    ``<stem>.<index><suffix>`` beside it for the others."""
    if path is None:
        return None
    path = Path(path)
    return path if index == 0 else path.with_name(f"{path.stem}.{index}{path.suffix}")


def remove(path: str | os.PathLike | None) -> None:
    """Delete a job's checkpoints, every group's (once the job's outputs are known to be complete)."""
    if path is None:
        return
    path = Path(path)
    path.unlink(missing_ok=True)
    for other in path.parent.glob(f"{path.stem}.*{path.suffix}"):
        if other.stem[len(path.stem) + 1 :].isdigit():
            other.unlink(missing_ok=True)
