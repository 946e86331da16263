"""Training a student on a teacher's data, and the errors that matter."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from . import artifacts, engine
from .nets import derived_seed, forward, generator, make_student, n_parameters


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
) -> tuple[engine.TrainResult, dict[str, Any]]:
    """Initialise a student from its own generator (``derived_seed(seed, name)``) and train it.

    Returns the training result and the metrics: relative train/test errors, parameter count,
    points per parameter. The metrics are a function of the inputs alone, so reruns give identical
    files; the wall time (``result.seconds``) goes to the job's log and benchmark file instead.
    """
    student_seed = derived_seed(seed, name)
    init_weights = make_student(sizes, init, sigma, generator(student_seed))
    result = engine.train(
        init_weights, data["X_train"], data["y_train"], schedule, phi=phi, dtype=dtype, device=device,
        progress=progress,
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
        **relative_errors(result.weights, data, phi),
    }
    return result, metrics


def save_student(outputs: Mapping[str, str], result: engine.TrainResult, metrics: dict[str, Any]) -> None:
    """Write a trained student's files: ``weights`` (+ its sidecar), ``metrics`` and ``loss``."""
    artifacts.write_npz(outputs["loss"], train_mse=result.losses)
    artifacts.write_weights(outputs["weights"], result.weights, {"role": "student", **metrics})
    artifacts.write_json(outputs["metrics"], metrics)


def load_metrics(path: str) -> dict[str, Any]:
    return artifacts.read_json(path, METRIC_KEYS)


METRIC_KEYS = (
    "name", "regime", "seed", "sizes", "n_parameters", "points_per_parameter", "var_y_test",
    "train_relative_error", "test_relative_error",
)
