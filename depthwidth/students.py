"""Training a student on a teacher's data, and the errors that matter."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from . import artifacts, engine
from .nets import derived_seed, forward, generator, make_student
from .sizes import n_parameters
from .teacher import teacher_stream


def relative_errors(
    weights: Sequence[torch.Tensor], data: dict[str, np.ndarray], phi: str = "tanh"
) -> dict[str, float]:
    """Train and test MSE divided by Var(y_test), the unbiased variance (the tutorial's normalisation for both)."""
    var = float(np.var(data["y_test"], ddof=1))
    out = {}
    with torch.no_grad():
        for split in ("train", "test"):
            X = torch.as_tensor(data[f"X_{split}"]).to(weights[0].dtype)
            y = torch.as_tensor(data[f"y_{split}"]).to(weights[0].dtype)
            mse = float(((forward(weights, X, phi) - y) ** 2).mean())
            out[f"{split}_mse"] = mse
            out[f"{split}_relative_error"] = mse / var
    out["var_y_test"] = var
    return out


def train_student(
    sizes: Sequence[int],
    data: dict[str, np.ndarray],
    schedule: Sequence[engine.Phase],
    *,
    seed: int,
    name: str,
    init: str = "default",
    sigma: float = 1.0,
    phi: str = "tanh",
    dtype: torch.dtype = torch.float64,
    device: str = "cpu",
    progress: Callable | None = None,
    init_generator: torch.Generator | None = None,
    compile: str | bool = "false",
    compile_cache: str | None = None,
    checkpoint: str | None = None,
    checkpoint_every: int = 0,
) -> tuple[engine.TrainResult, dict[str, Any]]:
    """Initialise a student and train it.

    The initial weights come from ``init_generator`` (see :func:`student_generator`), or else
    from a generator of the student's own, seeded ``derived_seed(seed, name)``.
    ``compile``, ``compile_cache``, ``checkpoint`` and ``checkpoint_every`` go to
    :func:`engine.train`.

    Returns the training result and the metrics: relative train/test errors, parameter count,
    points per parameter, backend. The metrics are a function of the inputs alone, so reruns give
    identical files; wall and compile times (``result.seconds``, ``result.compile_seconds``) go to
    the job's log and benchmark file instead.
    """
    student_seed = None if init_generator is not None else derived_seed(seed, name)
    init_weights = make_student(sizes, init, sigma, init_generator or generator(student_seed))
    result = engine.train(
        init_weights, data["X_train"], data["y_train"], schedule, phi=phi, dtype=dtype, device=device,
        progress=progress, compile=compile, compile_cache=compile_cache, checkpoint=checkpoint,
        checkpoint_every=checkpoint_every,
    )
    params = n_parameters(sizes)
    metrics = {
        "name": name,
        "sizes": list(sizes),
        "n_parameters": params,
        "points_per_parameter": len(data["X_train"]) / params,
        "student_seed": student_seed,
        "init": init,
        "steps": int(sum(p.steps for p in schedule)),
        "schedule": [{"steps": p.steps, "lr": p.lr} for p in schedule],
        "final_train_loss": float(result.losses[-1]),
        "backend": result.backend,
        "device": result.device,
        **relative_errors(result.weights, data, phi),
    }
    return result, metrics


def student_generator(
    seeding: str,
    seed: int,
    name: str,
    teacher: Mapping[str, Any],
    preceding: Sequence[tuple[Sequence[int], str]] = (),
) -> torch.Generator:
    """The generator a student's initial weights are drawn from.

    ``seeding="tutorial"`` replays the tutorial's single stream: the teacher's generator after the
    teacher and its data (``teacher`` holds ``sizes``, ``sigma``, ``n_train``, ``n_test``), then
    the initial weights of every student drawn before this one, ``preceding`` as (sizes, init)
    pairs. With seed -1 this gives the tutorial's own initial weights, and still depends on
    nothing but the config. ``seeding="independent"`` seeds a generator from
    ``derived_seed(seed, name)``.
    """
    if seeding == "independent":
        return generator(derived_seed(seed, name))
    if seeding != "tutorial":
        raise ValueError(f"unknown student seeding {seeding!r}; choose tutorial or independent")
    g = teacher_stream(teacher["sizes"], teacher["sigma"], seed, teacher["n_train"], teacher["n_test"])
    for sizes, init in preceding:
        make_student(sizes, init, teacher["sigma"], g)
    return g


def save_student(outputs: Mapping[str, str], result: engine.TrainResult, metrics: dict[str, Any]) -> None:
    """Write a trained student's files: ``weights`` (+ its sidecar), ``metrics`` and ``loss``."""
    artifacts.write_npz(outputs["loss"], train_mse=result.losses)
    artifacts.write_weights(outputs["weights"], result.weights, {"role": "student", **metrics})
    artifacts.write_json(outputs["metrics"], metrics)
