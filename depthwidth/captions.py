"""The numbers the report's captions quote, read from the files each figure was drawn from.

The figure rules pass these as a ``facts`` param, ``lambda wildcards, input: captions.<figure>(...)``;
the caption templates (``workflow/report/*.rst``, rendered by Snakemake as Jinja2 with
``snakemake.params``) print them. Snakemake evaluates params once when it plans a run, before the
inputs exist, and again when it renders the report: each function returns None while any of its
files is missing, and the templates say so instead of quoting numbers. A param that reads
``input`` counts as derived from it, so the value never makes Snakemake rerun a job.

Numbers come back as text ready to print (``6.6×10¹⁵``, ``0.056``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from statistics import median
from typing import Any

import pandas as pd

from .artifacts import ArtifactError, read_json
from .students import load_metrics

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def number(x: float | None, digits: int = 2) -> str:
    """``x`` to ``digits`` significant digits; powers of ten as ``3.1×10⁻⁷`` outside [10⁻³, 10⁴)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0 or 1e-3 <= abs(x) < 1e4:
        return f"{float(f'{x:.{digits}g}'):g}"  # 2.3e+02 -> 230: no exponent in this range
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    power = f"10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return power if mantissa in ("1", "1." + "0" * (digits - 1)) else f"{mantissa}×{power}"


def _float(value: Any) -> float:
    """JSON numbers, and the strings ``"inf"``/``"-inf"`` that ``artifacts.write_json`` writes for infinities."""
    return float("nan") if value is None else float(value)


def when_made(func: Callable[..., Any]) -> Callable[..., Any]:
    """Return None instead of calling ``func`` while any path among its arguments does not exist yet,
    or holds something it cannot read (a damaged file must not stop Snakemake from planning the
    run that will remake it)."""

    @wraps(func)
    def wrapper(*paths: str | Sequence[str]) -> Any:
        flat = [p for arg in paths for p in ([arg] if isinstance(arg, (str, Path)) else arg)]
        if not all(Path(p).exists() for p in flat):
            return None
        try:
            return func(*paths)
        except (ArtifactError, KeyError, ValueError, IndexError, OSError):
            return None

    return wrapper


def _range(values: Sequence[float]) -> str:
    lo, hi = min(values), max(values)
    return number(lo) if number(lo) == number(hi) else f"{number(lo)}–{number(hi)}"


def _by_regime(metrics_paths: Sequence[str]) -> dict[str, list[dict]]:
    runs: dict[str, list[dict]] = defaultdict(list)
    for path in metrics_paths:
        m = load_metrics(path)
        runs[m["regime"]].append(m)
    return dict(runs)


@when_made
def deep_loss(metrics_paths: Sequence[str]) -> list[dict[str, Any]]:
    """Per regime: seeds, steps, parameters, and the deep students' final train and test errors."""
    facts = []
    for regime, runs in _by_regime(metrics_paths).items():
        train = [m["train_relative_error"] for m in runs]
        test = [m["test_relative_error"] for m in runs]
        facts.append({
            "regime": regime, "seeds": len(runs), "steps": runs[0]["steps"],
            "n_parameters": runs[0]["n_parameters"],
            "points_per_parameter": number(runs[0]["points_per_parameter"]),
            "train": number(median(train)), "test": number(median(test)),
            "train_range": _range(train), "test_range": _range(test),
        })
    return facts


@when_made
def error_vs_width(fit_paths: Sequence[str], deep_metrics_paths: Sequence[str]) -> list[dict[str, Any]]:
    """Per fitted regime: the power law, its confidence intervals, the extrapolated width, the deep student."""
    deep = _by_regime(deep_metrics_paths)
    facts = []
    for path in fit_paths:
        fit = read_json(path, ("regime", "slope", "intercept", "r2", "predicted_width", "target_error",
                               "widths", "test_relative_errors", "seeds"))
        errors, widths = fit["test_relative_errors"], fit["widths"]
        best = min(range(len(errors)), key=errors.__getitem__)
        predicted = _float(fit["predicted_width"])
        f = {
            "regime": fit["regime"], "slope": f"{fit['slope']:.2f}", "r2": f"{fit['r2']:.2f}",
            "target": number(fit["target_error"]), "predicted_width": number(predicted),
            "reachable": math.isfinite(predicted),
            "widths": ", ".join(str(w) for w in sorted(set(widths))), "seeds": len(set(fit["seeds"])),
            "best_test": number(errors[best]), "best_width": widths[best],
            "slope_ci": None, "predicted_width_ci": None,
        }
        if "slope_ci_low" in fit:
            level = f"{100 * fit.get('ci_level', 0.95):.0f}%"
            f["slope_ci"] = f"{level} CI {fit['slope_ci_low']:.2f} to {fit['slope_ci_high']:.2f}"
            f["predicted_width_ci"] = (f"{level} CI {number(_float(fit['predicted_width_ci_low']))} to "
                                       f"{number(_float(fit['predicted_width_ci_high']))}")
        runs = deep.get(fit["regime"])
        if runs:
            test = median(m["test_relative_error"] for m in runs)
            f["deep"] = {"test": number(test), "n_parameters": runs[0]["n_parameters"], "seeds": len(runs)}
            # The shallow width with the deep student's error, on the fitted line: W = exp((ln E - b) / m).
            shallow_equivalent = (math.exp((math.log(test) - fit["intercept"]) / fit["slope"])
                                  if fit["slope"] < 0 else math.inf)
            f["deep"]["shallow_width"] = number(shallow_equivalent)
        else:
            f["deep"] = None
        facts.append(f)
    return facts


@when_made
def predictions(metrics_paths: Sequence[str]) -> list[dict[str, Any]]:
    """Per plotted student: regime, width, parameters, test and train error."""
    return [
        {"regime": m["regime"], "width": m["sizes"][1], "n_parameters": m["n_parameters"],
         "test": number(m["test_relative_error"]), "train": number(m["train_relative_error"]),
         "seed": m["seed"]}
        for m in map(load_metrics, metrics_paths)
    ]


@when_made
def expressivity(lengths_path: str) -> list[dict[str, Any]]:
    """Per regime: sigma_w and the curve's length relative to a circle, first and last hidden layer."""
    table = pd.read_csv(lengths_path, sep="\t")
    facts = []
    for regime, rows in table.groupby("regime", sort=False):
        rows = rows.sort_values("layer")
        first, last = rows.iloc[0], rows.iloc[-1]
        facts.append({
            "regime": regime, "sigma": f"{first['sigma_w']:g}", "layers": int(last["layer"]),
            "first": number(first["normalised_length"]), "last": number(last["normalised_length"]),
            "length_first": number(first["length"]), "length_last": number(last["length"]),
        })
    return facts


@when_made
def summary(table_path: str) -> dict[str, Any]:
    """How many students and fits the summary table holds, per model kind."""
    table = pd.read_csv(table_path, sep="\t")
    counts = table["model"].value_counts()
    return {"rows": len(table), "shallow": int(counts.get("shallow", 0)), "deep": int(counts.get("deep", 0)),
            "fits": int(counts.get("scaling_fit", 0)), "regimes": ", ".join(table["regime"].unique())}
