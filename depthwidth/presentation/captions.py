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

from depthwidth.analysis.results import load_metrics, median_by_regime
from depthwidth.analysis.scaling import width_for_error
from depthwidth.experiment import paths
from depthwidth.experiment.sizes import hidden_width
from depthwidth.jobs.artifacts import ArtifactError, read_json
from depthwidth.presentation.numbers import number


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
        return read_if_made(flat, func, *paths)

    return wrapper


def read_if_made(paths: Sequence[str | Path], func: Callable[..., Any], *args: Any) -> Any:
    """``func(*args)`` once every path exists; None before, or when a file cannot be read."""
    if not all(Path(p).exists() for p in paths):
        return None
    try:
        return func(*args)
    except (ArtifactError, KeyError, ValueError, IndexError, OSError):
        return None


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
        facts.append(
            {
                "regime": regime,
                "seeds": len(runs),
                "steps": runs[0]["steps"],
                "n_parameters": runs[0]["n_parameters"],
                "points_per_parameter": number(runs[0]["points_per_parameter"]),
                "train": number(median(train)),
                "test": number(median(test)),
                "train_range": _range(train),
                "test_range": _range(test),
            }
        )
    return facts


@when_made
def error_vs_width(fit_paths: Sequence[str], deep_metrics_paths: Sequence[str]) -> list[dict[str, Any]]:
    """Per fitted regime: the power law, its confidence intervals, the extrapolated width, the deep student."""
    deep = median_by_regime(deep_metrics_paths)
    facts = []
    for path in fit_paths:
        fit = read_json(
            path,
            (
                "regime",
                "slope",
                "intercept",
                "r2",
                "predicted_width",
                "target_error",
                "widths",
                "test_relative_errors",
                "seeds",
            ),
        )
        errors, widths = fit["test_relative_errors"], fit["widths"]
        best = min(range(len(errors)), key=errors.__getitem__)
        predicted = _float(fit["predicted_width"])
        f = {
            "regime": fit["regime"],
            "slope": f"{fit['slope']:.2f}",
            "r2": f"{fit['r2']:.2f}",
            "target": number(fit["target_error"]),
            "predicted_width": number(predicted),
            "reachable": math.isfinite(predicted),
            "widths": ", ".join(str(w) for w in sorted(set(widths))),
            "seeds": len(set(fit["seeds"])),
            "best_test": number(errors[best]),
            "best_width": widths[best],
            "slope_ci": None,
            "predicted_width_ci": None,
        }
        if "slope_ci_low" in fit:
            level = f"{100 * fit.get('ci_level', 0.95):.0f}%"
            f["slope_ci"] = f"{level} CI {fit['slope_ci_low']:.2f} to {fit['slope_ci_high']:.2f}"
            f["predicted_width_ci"] = (
                f"{level} CI {number(_float(fit['predicted_width_ci_low']))} to "
                f"{number(_float(fit['predicted_width_ci_high']))}"
            )
        if fit["regime"] in deep:
            d = deep[fit["regime"]]
            test = d["test"]
            f["deep"] = {"test": number(test), "n_parameters": d["n_parameters"], "seeds": d["seeds"]}
            # the shallow width with the deep student's error, on the fitted line
            f["deep"]["shallow_width"] = number(width_for_error(fit["slope"], fit["intercept"], test))
        else:
            f["deep"] = None
        facts.append(f)
    return facts


