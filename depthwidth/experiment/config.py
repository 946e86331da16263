"""Checking the workflow's config before any job runs, with errors that name the key.

Everything runs, in one order, from :func:`validate`, which ``workflow/rules/common.smk`` calls
when the Snakefile is parsed (and the tests call the same way):

- :func:`coerce_cli` re-reads the values given with ``--config key=value`` as YAML where
  Snakemake's own parsing left strings (``seeds=[-1,7]`` arrives as ``['-1', '7']``).

- :func:`check_schema` validates the config against ``workflow/schemas/config.schema.yaml``
  (types, ranges, unknown or misspelt keys) and reports every problem as
  ``config key 'regimes.chaotic.sigma': -1 is less than the minimum of 1e-06``;
  Snakemake's own ``validate`` then fills in the defaults.
- :func:`check_config` relates keys to each other, which a JSON schema cannot express:
  widths strictly increasing, more training points per parameter than the floor, the
  expressivity regimes among the configured ones, a deep student that is not a shallow one.

Integers are strict (``5.0`` is not an integer here, unlike in JSON schema) and numbers finite
(``.nan`` and ``.inf`` are refused, whatever bounds a key has).
"""

from __future__ import annotations

import copy
import difflib
import functools
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError, validators

from depthwidth.experiment.errors import ConfigError
from depthwidth.experiment.plan import (
    regime_students,
    restart_students,
    student_sizes,
    sweep_regimes,
    sweep_teacher_depths,
    teacher_sizes,
)
from depthwidth.experiment.plan import regimes as all_regimes
from depthwidth.experiment.sizes import NATIVE_MAX_LAYERS, hidden_width, n_parameters, shallow_sizes

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


def _is_integer(checker, instance) -> bool:
    # JSON schema counts 5.0 as an integer; the workflow would then build paths like seed7.0
    return isinstance(instance, int) and not isinstance(instance, bool)


def _is_number(checker, instance) -> bool:
    # NaN fails every comparison, so it would slip past any minimum; inf means nothing either
    return isinstance(instance, (int, float)) and not isinstance(instance, bool) and math.isfinite(instance)


StrictValidator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many({"integer": _is_integer, "number": _is_number}),
)


