"""The sigma sweep: regimes generated from the ``sweep`` config section, student names, tables.

A sweep regime is named ``sigma<sigma:.2f>`` (``sigma0.40``) and holds what a named regime holds
(sigma, shallow_widths, deep_student, student_init) plus ``budget_students``: students of several
depths whose parameter count is close to ``sweep.budget``.

Students are named by architecture, one name per architecture (the wildcard ``student``):
``shallow_w<W>`` (one hidden layer of W units), ``deep`` (the teacher's shape) and
``d<D>_w<W>`` (D layers counting the input, D - 1 hidden layers of W units, like the teacher's
``depth``). A depth-2 net is always ``shallow_w<W>`` and the teacher's shape always ``deep``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .config import ConfigError
from .sizes import deep_sizes, n_parameters, shallow_sizes

STUDENT_PATTERN = r"shallow_w\d+|deep|d\d+_w\d+"
_DEPTH_WIDTH = re.compile(r"d(\d+)_w(\d+)")


def regime_name(sigma: float) -> str:
    return f"sigma{sigma:.2f}"


def teacher_sizes(teacher: Mapping[str, int]) -> list[int]:
    return deep_sizes(teacher["n_in"], teacher["width"], teacher["depth"])


def student_name(depth: int, width: int, teacher: Mapping[str, int]) -> str:
    """The one name of a bias-free MLP of ``depth`` layers (counting the input) and hidden ``width``."""
    if depth == 2:
        return f"shallow_w{width}"
    if deep_sizes(teacher["n_in"], width, depth) == teacher_sizes(teacher):
        return "deep"
    return f"d{depth}_w{width}"


def student_sizes(name: str, teacher: Mapping[str, int]) -> list[int]:
    """Layer sizes of a named student (see the module docstring)."""
    if name == "deep":
        return teacher_sizes(teacher)
    if name.startswith("shallow_w") and name[len("shallow_w"):].isdigit():
        return shallow_sizes(teacher["n_in"], int(name[len("shallow_w"):]))
    match = _DEPTH_WIDTH.fullmatch(name)
    if match and int(match[1]) >= 2 and int(match[2]) >= 1:
        return deep_sizes(teacher["n_in"], int(match[2]), int(match[1]))
    raise ValueError(f"unknown student {name!r}: expected shallow_w<width>, deep or d<depth>_w<width> (depth >= 2)")


def uses_deep_schedule(name: str, teacher: Mapping[str, int]) -> bool:
    """The deep student and every student with more than one hidden layer train on the deep config's phases."""
    return name == "deep" or len(student_sizes(name, teacher)) > 3


def budget_width(n_in: int, depth: int, budget: int) -> int:
    """The hidden width whose depth-``depth`` bias-free net has the parameter count nearest ``budget``.

    Ties go to the smaller net (e.g. 105 parameters at depth 2: width 17 with 102 over 18 with 108).
    """
    best, best_gap = 1, None
    for width in range(1, budget + 1):
        gap = abs(n_parameters(deep_sizes(n_in, width, depth)) - budget)
        if best_gap is None or gap < best_gap:
            best, best_gap = width, gap
        elif n_parameters(deep_sizes(n_in, width, depth)) > budget:
            break
    return best


def sweep_budget(config: Mapping[str, Any]) -> int:
    budget = config["sweep"].get("budget")
    return int(budget) if budget else n_parameters(teacher_sizes(config["teacher"]))


def budget_students(config: Mapping[str, Any]) -> list[str]:
    """Names of the equal-budget students of ``sweep.budget_depths``, in depth order."""
    teacher = config["teacher"]
    budget = sweep_budget(config)
    return [student_name(d, budget_width(teacher["n_in"], d, budget), teacher)
            for d in sorted(config["sweep"].get("budget_depths", []))]