@when_made
def predictions(metrics_paths: Sequence[str]) -> list[dict[str, Any]]:
    """Per plotted student: regime, width, parameters, test and train error."""
    return [
        {
            "regime": m["regime"],
            "width": hidden_width(m["sizes"]),
            "n_parameters": m["n_parameters"],
            "test": number(m["test_relative_error"]),
            "train": number(m["train_relative_error"]),
            "seed": m["seed"],
        }
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
        facts.append(
            {
                "regime": regime,
                "sigma": f"{first['sigma_w']:g}",
                "layers": int(last["layer"]),
                "first": number(first["normalised_length"]),
                "last": number(last["normalised_length"]),
                "length_first": number(first["length"]),
                "length_last": number(last["length"]),
            }
        )
    return facts


@when_made
def summary(table_path: str) -> dict[str, Any]:
    """How many students and fits the summary table holds, per model kind."""
    table = pd.read_csv(table_path, sep="\t")
    counts = table["model"].value_counts()
    return {
        "rows": len(table),
        "shallow": int(counts.get("shallow", 0)),
        "deep": int(counts.get("deep", 0)),
        "multilayer": int(counts.get("multilayer", 0)),
        "fits": int(counts.get("scaling_fit", 0)),
        "regimes": ", ".join(table["regime"].unique()),
    }


# --- the order-to-chaos study (workflow/rules/study.smk) ---------------------------------------
# Each study figure writes its numbers to a TSV beside it (results/figures/<name>.tsv); these read
# that table, which is an output of the figure's own rule, so the params pass ``output.tsv``.


def when_table_made(func: Callable[..., Any]) -> Callable[..., Any]:
    """Return None instead of calling ``func`` while its first argument, a table's path, does not exist
    yet or cannot be read (as :func:`when_made`, for functions whose other arguments are not paths)."""

    @wraps(func)
    def wrapper(table_path: str, *args: Any) -> Any:
        return read_if_made([table_path], func, table_path, *args)

    return wrapper


def _decades(lo: float, hi: float) -> str:
    """log10(hi / lo) with a sign, for "rises by 1.3 decades"."""
    return f"{math.log10(hi / lo):.1f}"


def _growth_per_layer(first: float, last: float, layers: int) -> float:
    """The geometric mean factor per layer from the first hidden layer's value to the last one's."""
    return (last / first) ** (1 / (layers - 1)) if layers > 1 else math.nan


@when_table_made
def mean_field(table_path: str, regimes: dict[str, float]) -> dict[str, Any]:
    """The grid, where chi_1 crosses 1 on it, the peak depth scale, and q*, chi_1, xi_c at each named regime's sigma."""
    from depthwidth.theory import meanfield

    table = pd.read_csv(table_path, sep="\t").sort_values("sigma_w", ignore_index=True)
    ordered, chaotic = table[table["chi_1"] < 1], table[table["chi_1"] >= 1]
    peak = table.loc[table["depth_scale"].idxmax()]
    at = [
        {
            "regime": name,
            "sigma": f"{sigma:g}",
            **{
                k: number(v, 3)
                for k, v in vars(meanfield.mean_field(sigma)).items()
                if k in ("q_star", "chi_1", "depth_scale")
            },
            "phase": "chaotic" if meanfield.chi_1(sigma) > 1 else "ordered",
        }
        for name, sigma in regimes.items()
    ]
    return {
        "points": len(table),
        "sigma_min": number(table["sigma_w"].iloc[0]),
        "sigma_max": number(table["sigma_w"].iloc[-1]),
        # the grid points either side of chi_1 = 1 (None when the grid stays on one side)
        "last_ordered": number(ordered["sigma_w"].iloc[-1]) if len(ordered) and len(chaotic) else None,
        "first_chaotic": number(chaotic["sigma_w"].iloc[0]) if len(ordered) and len(chaotic) else None,
        "critical": number(meanfield.critical_sigma_w()),
        "peak_depth_scale": number(peak["depth_scale"]),
        "peak_sigma": number(peak["sigma_w"]),
        "regimes": at,
    }


# The bias scales at which the phase diagram's caption quotes the critical sigma_w (those on its grid).
CRITICAL_SIGMA_BS = (0.0, 0.1, 0.3, 0.5, 1.0)


@when_table_made
def phase_diagram(table_path: str, regimes: dict[str, float]) -> dict[str, Any]:
    """The grid's extent, the critical sigma_w at a few sigma_b, the depth scale at each teacher, and how
    far the simulated chi_1 strays from the theory (largest relative deviation, in standard errors too)."""
    from depthwidth.theory import meanfield

    table = pd.read_csv(table_path, sep="\t")
    grid, line, sim = (table[table["kind"] == k] for k in ("grid", "critical", "simulation"))
    line = line.set_index("sigma_b")["sigma_w"]
    quoted = [b for b in CRITICAL_SIGMA_BS if any(math.isclose(b, x, abs_tol=1e-9) for x in line.index)]
    worst = sim.loc[sim["relative_deviation"].abs().idxmax()]
    return {
        "sigma_w_range": f"{number(grid['sigma_w'].min())}–{number(grid['sigma_w'].max())}",
        "sigma_b_max": number(grid["sigma_b"].max()),
        "grid_points": len(grid),
        "critical": [
            {"sigma_b": number(b), "sigma_w": number(line[min(line.index, key=lambda x: abs(x - b))], 4)}
            for b in quoted
        ],
        "teachers": [
            {"regime": name, "sigma": f"{sigma:g}", "depth_scale": number(meanfield.depth_scale(sigma), 3)}
            for name, sigma in regimes.items()
        ],
        "simulated": len(sim),
        "ordered": int((sim["chi_1"] < 1).sum()),
        "chaotic": int((sim["chi_1"] > 1).sum()),
        "max_deviation": number(100 * abs(worst["relative_deviation"]), 2),
        "max_deviation_se": number(abs(worst["chi_1_simulated"] - worst["chi_1"]) / worst["chi_1_simulated_se"], 2),
    }


@when_table_made
def trajectory_length(table_path: str) -> list[dict[str, Any]]:
    """Per sigma: chi_1, the measured length's growth per layer against the theory's sqrt(chi_1), and the
    normalised length (1 for a circle) at the first and last hidden layer."""
    table = pd.read_csv(table_path, sep="\t")
    facts = []
    for sigma, rows in table.groupby("sigma_w", sort=True):
        rows = rows.sort_values("layer")
        first, last = rows.iloc[0], rows.iloc[-1]
        layers = int(last["layer"])
        facts.append(
            {
                "sigma": f"{sigma:g}",
                "chi_1": number(first["chi_1"], 3),
                "sqrt_chi_1": number(math.sqrt(first["chi_1"]), 3),
                "nets": int(first["n_nets"]),
                "layers": layers,
                "measured": number(_growth_per_layer(first["length_geomean"], last["length_geomean"], layers), 3),
                "mean_field": number(_growth_per_layer(first["theory_length"], last["theory_length"], layers), 3),
                "normalised_first": number(first["normalised_length_mean"]),
                "normalised_last": number(last["normalised_length_mean"]),
            }
        )
    return facts


def _error(row: pd.Series) -> dict[str, str]:
    return {
        "median": number(row["test_error_median"]),
        "low": number(row["test_error_ci95_low"]),
        "high": number(row["test_error_ci95_high"]),
    }


def _student_title(row: pd.Series) -> str:
    """How a caption names a student of a sweep table (the figures' legends say the same)."""
    if row["student"] == "linear":
        return "best linear fit"
    if row["student"] == "deep":
        return f"deep student (the teacher's shape, {int(row['n_parameters'])} weights)"
    if int(row["depth"]) == 2:
        return f"shallow student of width {int(row['width'])} ({int(row['n_parameters'])} weights)"
    return f"student of depth {int(row['depth'])}, width {int(row['width'])} ({int(row['n_parameters'])} weights)"


@when_table_made
def sweep_error(table_path: str, students: Sequence[str]) -> dict[str, Any]:
    """Per plotted student (``students`` in order, those in the table): the median test error with its
    95% interval at the smallest and the largest sigma, and the rise between them in decades."""
    table = pd.read_csv(table_path, sep="\t")
    sigmas = sorted(table["sigma_w"].unique())
    lo, hi = sigmas[0], sigmas[-1]
    facts = {
        "sigmas": ", ".join(f"{s:g}" for s in sigmas),
        "sigma_min": f"{lo:g}",
        "sigma_max": f"{hi:g}",
        "seeds": int(table["n_seeds"].max()),
        "students": [],
    }
    for student in students:
        rows = table[table["student"] == student].set_index("sigma_w")
        if lo not in rows.index or hi not in rows.index:
            continue
        first, last = rows.loc[lo], rows.loc[hi]
        facts["students"].append(
            {
                "name": _student_title(first),
                "at_min": _error(first),
                "at_max": _error(last),
                "decades": _decades(first["test_error_median"], last["test_error_median"]),
            }
        )
    chi = table.drop_duplicates("sigma_w").set_index("sigma_w")["chi_1"]
    facts["chi_min"], facts["chi_max"] = number(chi[lo], 3), number(chi[hi], 3)
    return facts


def _few_sigmas(sigmas: Sequence[float]) -> list[float]:
    """The smallest sigma, the one nearest the transition (1) and the largest, each once."""
    sigmas = sorted(sigmas)
    return sorted({sigmas[0], min(sigmas, key=lambda s: abs(math.log(s))), sigmas[-1]})


@when_table_made
def equal_budget(table_path: str, budget_students: Sequence[str]) -> dict[str, Any] | None:
    """The deep student against the shallow one of equal budget at a few sigmas (smallest, nearest 1,
    largest), how often it wins over all sigmas, and the best depth at the budget per quoted sigma."""
    table = pd.read_csv(table_path, sep="\t")
    restarted = table[table["initialisations"] > 1] if "initialisations" in table else table.iloc[:0]
    table = table[table["initialisations"] == 1] if "initialisations" in table else table
    deep_best = restarted[restarted["student"] == "deep"].set_index("sigma_w")
    median = table.pivot(index="sigma_w", columns="student", values="test_error_median")
    shallow = next((s for s in budget_students if paths.is_shallow(s)), None)
    budget = [s for s in budget_students if s in median.columns]
    if "deep" not in median.columns or shallow not in median.columns:
        shallow = None
    meta = table.drop_duplicates("student").set_index("student")
    facts: dict[str, Any] = {"shallow": None, "rows": []}
    if shallow:
        wins = int((median["deep"] < median[shallow]).sum())
        facts["shallow"] = {
            "width": int(meta.loc[shallow, "width"]),
            "n_parameters": int(meta.loc[shallow, "n_parameters"]),
            "deep_parameters": int(meta.loc["deep", "n_parameters"]),
            "wins": wins,
            "sigmas": len(median),
        }
    for sigma in _few_sigmas(median.index):
        row = median.loc[sigma]
        best = min(budget, key=lambda s: row[s]) if budget else None
        facts["rows"].append(
            {
                "sigma": f"{sigma:g}",
                "chi_1": number(table.loc[table["sigma_w"] == sigma, "chi_1"].iloc[0], 3),
                "deep": number(row["deep"]) if shallow else None,
                "shallow": number(row[shallow]) if shallow else None,
                "ratio": number(row[shallow] / row["deep"]) if shallow else None,
                "linear": number(row["linear"]) if "linear" in median.columns else None,
                "deep_best": number(deep_best.loc[sigma, "test_error_median"]) if sigma in deep_best.index else None,
                "inits": int(deep_best["initialisations"].iloc[0]) if len(deep_best) else 1,
                "best": None
                if best is None
                else {
                    "depth": int(meta.loc[best, "depth"]),
                    "width": int(meta.loc[best, "width"]),
                    "n_parameters": int(meta.loc[best, "n_parameters"]),
                    "error": number(row[best]),
                },
            }
        )
    return facts


@when_table_made
def sweep_scaling(table_path: str) -> list[dict[str, Any]]:
    """Per sweep regime, by sigma: the slope of ln E on ln W with its bootstrap interval, and the width
    the fit gives for the target error with its interval."""
    table = pd.read_csv(table_path, sep="\t").sort_values("sigma_w")
    facts = []
    for _, row in table.iterrows():
        has_ci = not math.isnan(row["slope_ci_low"])
        facts.append(
            {
                "sigma": f"{row['sigma_w']:g}",
                "chi_1": number(row["chi_1"], 3),
                "seeds": int(row["n_seeds"]),
                "slope": f"{row['slope']:.2f}",
                "r2": f"{row['r2']:.2f}",
                "target": number(row["target_error"]),
                "slope_ci": f"{row['slope_ci_low']:.2f} to {row['slope_ci_high']:.2f}" if has_ci else None,
                "predicted_width": number(row["predicted_width"]),
                "reachable": math.isfinite(row["predicted_width"]),
                "predicted_width_ci": (
                    f"{number(row['predicted_width_ci_low'])} to {number(row['predicted_width_ci_high'])}"
                    if has_ci
                    else None
                ),
            }
        )
    return facts


# --- the teacher-depth study --------------------------------------------------------------------


@when_table_made
def depth_error(table_path: str, shallow: Sequence[str]) -> list[dict[str, Any]]:
    """Per sigma_w: each shallow student's median test error at the shallowest and deepest teacher."""
    table = pd.read_csv(table_path, sep="\t")
    facts = []
    for sigma, g in table.groupby("sigma_w"):
        lo, hi = g["teacher_depth"].min(), g["teacher_depth"].max()
        students = []
        for name in [s for s in shallow if s in set(g["student"])] + ["linear"]:
            at = g[g["student"] == name].set_index("teacher_depth")
            if lo in at.index and hi in at.index:
                first, last = at.loc[lo, "test_error_median"], at.loc[hi, "test_error_median"]
                width = int(at["width"].iloc[0])
                students.append(
                    {
                        "name": f"width-{width} student" if name != "linear" else "linear fit",
                        "first": number(first),
                        "last": number(last),
                        "decades": _decades(first, last),
                    }
                )
        facts.append({"sigma": f"{sigma:g}", "depth_min": int(lo), "depth_max": int(hi), "students": students})
    return facts


@when_table_made
def depth_scaling(table_path: str) -> list[dict[str, Any]]:
    """Per sigma_w: the width needed at the shallowest and deepest teacher, its growth per layer
    (fitted over the depths) and the theory's sqrt(chi_1)."""
    table = pd.read_csv(table_path, sep="\t")
    facts = []
    for sigma, g in table.groupby("sigma_w"):
        left_out = sorted(int(d) for d in g.loc[~g["in_growth_fit"], "teacher_depth"])
        g = g[g["in_growth_fit"]].sort_values("teacher_depth")
        if g.empty:
            continue
        facts.append(
            {
                "sigma": f"{sigma:g}",
                "left_out": ", ".join(map(str, left_out)),
                "chi_1": number(g["chi_1"].iloc[0], 3),
                "depth_min": int(g["teacher_depth"].iloc[0]),
                "depth_max": int(g["teacher_depth"].iloc[-1]),
                "width_min": number(g["predicted_width"].iloc[0]),
                "width_max": number(g["predicted_width"].iloc[-1]),
                "growth": number(g["width_growth_per_layer"].iloc[0], 3),
                "theory_growth": number(g["theory_growth_per_layer"].iloc[0], 3),
                "target": number(g["target_error"].iloc[0]),
            }
        )
    return facts


@when_table_made
def depth_deep(table_path: str) -> dict[str, Any]:
    """Per sigma_w, the deep student's median error at the shallowest and deepest teacher; and over all
    teachers, how many its first initialisation and the best of its initialisations bring within the target."""
    table = pd.read_csv(table_path, sep="\t")
    rows = []
    for sigma, g in table.groupby("sigma_w"):
        g = g.sort_values("teacher_depth")
        rows.append(
            {
                "sigma": f"{sigma:g}",
                "depth_min": int(g["teacher_depth"].iloc[0]),
                "depth_max": int(g["teacher_depth"].iloc[-1]),
                "first_min": number(g["first_init_test_error_median"].iloc[0]),
                "first_max": number(g["first_init_test_error_median"].iloc[-1]),
                "best_max": number(g["best_init_test_error_median"].iloc[-1]),
            }
        )
    return {
        "inits": int(table["inits"].max()),
        "teachers": int(table["n_seeds"].sum()),
        "first_within": int(table["first_init_within_target"].sum()),
        "best_within": int(table["best_init_within_target"].sum()),
        "target": number(table["target_error"].iloc[0]),
        "sigmas": rows,
    }
