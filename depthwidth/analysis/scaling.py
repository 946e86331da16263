"""The power law of shallow error in width: log E = m log W + b, and its extrapolation."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from depthwidth.experiment.sizes import hidden_width


def fit_power_law(widths: Sequence[float], errors: Sequence[float]) -> dict[str, float]:
    """Least squares of ln E on ln W (every (width, error) pair, e.g. several seeds per width).

    Returns slope m, intercept b (natural log) and R^2.
    """
    x, y = np.log(np.asarray(widths, float)), np.log(np.asarray(errors, float))
    if len(np.unique(x)) < 2:
        raise ValueError(f"a scaling fit needs at least two distinct widths, got {sorted(set(widths))}")
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (slope * x + intercept)
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / ss_tot if ss_tot > 0 else 1.0
    return {"slope": float(slope), "intercept": float(intercept), "r2": r2}


def width_for_error(slope: float, intercept: float, target: float) -> float:
    """The width at which the fitted line reaches ``target``; inf if the error does not fall with width."""
    if slope >= 0:
        return float("inf")
    with np.errstate(over="ignore"):
        return float(np.exp((np.log(target) - intercept) / slope))


def predicted_width(slope: float, intercept: float, target: float) -> tuple[float | None, str | None]:
    """(width, note): the width at which the line reaches ``target``, as :func:`width_for_error`, except
    that a line falling too slowly to reach it below the largest float gives ``None`` and a note
    naming ``scaling.target_error`` (JSON ``null``, not an infinity that reads as "never");
    a line that does not fall gives ``inf`` with a note saying so."""
    width = width_for_error(slope, intercept, target)
    if math.isfinite(width):
        return width, None
    if slope >= 0:
        return width, f"the fitted error does not fall with width (slope {slope:.3g}): no width reaches it"
    return None, (
        f"the fitted line (slope {slope:.3g}) reaches scaling.target_error={target:g} only beyond the largest "
        "float: no finite width; a larger scaling.target_error or widths where the error falls faster"
    )


def bootstrap_fit(
    widths: Sequence[float],
    errors: Sequence[float],
    groups: Sequence[int],
    target: float,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, float]:
    """Percentile bootstrap CIs for the slope and the predicted width, resampling whole groups (seeds).

    With a single group the (width, error) pairs themselves are resampled.
    """
    widths, errors, groups = np.asarray(widths, float), np.asarray(errors, float), np.asarray(groups)
    rng = np.random.default_rng(seed)
    labels = np.unique(groups)
    units = [np.flatnonzero(groups == g) for g in labels] if len(labels) > 1 else [[i] for i in range(len(widths))]
    slopes, preds = [], []
    for _ in range(n_boot):
        idx = np.concatenate([units[i] for i in rng.integers(len(units), size=len(units))])
        if len(np.unique(widths[idx])) < 2:
            continue
        fit = fit_power_law(widths[idx], errors[idx])
        slopes.append(fit["slope"])
        preds.append(width_for_error(fit["slope"], fit["intercept"], target))
    if not slopes:
        raise ValueError(f"bootstrap_fit: no resample spans two widths (widths {sorted(set(widths))})")
    lo, hi = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    # A resample whose error does not fall with width predicts an infinite width; interpolating
    # between inf and a finite percentile gives nan, so the width's bounds are sample values.
    return {
        "slope_ci_low": float(np.percentile(slopes, lo)),
        "slope_ci_high": float(np.percentile(slopes, hi)),
        "predicted_width_ci_low": float(np.percentile(preds, lo, method="inverted_cdf")),
        "predicted_width_ci_high": float(np.percentile(preds, hi, method="inverted_cdf")),
        "n_boot": len(slopes),
        "ci_level": level,
    }


def fit_students(metrics: Sequence[dict], target: float, polished: Sequence[dict] | None = None) -> dict:
    """The scaling fit of students' relative test errors against their widths (``sizes.hidden_width``).

    Bootstrap intervals (resampling seeds) are added when the students span several seeds. With
    ``polished`` (each student's polish record, in the same order), ``fits`` adds the fit of every
    error the workflow distinguishes (:data:`FITS`): Adam's training and test errors, and the
    converged (polished) ones; the top level stays the fit of Adam's test errors.
    """
    widths = [hidden_width(m["sizes"]) for m in metrics]
    errors = [m["test_relative_error"] for m in metrics]
    seeds = [m["seed"] for m in metrics]
    fit = fit_power_law(widths, errors)
    out = {
        **fit,
        "target_error": target,
        "predicted_width": None,
        "widths": widths,
        "test_relative_errors": errors,
        "seeds": seeds,
    }
    out["predicted_width"], note = predicted_width(fit["slope"], fit["intercept"], target)
    if note:
        out["predicted_width_note"] = note
    if len(set(seeds)) > 1:
        out.update(bootstrap_fit(widths, errors, seeds, target))
    if polished is not None:
        sources = {"adam": metrics, "converged": polished}
        out["fits"] = {}
        for kind, (source, split) in FITS.items():
            values = [r[f"{split}_relative_error"] for r in sources[source]]
            line = fit_power_law(widths, np.maximum(values, FLOOR))
            width, note = predicted_width(line["slope"], line["intercept"], target)
            out["fits"][kind] = {**line, "predicted_width": width, "relative_errors": values}
            if note:
                out["fits"][kind]["predicted_width_note"] = note
    return out


# The fits a polished run makes: (whose weights, which split). The training error says what the
# width can represent (capacity); the test error is the tutorial's verdict.
FITS = {
    "adam_test": ("adam", "test"),
    "adam_train": ("adam", "train"),
    "converged_train": ("converged", "train"),
    "converged_test": ("converged", "test"),
}
# A converged error of exactly 0 has no logarithm: such points enter the fits at float64's floor.
FLOOR = 1e-32
