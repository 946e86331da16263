"""The order-to-chaos study's numbers: the linear reference, and the tables behind its figures.

The sweep's regimes, student names and batches are defined in ``depthwidth.experiment.plan``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from depthwidth.analysis.results import load_metrics
from depthwidth.experiment.sizes import deep_sizes, hidden_width
from depthwidth.model.teacher import test_variance

# --- the linear reference -----------------------------------------------------------------------


def linear_fit(data: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The least-squares bias-free linear map X -> y on the training set, and its relative errors.

    Errors are MSE / Var(y_test) (unbiased variance), as for the students.
    """
    X, y = data["X_train"], data["y_train"]
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)  # (n_in, 1)
    var = test_variance(data)
    out: dict[str, Any] = {
        "name": "linear",
        "sizes": [X.shape[1], y.shape[1]],
        "n_parameters": int(coef.size),
        "points_per_parameter": len(X) / coef.size,
        "coefficients": coef.ravel().tolist(),
    }
    for split in ("train", "test"):
        mse = float(((data[f"X_{split}"] @ coef - data[f"y_{split}"]) ** 2).mean())
        out[f"{split}_mse"] = mse
        out[f"{split}_relative_error"] = mse / var
    out["var_y_test"] = var
    return out


# --- tables for the figures ---------------------------------------------------------------------


# The bands over teacher seeds: the median and a percentile-bootstrap 95% interval of it, as
# seaborn's lineplot draws them (depthwidth.presentation.figures passes it these settings); the TSVs beside the
# figures hold the same numbers, from the same seaborn estimator with the same seed.
SEED_BANDS = {"estimator": "median", "errorbar": ("ci", 95), "n_boot": 2000, "seed": 0}


def median_band(
    values: Sequence[float], n_boot: int = SEED_BANDS["n_boot"], seed: int = SEED_BANDS["seed"], level: float = 0.95
) -> tuple[float, float, float]:
    """Median and percentile-bootstrap interval of the median of ``values`` (e.g. over teacher seeds).

    The algorithm of ``seaborn.lineplot(estimator="median", errorbar=("ci", 95), n_boot=..., seed=...)``,
    in numpy: each call starts a ``numpy.random.default_rng(seed)``, as lineplot does for each point,
    draws ``n_boot`` resamples of the values one after another (``integers(0, n, n)`` each), takes
    their medians (NaN-aware if a value is NaN) and the percentiles 2.5 and 97.5 of those; so the
    numbers are the drawn ones (tests/test_study.py compares them with a lineplot's band).
    """
    v = np.asarray(values, float).ravel()
    if v.size == 0:
        raise ValueError("median_band: no values")
    if v.size == 1:  # lineplot draws a single value without a band
        return float(v[0]), float(v[0]), float(v[0])
    median = np.nanmedian if np.isnan(v).any() else np.median
    rng = np.random.default_rng(seed)
    n = v.size
    boots = np.array([median(v.take(rng.integers(0, n, n, dtype=np.intp))) for _ in range(int(n_boot))])
    edge = (100 - 100 * level) / 2
    lo, hi = np.nanpercentile(boots, (edge, 100 - edge))
    return float(pd.Series(v).median()), float(lo), float(hi)