def sweep_regimes(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The regimes ``sigma<sigma>`` that the ``sweep`` section generates (none when it lists no sigmas)."""
    sweep = config.get("sweep") or {}
    students = budget_students(config) if sweep.get("sigmas") else []
    return {
        regime_name(s): {"sigma": float(s), "shallow_widths": list(sweep["shallow_widths"]),
                         "deep_student": bool(sweep["deep_student"]), "student_init": sweep["student_init"],
                         "budget_students": students}
        for s in sweep.get("sigmas", [])
    }


def regime_students(spec: Mapping[str, Any]) -> list[str]:
    """Every student a regime trains: shallow widths, the deep student, the equal-budget students (no repeats)."""
    names = [f"shallow_w{w}" for w in spec["shallow_widths"]]
    if spec["deep_student"]:
        names.append("deep")
    names += spec.get("budget_students", [])
    return list(dict.fromkeys(names))


def stream_order(spec: Mapping[str, Any]) -> list[str]:
    """A regime's students in the order the tutorial draws their initial weights from the
    teacher's stream: the deep student, the shallow students by width, then the others."""
    names = (["deep"] if spec["deep_student"] else []) + [f"shallow_w{w}" for w in spec["shallow_widths"]]
    return list(dict.fromkeys(names + regime_students(spec)))


def preceding_students(spec: Mapping[str, Any], name: str, teacher: Mapping[str, int]) -> list[tuple[list[int], str]]:
    """(sizes, init) of the students whose initial weights the tutorial's stream draws before ``name``'s
    (all of the regime's, for a student not in it): ``students.student_generator``'s ``preceding``."""
    order = stream_order(spec)
    before = order[: order.index(name)] if name in order else order
    return [(student_sizes(other, teacher), spec["student_init"]) for other in before]


def check_sweep(config: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` for a sweep that would clash or starve a student of data."""
    sweep = config.get("sweep") or {}
    sigmas = sweep.get("sigmas", [])
    if not sigmas:
        return
    names = [regime_name(s) for s in sigmas]
    if len(set(names)) != len(names):
        raise ConfigError(f"sweep.sigmas: {sigmas} give repeated regime names {names} (sigmas are named to 2 decimals)")
    clash = set(names) & set(config["regimes"])
    if clash:
        raise ConfigError(f"sweep.sigmas: regime names {sorted(clash)} are already in regimes")
    widths = sweep["shallow_widths"]
    if list(widths) != sorted(set(widths)):
        raise ConfigError(f"sweep.shallow_widths: must be strictly increasing, got {widths}")
    if config["nonlinearity"] != "tanh":
        raise ConfigError(f"sweep: its figures use the tanh mean-field theory, but nonlinearity is {config['nonlinearity']!r}")
    spec = next(iter(sweep_regimes(config).values()))
    n_train, floor = config["data"]["n_train"], config["min_points_per_parameter"]
    for name in regime_students(spec):
        params = n_parameters(student_sizes(name, config["teacher"]))
        if n_train / params < floor:
            raise ConfigError(
                f"sweep: student {name} has {params} parameters, so data.n_train={n_train} gives "
                f"{n_train / params:.2f} training points per parameter, below min_points_per_parameter={floor}"
            )


# --- the linear reference -----------------------------------------------------------------------


def linear_fit(data: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The least-squares bias-free linear map X -> y on the training set, and its relative errors.

    Errors are MSE / Var(y_test) (unbiased variance), as for the students.
    """
    X, y = data["X_train"], data["y_train"]
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)  # (n_in, 1)
    var = float(np.var(data["y_test"], ddof=1))
    out: dict[str, Any] = {"name": "linear", "sizes": [X.shape[1], y.shape[1]], "n_parameters": int(coef.size),
                           "points_per_parameter": len(X) / coef.size, "coefficients": coef.ravel().tolist()}
    for split in ("train", "test"):
        mse = float(((data[f"X_{split}"] @ coef - data[f"y_{split}"]) ** 2).mean())
        out[f"{split}_mse"] = mse
        out[f"{split}_relative_error"] = mse / var
    out["var_y_test"] = var
    return out


# --- tables for the figures ---------------------------------------------------------------------


# The bands over teacher seeds: the median and a percentile-bootstrap 95% interval of it, as
# seaborn's lineplot draws them (depthwidth.figures passes it these settings); the TSVs beside the
# figures hold the same numbers, from the same seaborn estimator with the same seed.
SEED_BANDS = {"estimator": "median", "errorbar": ("ci", 95), "n_boot": 2000, "seed": 0}


def median_band(values: Sequence[float], n_boot: int = SEED_BANDS["n_boot"], seed: int = SEED_BANDS["seed"],
                level: float = 0.95) -> tuple[float, float, float]:
    """Median and bootstrap interval of the median of ``values`` (e.g. over teacher seeds), computed by
    seaborn's estimator (``seaborn.lineplot(estimator="median", errorbar=("ci", 95), ...)``): each call
    starts its generator from ``seed``, as lineplot does for each point, so the numbers are the drawn ones."""
    from seaborn._statistics import EstimateAggregator  # what lineplot aggregates with (seaborn is pinned)

    x = pd.DataFrame({"v": np.asarray(values, float)})
    if x.empty:
        raise ValueError("median_band: no values")
    if len(x) == 1:  # lineplot draws a single value without a band
        v = float(x["v"].iloc[0])
        return v, v, v
    est = EstimateAggregator(SEED_BANDS["estimator"], ("ci", 100 * level), n_boot=n_boot, seed=seed)(x, "v")
    return float(est["v"]), float(est["vmin"]), float(est["vmax"])


def metric_rows(metrics: Sequence[Mapping[str, Any]], sigmas: Mapping[str, float]) -> pd.DataFrame:
    """One row per run (student or linear fit): regime, sigma_w, seed, student, depth, width, parameters, errors."""
    rows = []
    for m in metrics:
        sizes = m["sizes"]
        rows.append({"regime": m["regime"], "sigma_w": float(sigmas[m["regime"]]), "seed": int(m["seed"]),
                     "student": m["name"], "depth": len(sizes) - 1, "width": max(sizes[1:-1], default=0),
                     "n_parameters": int(m["n_parameters"]), "train_relative_error": m["train_relative_error"],
                     "test_relative_error": m["test_relative_error"]})
    return pd.DataFrame(rows)


def error_bands(runs: pd.DataFrame, chi_1: Mapping[float, float], n_boot: int = SEED_BANDS["n_boot"]) -> pd.DataFrame:
    """Per student and sigma: median relative test error over seeds and its bootstrap 95% interval, with chi_1."""
    rows = []
    for (student, sigma), g in runs.groupby(["student", "sigma_w"], sort=True):
        med, lo, hi = median_band(g["test_relative_error"], n_boot=n_boot)
        rows.append({"student": student, "sigma_w": sigma, "chi_1": chi_1[sigma], "depth": int(g["depth"].iloc[0]),
                     "width": int(g["width"].iloc[0]), "n_parameters": int(g["n_parameters"].iloc[0]),
                     "n_seeds": g["seed"].nunique(), "test_error_median": med, "test_error_ci95_low": lo,
                     "test_error_ci95_high": hi})
    return pd.DataFrame(rows)


def fit_rows(fits: Sequence[Mapping[str, Any]], sigmas: Mapping[str, float], chi_1: Mapping[float, float]) -> pd.DataFrame:
    """One row per sweep regime's scaling fit: slope, predicted width and their bootstrap intervals."""
    keys = ("slope", "slope_ci_low", "slope_ci_high", "r2", "predicted_width", "predicted_width_ci_low",
            "predicted_width_ci_high", "target_error")
    rows = []
    for fit in fits:
        sigma = float(sigmas[fit["regime"]])
        rows.append({"regime": fit["regime"], "sigma_w": sigma, "chi_1": chi_1[sigma], "n_seeds": len(set(fit["seeds"])),
                     **{k: float(fit[k]) if fit.get(k) is not None else np.nan for k in keys}})
    return pd.DataFrame(rows).sort_values("sigma_w", ignore_index=True)


# --- trajectory length against depth ------------------------------------------------------------


def circle_length_table(
    sigmas: Sequence[float], width: int, depth: int, points: int, nets: int, seed: int, phi: str = "tanh"
) -> pd.DataFrame:
    """Length and normalised length of the unit circle's image in every hidden layer of random nets.

    ``nets`` bias-free nets of the expressivity shape per sigma, drawn like teachers one after
    another from one generator seeded ``seed`` (sigma-major). One row per sigma, net and layer.
    """
    from .expressivity import hidden_layers, normalised_length, trajectory_length, unit_circle
    from .nets import generator, make_teacher

    circle = unit_circle(points)
    g = generator(seed)
    sizes = deep_sizes(2, width, depth)
    rows = []
    for sigma in sigmas:
        for net in range(nets):
            for layer, h in enumerate(hidden_layers(make_teacher(sizes, sigma, g), circle, phi), start=1):
                length = trajectory_length(h)
                rows.append({"sigma_w": float(sigma), "net": net, "layer": layer, "length": float(length),
                             "normalised_length": float(normalised_length(h, length))})
    return pd.DataFrame(rows)


def length_vs_depth(measured: pd.DataFrame, width: int, phi: str = "tanh") -> pd.DataFrame:
    """Per sigma and layer: the measured lengths over nets (geometric mean, min, max) beside the theory.

    ``theory_length`` is the mean-field length along the length map's transient from the input;
    ``theory_fixed_point_length`` grows by sqrt(chi_1) per layer from the theory's first layer.
    """
    from . import theory

    rows = []
    for sigma, g in measured.groupby("sigma_w", sort=True):
        layers = int(g["layer"].max())
        length, normalised = theory.circle_lengths(sigma, width, layers, phi=phi)
        chi1 = theory.chi_1(sigma, 0.0, phi)
        for layer, lg in g.groupby("layer", sort=True):
            rows.append({
                "sigma_w": sigma, "layer": layer, "chi_1": chi1, "q_star": theory.q_star(sigma, 0.0, phi),
                "n_nets": len(lg), "length_geomean": float(np.exp(np.log(lg["length"]).mean())),
                "length_min": float(lg["length"].min()), "length_max": float(lg["length"].max()),
                "normalised_length_mean": float(lg["normalised_length"].mean()),
                "theory_length": float(length[layer - 1]),
                "theory_fixed_point_length": float(length[0] * np.sqrt(chi1) ** (layer - 1)),
                "theory_normalised_length": float(normalised[layer - 1]),
            })
    return pd.DataFrame(rows)


def mean_field_table(sigmas: Sequence[float], phi: str = "tanh") -> pd.DataFrame:
    """q*, chi_1, c*, chi_c and the depth scale xi_c of bias-free nets at each sigma_w."""
    from . import theory

    return pd.DataFrame([vars(theory.mean_field(s, 0.0, phi)) for s in sigmas])


def chi_curve(sigmas: Sequence[float], points: int = 100) -> pd.DataFrame:
    """chi_1 on a geometric grid spanning ``sigmas`` (for a smooth theory line beside sparse sweep points)."""
    from . import theory

    grid = np.geomspace(min(sigmas), max(sigmas), points)
    return pd.DataFrame({"sigma_w": grid, "chi_1": [theory.chi_1(s) for s in grid]})


def sweep_runs(paths: Sequence[str], sigmas: Mapping[str, float]) -> pd.DataFrame:
    """The runs of ``metric_rows`` read from metrics JSON files."""
    from .results import load_metrics

    return metric_rows([load_metrics(p) for p in paths], sigmas)