def load_schema(path: str | os.PathLike = SCHEMA_PATH) -> dict[str, Any]:
    """The schema as a fresh dict (parsed once per file version: validate runs it for every config)."""
    stat = os.stat(path)
    return copy.deepcopy(_parsed_schema(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _parsed_schema(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    with open(path) as fh:
        return yaml.safe_load(fh)


def key_name(path: Iterable[str | int]) -> str:
    """``['regimes', 'chaotic', 'shallow_widths', 0]`` -> ``regimes.chaotic.shallow_widths[0]``."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def _describe(error: ValidationError) -> list[str]:
    """One line per offending key of a jsonschema error."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = sorted(error.schema.get("properties", {}))
        lines = []
        for extra in sorted(k for k in error.instance if k not in allowed):
            guess = difflib.get_close_matches(str(extra), allowed, n=1, cutoff=0.6)
            hint = f"did you mean '{guess[0]}'?" if guess else f"allowed keys here: {', '.join(allowed)}"
            lines.append(f"config key '{key_name([*path, extra])}': unknown key; {hint}")
        if lines:
            return lines
    if "propertyNames" in error.relative_schema_path:
        # the instance is the offending name itself, the path its parent's
        return [f"config key '{key_name([*path, error.instance])}': the name {error.message}"]
    if error.validator == "required":
        missing = error.message.split("'")[1] if error.message.count("'") >= 2 else "?"
        return [f"config key '{key_name([*path, missing])}': missing, and it has no default"]
    where = f"config key '{key_name(path)}'" if path else "config"
    value = error.instance
    numeric = any(t in str(error.validator_value) for t in ("number", "integer"))
    if error.validator == "type" and isinstance(value, float) and not math.isfinite(value) and numeric:
        return [f"{where}: {value} is not a finite number"]
    if (
        error.validator == "type"
        and isinstance(value, float)
        and value.is_integer()
        and "integer" in str(error.validator_value)
    ):
        return [f"{where}: {value!r} is not of type 'integer' (write {int(value)}, without a decimal point)"]
    if error.validator == "type" and isinstance(value, str):
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            parsed = value
        if not isinstance(parsed, str) and StrictValidator({"type": error.validator_value}).is_valid(parsed):
            return [f"{where}: {error.message} (a quoted value is a string: write {value} without quotes)"]
    return [f"{where}: {error.message}"]


def schema_errors(config: Any, schema: Mapping[str, Any]) -> list[str]:
    """Every schema violation of ``config``, one line each, sorted by key."""
    validator = StrictValidator(schema)
    lines = {line for error in validator.iter_errors(config) for line in _describe(error)}
    lines.update(
        f"config key '{key_name(path)}': {value} does not fit a 64-bit integer"
        for path, value in _huge_integers(config)
    )
    return sorted(lines)


def _huge_integers(value: Any, path: tuple = ()) -> Iterable[tuple[tuple, int]]:
    """Integers that numpy and torch cannot hold (|n| >= 2**63), wherever they are."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _huge_integers(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _huge_integers(v, (*path, i))
    elif isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        yield path, value


def check_schema(config: Any, schema: Mapping[str, Any] | str | os.PathLike = SCHEMA_PATH) -> None:
    """Raise :class:`ConfigError` listing every key of ``config`` that the schema rejects."""
    if not isinstance(schema, Mapping):
        schema = load_schema(schema)
    problems = schema_errors(config, schema)
    if problems:
        raise ConfigError("\n".join(problems))


def points_per_parameter_problem(key: str, sizes: list[int], what: str, n_train: int, floor: float) -> str | None:
    """The message for a student with too few training points per weight, or None.

    Strict, as the tutorial's ``assert N_train > 3 * P``: exactly ``floor`` points per weight is refused.
    """
    params = n_parameters(sizes)
    ratio = n_train / params
    if ratio > floor:
        return None
    where = "below" if ratio < floor else "only equal to"
    return (
        f"config key '{key}': {what} has {params} parameters, so data.n_train={n_train} gives "
        f"{ratio:.2f} training points per parameter, {where} min_points_per_parameter={floor} "
        "(it must exceed it)"
    )


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    guess = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{guess[0]}'?" if guess else ""


def near_miss_regimes(names: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs of regime names that look like one misspelt as the other (``chaotic``, ``chaotc``).

    Names that differ only in digits (``sigma1``, ``sigma2``) or by a suffix after the other name
    (``chaotic``, ``chaotic_wide``) are the usual way of naming related regimes and are not reported.
    """
    names = sorted(names)
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if re.sub(r"\d", "", a) == re.sub(r"\d", "", b) or a.startswith(b) or b.startswith(a):
                continue
            if difflib.SequenceMatcher(None, a, b).ratio() >= 0.8:
                pairs.append((a, b))
    return pairs


def check_increasing(key: str, widths: Sequence[int]) -> None:
    """Widths of a scaling fit: sorted, no repeats (one student per width)."""
    if list(widths) != sorted(set(widths)):
        raise ConfigError(f"config key '{key}': must be strictly increasing (sorted, no repeats), got {widths}")


def check_sweep(config: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` for a sweep whose regimes would clash or whose figures cannot be
    drawn (its students' data budget is checked with every other student's, in :func:`check_config`)."""
    sweep = config.get("sweep") or {}
    sigmas = sweep.get("sigmas", [])
    if not sigmas:
        return
    names = [f"{s:.2f}" for s in sigmas]
    if len(set(names)) != len(names):
        raise ConfigError(f"sweep.sigmas: {sigmas} give repeated regime names (sigmas are named to 2 decimals)")
    clash = set(sweep_regimes(config)) & set(config["regimes"])
    if clash:
        raise ConfigError(f"sweep.sigmas: regime names {sorted(clash)} are already in regimes")
    check_increasing("sweep.shallow_widths", sweep["shallow_widths"])
    if config["nonlinearity"] != "tanh":
        raise ConfigError(
            f"sweep: its figures use the tanh mean-field theory, but nonlinearity is {config['nonlinearity']!r}"
        )


# the smallest learning rate of any phase (the schema's minimum of shallow.lr and deep.lr, why there)
MIN_LR = 1e-30
# sigma_w of a simulated point: chi_1 = sigma_w^2 is 1e-6 there, far into the ordered phase
SIMULATION_SIGMA_W_MIN = 1e-3


def check_config(config: Mapping[str, Any]) -> list[str]:
    """Raise :class:`ConfigError` for the first cross-key rule the (schema-valid, defaults filled)
    config breaks; return warnings (regime names that look misspelt)."""
    regimes = config["regimes"]
    teacher = config["teacher"]
    n_train = config["data"]["n_train"]
    floor = config["min_points_per_parameter"]

    def check_budget(key: str, sizes: list[int], what: str) -> None:
        problem = points_per_parameter_problem(key, sizes, what, n_train, floor)
        if problem:
            raise ConfigError(problem)

    for name, regime in regimes.items():
        widths = regime["shallow_widths"]
        check_increasing(f"regimes.{name}.shallow_widths", widths)
        for width in widths:
            check_budget(
                f"regimes.{name}.shallow_widths", shallow_sizes(teacher["n_in"], width), f"the width-{width} student"
            )
        if regime["deep_student"]:
            check_budget(f"regimes.{name}.deep_student", teacher_sizes(teacher), "the deep student")
    sweep = config.get("sweep") or {}
    deep_trainers = [f"regimes.{n}" for n, r in regimes.items() if r["deep_student"]]
    if sweep.get("sigmas") and sweep.get("deep_student"):
        deep_trainers.append("sweep")
    if teacher["depth"] == 2 and deep_trainers:
        raise ConfigError(
            f"config key 'teacher.depth': 2 makes the deep student a net of one hidden layer of width "
            f"{teacher['width']}, the same net as shallow_w{teacher['width']}, trained twice under two names "
            f"(deep_student is true in {', '.join(deep_trainers)}); set teacher.depth to 3 or more, or "
            "deep_student: false"
        )
    if sweep.get("sigmas"):
        check_sweep(config)
        for depth in sweep_teacher_depths(config):
            spec = next(iter(sweep_regimes(config, depth).values()))
            for name in regime_students(spec):
                key = "sweep.budget_depths" if name in spec["budget_students"] else "sweep.shallow_widths"
                if name == "deep" and name not in spec["budget_students"]:
                    key = "sweep.deep_student"
                what = f"the sweep student {name}" + (
                    f" of depth-{depth} teachers" if depth != teacher["depth"] else ""
                )
                check_budget(key, student_sizes(name, {**teacher, "depth": depth}), what)
    deep = config["deep"]
    last = math.log10(deep["lr"]) - (deep["phases"] - 1) * math.log10(deep["lr_decay"])
    if last < math.log10(MIN_LR):
        raise ConfigError(
            f"config key 'deep.lr_decay': {deep['lr_decay']:g} over deep.phases={deep['phases']} takes the last "
            f"phase's learning rate deep.lr / lr_decay^(phases - 1) to 1e{last:.0f}, below {MIN_LR:g} (where Adam "
            "moves no weight; the deep.lr key's bound); lower lr_decay or phases"
        )
    if config.get("engine") == "native":
        deepest = max(
            [spec["teacher_depth"] for spec in all_regimes(config).values()]
            + list((config.get("sweep") or {}).get("budget_depths") or [])
        )
        if deepest > NATIVE_MAX_LAYERS:  # the deep student has depth weight layers
            raise ConfigError(
                f"config key 'engine': native trains nets of at most {NATIVE_MAX_LAYERS} weight layers, and the deep "
                f"students of depth-{deepest} teachers have {deepest}; engine: auto (torch for those) or torch"
            )
    if (config.get("polish") or {}).get("enabled") and config["nonlinearity"] == "relu":
        raise ConfigError(
            "config key 'polish.enabled': true with nonlinearity: relu, whose kinks make the residual non-smooth "
            "for Levenberg-Marquardt (depthwidth.levmar supports tanh and linear); set polish.enabled: false"
        )
    if config["data"].get("standardise_targets") and n_train < 2:
        raise ConfigError(
            f"config key 'data.n_train': {n_train} training point with data.standardise_targets: true, whose "
            "targets' standard deviation (the divisor) is 0; use 2 or more points, or standardise_targets: false"
        )
    theory = config.get("theory") or {}
    if "sigma_min" in theory and "sigma_max" in theory and theory["sigma_min"] >= theory["sigma_max"]:
        raise ConfigError(
            f"config key 'theory.sigma_min': {theory['sigma_min']} is not below theory.sigma_max="
            f"{theory['sigma_max']}; the grid runs from sigma_min up to sigma_max"
        )
    simulation = theory.get("simulation") or {}
    for i, (sigma_w, _) in enumerate(simulation.get("points", [])):
        if sigma_w < SIMULATION_SIGMA_W_MIN:
            raise ConfigError(
                f"config key 'theory.simulation.points[{i}][0]': sigma_w={sigma_w} is below "
                f"{SIMULATION_SIGMA_W_MIN:g} (a net of weight scale 0 has no fixed point q*, and a perturbation "
                "through it vanishes); each point is [sigma_w, sigma_b] with sigma_w >= 0.001"
            )
    if simulation and not simulation["burn_in"] <= simulation["layers"] - 2:
        raise ConfigError(
            f"config key 'theory.simulation.burn_in': {simulation['burn_in']} leaves fewer than two of "
            f"theory.simulation.layers={simulation['layers']} measured; need burn_in <= layers - 2"
        )
    unknown = [r for r in config["expressivity"]["regimes"] if r not in regimes]
    if unknown:
        raise ConfigError(
            f"config key 'expressivity.regimes': {unknown} not among the configured regimes {sorted(regimes)}"
            + _did_you_mean(unknown[0], regimes)
        )
    check_sizes(config)
    check_scales(config)
    check_compile_cache(config)
    return [
        f"config keys 'regimes.{a}' and 'regimes.{b}': two regimes whose names are a letter or two apart "
        f"(a misspelling? did you mean one of them?); both are trained, each under its own name"
        for a, b in near_miss_regimes(regimes)
    ]


# --- bounds between keys: sizes, scales, folders --------------------------------------------------
#
# Each key has a bound of its own in the schema (with its reason there); these bound what keys
# allocate together, checked before anything of that size is allocated or looped over.

# Values in one array that a job holds at once (a layer's activity over the training points, the
# data's inputs, one layer of the circle): 10^10 float64s are 80 GB, an H100's memory and a large
# node's; anything larger could only fail with an out-of-memory error far into a run.
MAX_ARRAY = 10**10
# Values the expressivity .npz keeps (every layer of every shown net, float32 on disk): 10^9 is 4 GB
# of file and 8 GB of float64 while drawn.
MAX_TRAJECTORIES = 10**9
# Students trained (regimes x seeds x students x restarts): each is a folder of files and a dozen
# paths that Snakemake plans in memory; 10^6 is ~10^7 files, a cluster's largest campaign.
MAX_STUDENTS = 10**6


def _too_large(key: str, what: str, count: int, bound: int, because: str) -> ConfigError:
    return ConfigError(f"config key '{key}': {what} is {count:.3g} values, above the bound {bound:.0e} ({because})")


def check_sizes(config: Mapping[str, Any]) -> None:
    """Refuse products of sizes that no job could hold (see :data:`MAX_ARRAY` and the others)."""
    teacher, data = config["teacher"], config["data"]
    n_train, n_test = data["n_train"], data["n_test"]
    inputs = (n_train + n_test) * teacher["n_in"]
    if inputs > MAX_ARRAY:
        raise _too_large(
            "data.n_train",
            "(data.n_train + data.n_test) x teacher.n_in, the inputs",
            inputs,
            MAX_ARRAY,
            "80 GB in float64, a large GPU's or node's memory",
        )
    plan_regimes = all_regimes(config)
    widest = max(
        [teacher["width"]]
        + [max(spec["shallow_widths"]) for spec in plan_regimes.values() if spec["shallow_widths"]]
        + [
            hidden_width(student_sizes(n, teacher))
            for spec in plan_regimes.values()
            for n in spec.get("budget_students", [])
        ]
    )
    layer = max(n_train, n_test) * widest
    if layer > MAX_ARRAY:
        raise _too_large(
            "data.n_train",
            f"data.n_train x the widest student's hidden layer ({widest})",
            layer,
            MAX_ARRAY,
            "one layer's activity over the training points, 80 GB in float64",
        )
    if (config.get("polish") or {}).get("enabled"):
        # Levenberg-Marquardt holds the Jacobian (n_train x P) and J^T J (P x P) of each student
        for name, spec in plan_regimes.items():
            shape = {**teacher, "depth": spec["teacher_depth"]}
            for student in regime_students(spec):
                params = n_parameters(student_sizes(student, shape))
                held = max(params * params, n_train * params)
                if held > MAX_ARRAY:
                    raise _too_large(
                        "polish.enabled",
                        f"the polish of {name}'s {student} ({params} weights): its Jacobian (data.n_train x P) "
                        "or J^T J (P x P)",
                        held,
                        MAX_ARRAY,
                        "80 GB in float64; polish: {enabled: false} for students this large",
                    )
    ex = config["expressivity"]
    shown = len(ex["regimes"]) * (ex["depth"] - 1) * ex["points"] * ex["width"]
    if shown > MAX_TRAJECTORIES:
        raise _too_large(
            "expressivity.points",
            "len(expressivity.regimes) x (expressivity.depth - 1) x "
            "expressivity.points x expressivity.width, the trajectories kept",
            shown,
            MAX_TRAJECTORIES,
            "the expressivity .npz keeps every layer: 4 GB of float32",
        )
    for key, points in (("expressivity.points", ex["points"]), ("expressivity.length_points", ex["length_points"])):
        if points * ex["width"] > MAX_ARRAY:
            raise _too_large(
                key,
                f"{key} x expressivity.width, one layer of the circle",
                points * ex["width"],
                MAX_ARRAY,
                "80 GB in float64",
            )
    sim = (config.get("theory") or {}).get("simulation") or {}
    if sim and 2 * sim["inputs"] * sim["width"] + sim["width"] ** 2 > MAX_ARRAY:
        raise _too_large(
            "theory.simulation.width",
            "a layer's weights and its inputs' activity",
            2 * sim["inputs"] * sim["width"] + sim["width"] ** 2,
            MAX_ARRAY,
            "80 GB in float64",
        )
    seeds = len(config["seeds"])
    restarts = config.get("restarts") or {}
    extra = max(0, restarts.get("count", 1) - 1)
    students = 0
    for spec in plan_regimes.values():
        students += seeds * (len(regime_students(spec)) + extra * len(restart_students(config, spec) if extra else []))
    if students > MAX_STUDENTS:
        raise _too_large(
            "seeds",
            "the students trained (seeds x regimes x students x restarts.count)",
            students,
            MAX_STUDENTS,
            "each is a folder of files and paths Snakemake plans in memory",
        )


# A random net's activity is checked through the mean-field length map q -> sigma^2 E[phi(sqrt(q) z)^2]
# (exact for relu, q sigma^2 / 2, and linear, q sigma^2; tanh by quadrature). Its logarithm is
# followed, so depths of 10^4 neither overflow nor underflow the check itself.
def _log_length_map(log_q: float, sigma: float, phi: str) -> float:
    log_s2 = 2 * math.log(sigma)
    if phi == "linear":
        return log_s2 + log_q
    if phi == "relu":
        return log_s2 + log_q - math.log(2)
    if log_q < math.log(1e-8):  # tanh(u)^2 = u^2 (1 - O(u^2)): the map is q sigma^2 to 1e-8
        return log_s2 + log_q
    import numpy as np

    from depthwidth.theory.meanfield import normal_mean

    return log_s2 + math.log(normal_mean(lambda u: np.tanh(u) ** 2, math.exp(0.5 * log_q)))


def log_variances(sigma: float, log_q1: float, layers: int, phi: str) -> tuple[float, float, float]:
    """(log q of the last, the least and the largest of ``layers`` layers) of a bias-free random net
    whose first layer has variance ``exp(log_q1)`` and every later one the length map's."""
    log_q = low = high = log_q1
    for done in range(1, layers):
        nxt = _log_length_map(log_q, sigma, phi)
        left = layers - 1 - done
        # geometric from here (linear, relu, tanh's small-q regime) or at tanh's fixed point: jump to the end
        if phi != "tanh" or nxt < math.log(1e-8) and sigma <= 1 or abs(nxt - log_q) < 1e-12:
            step = nxt - log_q
            end = nxt + step * left
            return end, min(low, nxt, end), max(high, nxt, end)
        log_q = nxt
        low, high = min(low, log_q), max(high, log_q)
    return log_q, low, high


# Targets must stand this far above their dtype's resolution (mean field), the teacher job's own
# floor (depthwidth.teacher.check_teacher_data: std > eps) with room for a draw several times below
# the mean-field scale; configs/depth.yaml's deepest quasi-linear teachers (depth 10, sigma 0.4,
# float32) stand ~750 eps above it and must pass.
TARGET_MARGIN = 10.0
# Activities' squares must stay normal float64s with room for sums over 10^7 points and a
# trapezoid's weights: |log q| below log(1e250).
LOG_Q_RANGE = math.log(1e250)


def check_scales(config: Mapping[str, Any]) -> None:
    """Refuse weight scales whose nets' activity under- or overflows (finite-output checks).

    The teachers' targets (every named and sweep regime, at its teacher depth) must have a
    mean-field standard deviation TARGET_MARGIN above the dtype's resolution and their squares,
    summed over the training points, finite in it; the random nets of the expressivity pictures
    and length measurement must keep activities whose squares are normal float64 numbers.
    """
    phi = config["nonlinearity"]
    eps = 2.0**-23 if config["dtype"] == "float32" else 2.0**-52
    largest = 3.4028234663852886e38 if config["dtype"] == "float32" else 1.7976931348623157e308
    n_train = config["data"]["n_train"]
    for name, spec in all_regimes(config).items():
        sigma, depth = spec["sigma"], spec["teacher_depth"]
        key = f"regimes.{name}.sigma" if name in config["regimes"] else "sweep.sigmas"
        # hidden layer 1 has variance sigma^2 (inputs N(0, I)); depth - 1 maps on to the readout y
        log_y, _, high = log_variances(sigma, 2 * math.log(sigma), depth, phi)
        std = math.exp(0.5 * log_y)
        if std < TARGET_MARGIN * eps:
            raise ConfigError(
                f"config key '{key}': {sigma:g} gives depth-{depth} {phi} teachers targets of standard deviation "
                f"~{std:.2g} (mean field), not {TARGET_MARGIN:g} times above {config['dtype']}'s resolution "
                f"{eps:.2g}: their errors would be rounding noise; raise the sigma (or dtype: float64)"
            )
        if high + math.log(n_train * TARGET_MARGIN) > math.log(largest):
            raise ConfigError(
                f"config key '{key}': {sigma:g} gives depth-{depth} {phi} teachers activities of variance "
                f"~e^{high:.0f} (mean field), whose squared errors over data.n_train={n_train} points overflow "
                f"{config['dtype']}; lower the sigma (or teacher.depth)"
            )
    ex = config["expressivity"]
    shown = [(f"regimes.{r}.sigma", config["regimes"][r]["sigma"]) for r in ex["regimes"] if r in config["regimes"]]
    measured = [("expressivity.length_sigmas", s) for s in ex["length_sigmas"]]
    for key, sigma in shown + measured:
        # the circle: |x| = 1 in 2 inputs, so the first layer's variance is sigma^2 / 2
        _, low, high = log_variances(sigma, 2 * math.log(sigma) - math.log(2), ex["depth"] - 1, phi)
        if low < -LOG_Q_RANGE or high > LOG_Q_RANGE:
            which = "underflow" if low < -LOG_Q_RANGE else "overflow"
            raise ConfigError(
                f"config key '{key}': {sigma:g} through expressivity.depth={ex['depth']} layers of {phi} nets "
                f"takes the circle's activity to variance ~e^{(low if which == 'underflow' else high):.0f} "
                f"(mean field), an {which} of float64's range (1e±250 kept for its lengths); "
                f"{'raise' if which == 'underflow' else 'lower'} the sigma or lower expressivity.depth"
            )


def check_compile_cache(config: Mapping[str, Any]) -> None:
    """Refuse a ``compile_cache`` folder that cannot be made or written (where compiling may happen),
    before any job: Inductor would otherwise fail inside a student's job, naming neither key."""
    if config.get("compile") is False:
        return
    folder = Path(os.path.expanduser(str(config["compile_cache"])))
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(
            f"config key 'compile_cache': {config['compile_cache']!r} cannot be a folder: {probe} is a file "
            "(the compiled-graph cache is a folder; set compile_cache to one, or compile: false)"
        )
    try:  # a real file, not os.access: root passes os.access on read-only and virtual file systems
        handle, name = tempfile.mkstemp(dir=probe, prefix=".compile_cache_check")
        os.close(handle)
        os.unlink(name)
    except OSError as err:
        what = "is" if probe == folder else "would be made in"
        raise ConfigError(
            f"config key 'compile_cache': {config['compile_cache']!r} {what} {probe}, which is not writable "
            f"({err.strerror or err}; the compiled-graph cache is written by every job): set compile_cache to a "
            "writable folder, or compile: false"
        ) from None


def coerce_cli(config: dict[str, Any], args: Iterable[str], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Re-read the ``--config key=value`` values as YAML where Snakemake's parsing left strings.

    Snakemake 9 parses each value with ``int``, ``float``, ``True``/``False``, then YAML's
    BaseLoader, which keeps every scalar a string: ``seeds=[-1,7]`` arrives as ``['-1', '7']`` and
    ``shallow={steps: 50}`` as ``{'steps': '50'}``. Here each value is parsed again as YAML 1.2
    (:class:`CliLoader`) and, key by key, that parse wins where the schema accepts it, or where it
    is ``true``, ``false`` or ``null`` (never a string meant as such); else Snakemake's, where
    the schema accepts that (``checkpoint_every='7'``, which Snakemake unquotes to 7); where
    neither is accepted the YAML parse is kept, so that the error shows the value as typed.
    ``config`` is changed in place.
    """
    for arg in args:
        if not isinstance(arg, str) or "=" not in arg:
            continue
        key, raw = arg.split("=", 1)
        if key not in config or raw == "":
            continue
        try:
            parsed = yaml.load(raw, Loader=CliLoader)  # noqa: S506 - a safe loader
        except yaml.YAMLError:
            continue
        except ConfigError as err:  # "<unicode string>:1: ..." -> the argument as typed
            detail = str(err).split(": ", 1)[-1]
            raise ConfigError(f"--config {arg}: config key '{key}': {detail}") from None
        config[key] = _overlay(config[key], parsed, _subschema(schema, key))
    return config


def _subschema(schema: Mapping[str, Any] | None, key: str) -> Mapping[str, Any] | None:
    if not isinstance(schema, Mapping):
        return None
    if key in schema.get("properties", {}):
        return schema["properties"][key]
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, Mapping) else None


def _overlay(current: Any, parsed: Any, schema: Mapping[str, Any] | None) -> Any:
    if isinstance(current, dict) and isinstance(parsed, dict):
        for k, v in parsed.items():
            k = str(k)
            current[k] = _overlay(current.get(k), v, _subschema(schema, k)) if k in current else v
        return current
    if schema is None:
        return parsed
    fits = StrictValidator(schema)
    if parsed is None or isinstance(parsed, bool) or fits.is_valid(parsed) or not fits.is_valid(current):
        return parsed
    return current


def cli_config(config: dict[str, Any], args: Iterable[str]) -> dict[str, Any]:
    """``config`` with ``--config`` arguments applied as Snakemake 9 applies them (for tests)."""
    from snakemake.cli import parse_config
    from snakemake.utils import update_config

    update_config(config, parse_config(list(args)))
    return config


def check_device(config: Mapping[str, Any]) -> None:
    """Refuse ``device: cuda`` where torch sees no GPU (imports torch, so only when cuda is asked for)."""
    if config.get("device") != "cuda":
        return
    import torch

    if not torch.cuda.is_available():
        built = f"built with CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise ConfigError(
            f"config key 'device': cuda, but torch {torch.__version__} ({built}) sees no GPU on this machine; "
            "use device=auto or device=cpu, or run where a GPU is (on a cluster, jobs check it on their node)"
        )


def validate(
    config: dict[str, Any],
    schema_path: str | os.PathLike = SCHEMA_PATH,
    cli_args: Iterable[str] = (),
    check_cuda: bool = False,
) -> list[str]:
    """Every check, in the workflow's order; fills in the defaults and returns warnings.

    ``cli_args`` are the raw ``--config`` arguments (``workflow.config_settings.config_args``);
    ``check_cuda`` refuses ``device: cuda`` when this machine has no GPU (the main process of a
    local run; cluster jobs run elsewhere). Raises :class:`ConfigError` naming the key.
    """
    schema = load_schema(schema_path)
    coerce_cli(config, cli_args or (), schema)
    problems = schema_errors(config, schema)
    if problems:
        regimes = config.get("regimes") if isinstance(config, Mapping) else None
        if isinstance(regimes, Mapping):  # a regime missing its sigma is often a misspelt name
            for i, line in enumerate(problems):
                m = re.match(r"config key 'regimes\.(\w+)\.sigma': missing", line)
                if m:
                    problems[i] = line + _did_you_mean(m[1], [r for r in regimes if r != m[1]])
        raise ConfigError("\n".join(problems))
    from snakemake.utils import validate as fill_defaults

    fill_defaults(config, str(schema_path))  # Snakemake's own validation, which fills in the defaults
    warnings = check_config(config)
    if check_cuda:
        check_device(config)
    return warnings


def merged(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Snakemake's ``--configfile`` merge: mappings merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in overlay.items():
        both = isinstance(value, Mapping) and isinstance(out.get(key), Mapping)
        out[key] = merged(out[key], value) if both else value
    return out


# Plain scalars that YAML 1.1 (PyYAML, Snakemake's reader) and YAML 1.2 read differently: a config
# must not depend on which one a reader follows, so these are refused naming file and line.
_YAML11_ONLY = {
    "bool": (
        re.compile(r"^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$"),
        "a boolean in YAML 1.1, a string in YAML 1.2: write true or false, or quote it",
    ),
    "int": (
        re.compile(r"^[-+]?(?:0[0-7_]+|0b[01_]+|[0-9][0-9_]*(?::[0-5]?[0-9])+|[0-9]+_[0-9_]*)$"),
        "a leading zero, 0b, an underscore or a colon make it another number in YAML 1.1 (010 is 8, "
        "1:30 is 90): write the plain decimal number, or quote it",
    ),
    "float": (
        re.compile(r"^[-+]?(?:[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[0-9_]*_[0-9_]*\.[0-9_]*)$"),
        "a colon or an underscore make it another number in YAML 1.1: write the plain number, or quote it",
    ),
}
# YAML 1.2's numbers without a dot (1e-3, 2E5), which YAML 1.1 reads as strings
_YAML12_FLOAT = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$")


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys and YAML 1.1-only forms, reading 1e-3 as a number."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ConfigError(
                    f"{key_node.start_mark.name}:{line}: duplicate key {key!r} (first at line {seen[key]}); "
                    "YAML would silently keep only the last one"
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_scalar_checked(self, node, kind: str):
        pattern, advice = _YAML11_ONLY[kind]
        if node.style is None and pattern.match(node.value):
            mark = node.start_mark
            raise ConfigError(f"{mark.name}:{mark.line + 1}: {node.value!r} is ambiguous: {advice}")
        return getattr(yaml.SafeLoader, f"construct_yaml_{kind}")(self, node)


for _kind in _YAML11_ONLY:
    _StrictLoader.add_constructor(
        f"tag:yaml.org,2002:{_kind}", lambda loader, node, kind=_kind: loader.construct_scalar_checked(node, kind)
    )
_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML12_FLOAT, list("-+0123456789."))


class CliLoader(_StrictLoader):
    """YAML with the 1.2 core schema's scalars: ``true``/``false`` are booleans but ``on``/``yes``
    stay words, and ``1e-3`` is a number (PyYAML's 1.1 rules need a dot: ``1.0e-3``); as strict as
    a config file's reading otherwise (:class:`_StrictLoader`: repeated keys and YAML 1.1's ``010``
    or ``1:30`` are refused)."""


CliLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp) for tag, regexp in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:float")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
CliLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
CliLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def read_file(path: str | os.PathLike) -> dict[str, Any]:
    """A config file as a mapping, read strictly: a file that is not YAML, is empty or not a
    mapping, repeats a key, or has a plain value that YAML 1.1 and 1.2 read differently raises
    :class:`ConfigError` naming the file (and line). ``1e-3`` is a number, as in YAML 1.2."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader)
    except OSError as err:
        raise ConfigError(f"config file {path}: cannot be read ({err.strerror or err})") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"config file {path}: not UTF-8 text ({err.reason})") from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: {err.problem or err.context}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path}: not valid YAML ({err})") from None
    if data is None:
        raise ConfigError(f"config file {path}: empty; a config file is a mapping of keys (config.yaml's)")
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: a {type(data).__name__} at the top level; expected a mapping of keys")
    return data


def read_files(paths: Iterable[str | os.PathLike], overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The config of ``--configfile`` files ``paths`` (in Snakemake's order), merged as Snakemake
    merges them, each read by :func:`read_file`, with ``--config`` ``overrides`` on top."""
    config: dict[str, Any] = {}
    for path in paths:
        config = merged(config, read_file(path))
    return merged(config, overrides or {})


def load(*paths: str | os.PathLike) -> dict[str, Any]:
    """The config the workflow sees for ``--configfile``s ``paths`` (``config.yaml`` first): merged,
    checked, with the schema's defaults filled in. For programs beside the workflow (the benchmark)."""
    config = read_files(paths)
    validate(config, SCHEMA_PATH)
    return config