def metric_rows(metrics: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per run (student or linear fit): regime, sigma_w, seed, student, teacher depth, restart
    (0: the first initialisation), depth, width, parameters, errors."""
    rows = []
    for m in metrics:
        sizes = m["sizes"]
        rows.append(
            {
                "regime": m["regime"],
                "sigma_w": float(m["sigma_w"]),
                "seed": int(m["seed"]),
                "student": m["name"],
                "teacher_depth": int(m["teacher_depth"]),
                "restart": int(m.get("restart", 0)),
                "depth": len(sizes) - 1,
                "width": hidden_width(sizes),
                "n_parameters": int(m["n_parameters"]),
                "train_relative_error": m["train_relative_error"],
                "test_relative_error": m["test_relative_error"],
            }
        )
    return pd.DataFrame(rows)


def first_inits(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs from each student's first initialisation (restart 0)."""
    return runs[runs["restart"] == 0].reset_index(drop=True)


def error_bands(runs: pd.DataFrame, chi_1: Mapping[float, float], n_boot: int = SEED_BANDS["n_boot"]) -> pd.DataFrame:
    """Per student and sigma: median relative test error over seeds and its bootstrap 95% interval, with chi_1."""
    rows = []
    for (student, sigma), g in runs.groupby(["student", "sigma_w"], sort=True):
        med, lo, hi = median_band(g["test_relative_error"], n_boot=n_boot)
        rows.append(
            {
                "student": student,
                "sigma_w": sigma,
                "chi_1": chi_1[sigma],
                "depth": int(g["depth"].iloc[0]),
                "width": int(g["width"].iloc[0]),
                "n_parameters": int(g["n_parameters"].iloc[0]),
                "n_seeds": g["seed"].nunique(),
                "test_error_median": med,
                "test_error_ci95_low": lo,
                "test_error_ci95_high": hi,
            }
        )
    return pd.DataFrame(rows)


def fit_rows(
    fits: Sequence[Mapping[str, Any]], sigmas: Mapping[str, float], chi_1: Mapping[float, float]
) -> pd.DataFrame:
    """One row per sweep regime's scaling fit: slope, predicted width and their bootstrap intervals;
    for a polished run also each other fit's slope, R² and width (``converged_train_slope``, ...)."""
    keys = (
        "slope",
        "slope_ci_low",
        "slope_ci_high",
        "r2",
        "predicted_width",
        "predicted_width_ci_low",
        "predicted_width_ci_high",
        "target_error",
    )
    rows = []
    for fit in fits:
        sigma = float(sigmas[fit["regime"]])
        rows.append(
            {
                "regime": fit["regime"],
                "sigma_w": sigma,
                "chi_1": chi_1[sigma],
                "n_seeds": len(set(fit["seeds"])),
                **{k: float(fit[k]) if fit.get(k) is not None else np.nan for k in keys},
                **{
                    f"{kind}_{k}": float(line[k]) if line.get(k) is not None else np.nan  # null: no finite width
                    for kind, line in fit.get("fits", {}).items()
                    if kind != "adam_test"
                    for k in ("slope", "r2", "predicted_width")
                },
            }
        )
    return pd.DataFrame(rows).sort_values("sigma_w", ignore_index=True)


# --- trajectory length against depth ------------------------------------------------------------


def circle_length_table(
    sigmas: Sequence[float], width: int, depth: int, points: int, nets: int, seed: int, phi: str = "tanh"
) -> pd.DataFrame:
    """Length and normalised length of the unit circle's image in every hidden layer of random nets.

    ``nets`` bias-free nets of the expressivity shape per sigma, drawn like teachers one after
    another from one generator seeded ``seed`` (sigma-major). One row per sigma, net and layer.
    """
    from depthwidth.model.expressivity import hidden_layers, normalised_length, trajectory_length, unit_circle
    from depthwidth.model.nets import generator, make_teacher

    circle = unit_circle(points)
    g = generator(seed)
    sizes = deep_sizes(2, width, depth)
    rows = []
    for sigma in sigmas:
        for net in range(nets):
            for layer, h in enumerate(hidden_layers(make_teacher(sizes, sigma, g), circle, phi), start=1):
                length = trajectory_length(h)
                rows.append(
                    {
                        "sigma_w": float(sigma),
                        "net": net,
                        "layer": layer,
                        "length": float(length),
                        "normalised_length": float(normalised_length(h, length)),
                    }
                )
    return pd.DataFrame(rows)


def length_vs_depth(measured: pd.DataFrame, width: int, phi: str = "tanh") -> pd.DataFrame:
    """Per sigma and layer: the measured lengths over nets (geometric mean, min, max) beside the theory.

    ``theory_length`` is the mean-field length along the length map's transient from the input;
    ``theory_fixed_point_length`` grows by sqrt(chi_1) per layer from the theory's first layer.
    """
    from depthwidth.theory import meanfield

    rows = []
    for sigma, g in measured.groupby("sigma_w", sort=True):
        layers = int(g["layer"].max())
        length, normalised = meanfield.circle_lengths(sigma, width, layers, phi=phi)
        chi1 = meanfield.chi_1(sigma, 0.0, phi)
        for layer, lg in g.groupby("layer", sort=True):
            rows.append(
                {
                    "sigma_w": sigma,
                    "layer": layer,
                    "chi_1": chi1,
                    "q_star": meanfield.q_star(sigma, 0.0, phi),
                    "n_nets": len(lg),
                    "length_geomean": float(np.exp(np.log(lg["length"]).mean())),
                    "length_min": float(lg["length"].min()),
                    "length_max": float(lg["length"].max()),
                    "normalised_length_mean": float(lg["normalised_length"].mean()),
                    "theory_length": float(length[layer - 1]),
                    "theory_fixed_point_length": float(length[0] * np.sqrt(chi1) ** (layer - 1)),
                    "theory_normalised_length": float(normalised[layer - 1]),
                }
            )
    return pd.DataFrame(rows)


def mean_field_table(sigmas: Sequence[float], phi: str = "tanh") -> pd.DataFrame:
    """q*, chi_1, c*, chi_c and the depth scale xi_c of bias-free nets at each sigma_w."""
    from depthwidth.theory import meanfield

    return pd.DataFrame([vars(meanfield.mean_field(s, 0.0, phi)) for s in sigmas])


def chi_curve(sigmas: Sequence[float], points: int = 100) -> pd.DataFrame:
    """chi_1 on a geometric grid spanning ``sigmas`` (for a smooth theory line beside sparse sweep points)."""
    from depthwidth.theory import meanfield

    grid = np.geomspace(min(sigmas), max(sigmas), points)
    return pd.DataFrame({"sigma_w": grid, "chi_1": [meanfield.chi_1(s) for s in grid]})


def sweep_runs(paths: Sequence[str]) -> pd.DataFrame:
    """The runs of ``metric_rows`` read from metrics JSON files."""
    return metric_rows([load_metrics(p) for p in paths])
