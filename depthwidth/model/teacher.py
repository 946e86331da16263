"""Random deep teachers and the data they label."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from depthwidth.model.nets import forward, generator, make_teacher


def draw_teacher_and_data(
    sizes: Sequence[int],
    sigma: float,
    seed: int,
    n_train: int,
    n_test: int,
    dtype: torch.dtype = torch.float64,
    phi: str = "tanh",
) -> tuple[list[torch.Tensor], dict[str, np.ndarray]]:
    """A teacher and its dataset, drawn in the tutorial's order from one generator seeded ``seed``.

    Order: the ``nn.Linear`` default init, the N(0, sigma^2/fan_in) weights, X_train, X_test
    (all float32, so ``seed=-1`` reproduces the tutorial's numbers). Weights and inputs are then
    cast to ``dtype`` and the targets computed in it: y = teacher(X), shape (N, 1).
    """
    weights32, X_train, X_test, _ = _draw(sizes, sigma, seed, n_train, n_test)
    weights = [w.to(dtype) for w in weights32]
    data = {}
    with torch.no_grad():
        for split, X in (("train", X_train), ("test", X_test)):
            X = X.to(dtype)
            data[f"X_{split}"] = X.numpy()
            data[f"y_{split}"] = forward(weights, X, phi).numpy()
    check_teacher_data(weights, data, sigma)
    return weights, data


class TeacherError(ValueError):
    """A teacher whose weights or data are non-finite or degenerate; the message names the key to change."""


SIGMA_KEY = "regimes.<name>.sigma (or sweep.sigmas)"


def check_teacher_data(weights: Sequence[torch.Tensor], data: dict[str, np.ndarray], sigma: float) -> None:
    """Refuse a teacher whose weights or targets are non-finite, or whose targets are degenerate.

    Degenerate: the targets' standard deviation (train and test together) is at most the
    machine epsilon of their dtype. Inputs and students' initial weights are of order 1, so a
    student's outputs carry rounding errors of about eps; targets smaller than that are rounding
    noise to it (sigma 1e-8 at depth 5 gives Var(y) ~ 1e-80, and relative errors of 1e48).
    Zero variance (a constant teacher) and underflow are caught by the same bound.
    """
    for i, w in enumerate(weights):
        if not torch.isfinite(w).all():
            raise TeacherError(
                f"teacher sigma={sigma:g}: layer {i}'s weights are non-finite (overflow of "
                f"N(0, sigma^2/fan_in), drawn in float32); lower the teacher's sigma, config key {SIGMA_KEY}"
            )
    y = np.concatenate([data["y_train"].ravel(), data["y_test"].ravel()])
    if not np.isfinite(y).all():
        raise TeacherError(
            f"teacher sigma={sigma:g}: its targets are non-finite; lower the teacher's sigma, config key {SIGMA_KEY}"
        )
    eps = float(np.finfo(y.dtype).eps)
    std = float(np.std(y.astype(np.float64)))
    if not std > eps:
        raise TeacherError(
            f"teacher sigma={sigma:g}: its targets have standard deviation {std:.3g}, not above the {y.dtype} "
            f"resolution {eps:.3g} at the inputs' unit scale, so the data are degenerate (no student error would "
            f"mean anything); raise the teacher's sigma, config key {SIGMA_KEY}"
        )


def _draw(sizes, sigma, seed, n_train, n_test):
    g = generator(seed)
    weights = make_teacher(sizes, sigma, g)
    X_train = torch.randn(n_train, sizes[0], generator=g)  # (N, n_in)
    X_test = torch.randn(n_test, sizes[0], generator=g)
    return weights, X_train, X_test, g


def test_variance(data: Mapping[str, np.ndarray]) -> float:
    """Var(y_test), unbiased: the denominator of every relative error, MSE / Var(y_test) (the tutorial's)."""
    return float(np.var(data["y_test"], ddof=1))


def teacher_stream(sizes: Sequence[int], sigma: float, seed: int, n_train: int, n_test: int) -> torch.Generator:
    """The teacher's generator after the teacher and its data were drawn: where the tutorial's
    students draw their initial weights from."""
    return _draw(sizes, sigma, seed, n_train, n_test)[3]


def standardise_targets(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Divide y_train and y_test by the training targets' standard deviation.

    Returns a new dataset with ``standardised`` (True) and ``target_scale`` (the divisor) added,
    so that y in the original units is ``y * target_scale``. Relative errors are unchanged.
    """
    scale = float(np.std(data["y_train"]))
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"cannot standardise targets: the training targets' std is {scale}")
    return {
        **data,
        "y_train": data["y_train"] / scale,
        "y_test": data["y_test"] / scale,
        "standardised": np.array(True),
        "target_scale": np.array(scale),
    }


def target_scaling(data: dict[str, np.ndarray]) -> dict[str, object]:
    """``{"standardised": bool, "target_scale": float}`` of a dataset (unscaled when it records neither)."""
    return {"standardised": bool(data.get("standardised", False)), "target_scale": float(data.get("target_scale", 1.0))}
