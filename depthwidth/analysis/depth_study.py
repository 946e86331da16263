"""Tables of the teacher-depth study: how the error, the width needed and the deep student's error
grow with the teacher's depth, per teacher sigma_w (``sweep.teacher_depths``).

The runs are ``study.metric_rows``' (one row per student, regime and seed); every band is the
median over teacher seeds with the bootstrap interval seaborn draws (``study.median_band``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from depthwidth.analysis.results import best_of_restarts
from depthwidth.analysis.sigma_study import first_inits, median_band
from depthwidth.theory.meanfield import chi_1

# "within 1e-6": the error the scaling fit's default target names, and the tutorial's deep student reaches
FOUND_ERROR = 1e-6


def _band(values: Sequence[float], prefix: str) -> dict[str, float]:
    med, lo, hi = median_band(values)
    return {f"{prefix}_median": med, f"{prefix}_ci95_low": lo, f"{prefix}_ci95_high": hi}


def error_by_depth(runs: pd.DataFrame) -> pd.DataFrame:
    """Per student (shallow widths and the linear fit), sigma_w and teacher depth: the median test
    error of the first initialisations over seeds and its bootstrap 95% interval."""
    rows = []
    for (student, sigma, depth), g in first_inits(runs).groupby(["student", "sigma_w", "teacher_depth"]):
        rows.append(
            {
                "student": student,
                "sigma_w": sigma,
                "teacher_depth": int(depth),
                "width": int(g["width"].iloc[0]),
                "n_seeds": g["seed"].nunique(),
                **_band(g["test_relative_error"], "test_error"),
            }
        )
    return pd.DataFrame(rows)


def growth_per_layer(depths: Sequence[int], values: Sequence[float]) -> float:
    """exp of the least-squares slope of ln(value) against depth: the factor per added layer."""
    d, v = np.asarray(depths, float), np.asarray(values, float)
    ok = np.isfinite(v) & (v > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.exp(np.polyfit(d[ok], np.log(v[ok]), 1)[0]))


def width_by_depth(fits: Sequence[Mapping[str, Any]], specs: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per regime's scaling fit: sigma_w, teacher depth, the width predicted for the target
    error and its bootstrap interval; beside it the mean-field theory's factor by which a curve's
    length grows through the teacher's hidden layers, sqrt(chi_1) per layer; and per sigma_w the
    growth per layer of both, fitted over the depths.

    Only fits whose error falls with width (the slope's bootstrap 95% interval below 0) enter the
    growth (``in_growth_fit``): where it does not, every width reaches the same floor (a depth-2
    teacher is a one-hidden-layer net, which the width-5 student matches exactly) and the
    extrapolated width means nothing."""
    rows = []
    for fit in fits:
        spec = specs[fit["regime"]]
        sigma, depth = float(spec["sigma"]), int(spec["teacher_depth"])
        rows.append(
            {
                "regime": fit["regime"],
                "sigma_w": sigma,
                "teacher_depth": depth,
                "chi_1": chi_1(sigma),
                "length_growth_theory": chi_1(sigma) ** ((depth - 1) / 2),
                "n_seeds": len(set(fit["seeds"])),
                **{
                    k: float(fit[k]) if fit.get(k) is not None else np.nan
                    for k in (
                        "slope",
                        "slope_ci_high",
                        "predicted_width",
                        "predicted_width_ci_low",
                        "predicted_width_ci_high",
                    )
                },
                "target_error": float(fit["target_error"]),
                # a polished run's fit of the converged training errors: the capacity
                **{
                    f"converged_train_{k}": float(fit["fits"]["converged_train"][k])
                    if fit["fits"]["converged_train"].get(k) is not None
                    else np.nan  # null: no finite width
                    for k in ("slope", "predicted_width")
                    if "fits" in fit
                },
            }
        )
    table = pd.DataFrame(rows).sort_values(["sigma_w", "teacher_depth"], ignore_index=True)
    # a single seed has no interval: its slope alone decides
    falls = table["slope_ci_high"].fillna(table["slope"]) < 0
    table["in_growth_fit"] = falls & np.isfinite(table["predicted_width"])
    for sigma, g in table.groupby("sigma_w"):
        used = g[g["in_growth_fit"]]
        table.loc[g.index, "width_growth_per_layer"] = growth_per_layer(used["teacher_depth"], used["predicted_width"])
        table.loc[g.index, "theory_growth_per_layer"] = np.sqrt(chi_1(sigma))
    return table


def deep_by_depth(runs: pd.DataFrame, found: float = FOUND_ERROR) -> pd.DataFrame:
    """Per sigma_w and teacher depth, the deep student (the teacher's own shape): the median test
    error of its first initialisation and of the best of its initialisations (lowest training
    error), with bootstrap intervals, and how many teachers each brings within ``found``."""
    deep = runs[runs["student"] == "deep"]
    first, best = first_inits(deep), best_of_restarts(deep)
    rows = []
    for (sigma, depth), g in first.groupby(["sigma_w", "teacher_depth"]):
        b = best[(best["sigma_w"] == sigma) & (best["teacher_depth"] == depth)]
        rows.append(
            {
                "sigma_w": sigma,
                "teacher_depth": int(depth),
                "n_seeds": g["seed"].nunique(),
                "inits": int(b["inits"].max()),
                **_band(g["test_relative_error"], "first_init_test_error"),
                **_band(b["test_relative_error"], "best_init_test_error"),
                "first_init_within_target": int((g["test_relative_error"] <= found).sum()),
                "best_init_within_target": int((b["test_relative_error"] <= found).sum()),
                "target_error": found,
            }
        )
    return pd.DataFrame(rows)
