"""Every bad input is refused by name: a fuzz over every leaf key of the config schema.

For every key of ``workflow/schemas/config.schema.yaml`` (the entries of ``additionalProperties``
maps such as ``regimes.<name>`` included, through an existing entry and a new one) the cases are
values of every wrong type (a fractional and an integral float for an integer, a quoted number,
booleans, null, lists, mappings), NaN and +-inf, values past every bound the schema states,
integers too large for numpy, misspelt enum choices, empty lists, and a misspelling of every key
name; then values that pass each key's own rules but not the rules between keys.

Each case is given two ways, as Snakemake would receive it: merged into the config from a
``--configfile``, and as a ``--config key=value`` argument (parsed the way Snakemake 9.27 parses
it). The bulk runs in-process through :func:`depthwidth.experiment.config.validate`, the one function
``workflow/rules/common.smk`` calls; a fixed sample goes through the real ``snakemake -n``.
A case passes when it is refused with :class:`ConfigError` whose message names the key; any other
exception (a traceback) or an accepted value fails the test.
"""

from __future__ import annotations

import copy
import json
import math
import random
import signal
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import yaml
from conftest import REPO, merged, run_snakemake

from depthwidth.experiment.config import ConfigError, cli_config, load_schema, validate

SCHEMA = load_schema()
BASE = merged(
    yaml.safe_load((REPO / "config.yaml").read_text()), yaml.safe_load((REPO / "configs" / "study.yaml").read_text())
)
NAN, INF = float("nan"), float("inf")


@dataclass
class Case:
    key: str  # the key the message must name (dotted, with [i] for list items)
    kind: str
    config: dict  # the overlay as a --configfile would give it (merged over BASE)
    cli: str | None  # the same as a --config argument; None where the command line cannot say it

    @property
    def id(self) -> str:
        return f"{self.key}:{self.kind}"


def nest(path: tuple, value) -> dict:
    out = value
    for part in reversed(path):
        out = {part: out}
    return out


def dotted(path: tuple) -> str:
    return ".".join(map(str, path))


def cli_arg(path: tuple, value) -> str | None:
    """``key=value`` with the value written as YAML flow text (what a user would type)."""
    rest = nest(path[1:], value) if len(path) > 1 else value
    try:
        text = yaml.safe_dump(rest, default_flow_style=True, width=10**6).strip()
    except yaml.representer.RepresenterError:
        return None
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return f"{path[0]}={text}"


def leaves(schema: dict, path: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """(path, subschema) of every key, objects included; ``additionalProperties`` maps are entered
    through the base config's first entry and through a new entry ``extra``."""
    for name, sub in schema.get("properties", {}).items():
        yield (*path, name), sub
        if sub.get("type") == "object":
            yield from leaves(sub, (*path, name))
            entry = sub.get("additionalProperties")
            if isinstance(entry, dict):
                existing = next(iter(get(BASE, (*path, name))))
                for entry_name in (existing, "extra"):
                    yield (*path, name, entry_name), entry
                    yield from leaves(entry, (*path, name, entry_name))


def get(config, path):
    for part in path:
        config = config[part]
    return config


def types_of(sub: dict) -> set[str]:
    t = sub.get("type", [])
    return set([t] if isinstance(t, str) else t)


# one value of each kind; which are wrong for a key follows from its types
SAMPLES = {
    "integer": 7,
    "fractional float": 2.5,
    "integral float": 5.0,
    "quoted number": "7",
    "word": "x",
    "true": True,
    "false": False,
    "null": None,
    "list": [1],
    "mapping": {"a": 1},
}


def is_right_type(value, types: set[str]) -> bool:
    if isinstance(value, bool):
        return "boolean" in types
    if value is None:
        return "null" in types
    if isinstance(value, int):
        return bool({"integer", "number"} & types)
    if isinstance(value, float):
        return "number" in types and math.isfinite(value)
    if isinstance(value, str):
        return "string" in types
    if isinstance(value, list):
        return "array" in types
    return "object" in types


def value_cases(path: tuple, sub: dict) -> Iterator[tuple[str, object, str]]:
    """(kind, value, key named) of every wrong value for one key."""
    key, types = dotted(path), types_of(sub)
    enum = sub.get("enum")
    for kind, value in SAMPLES.items():
        if is_right_type(value, types) and (enum is None or value in enum):
            continue
        if path[-1] == "extra" and kind == "mapping":  # a new regime must be a mapping: {a: 1} is an unknown key
            yield kind, value, f"{key}.a"
            continue
        yield kind, value, key
    if types & {"integer", "number"}:
        for name, value in (("nan", NAN), ("inf", INF), ("-inf", -INF)):
            yield name, value, key
    if "integer" in types:
        yield "beyond int64", 10**30, key
    if "minimum" in sub:
        yield "below minimum", sub["minimum"] - (1 if "integer" in types else 0.5), key
    if "exclusiveMinimum" in sub:
        yield "at exclusive minimum", sub["exclusiveMinimum"], key
        yield "below exclusive minimum", sub["exclusiveMinimum"] - 1, key
    if "maximum" in sub:
        yield "above maximum", sub["maximum"] + 1, key
    if "exclusiveMaximum" in sub:
        yield "at exclusive maximum", sub["exclusiveMaximum"], key
    if enum:
        words = [e for e in enum if isinstance(e, str)]
        if words:
            yield "misspelt choice", words[0][:-1] + ("x" if words[0][-1] != "x" else "y"), key
    if "array" in types:
        if sub.get("minItems", 0) >= 1:
            yield "empty list", [], key
        items = sub.get("items", {})
        good = get(BASE, path)[0] if path[-1] != "extra" and get_or_none(BASE, path) else None
        for kind, value, _ in value_cases((*path[:-1], path[-1] + "[0]"), items):
            item_key = f"{key}[0]"
            yield f"item {kind}", [value], item_key
        if sub.get("uniqueItems") and good is not None:
            yield "repeated item", [good, good], key
    # (an empty mapping for regimes is no case: merged over config.yaml it keeps config.yaml's
    # regimes, as Snakemake's merge does, so no wrong value arrives)


def get_or_none(config, path):
    try:
        return get(config, path)
    except (KeyError, TypeError):
        return None


def generate() -> list[Case]:
    cases: list[Case] = []
    regime = next(iter(BASE["regimes"]))
    for path, sub in leaves(SCHEMA):
        for kind, value, key in value_cases(path, sub):
            if path[-1] == "extra":  # a new entry: the value is the whole entry
                overlay = nest(path, value)
            elif len(path) >= 3 and path[-2] == "extra":  # a key of a new regime: give it a valid sigma
                entry = {"sigma": 1.5, **({} if path[-1] == "sigma" else {}), path[-1]: value}
                overlay = nest(path[:-1], entry)
            else:
                overlay = nest(path, value)
            cli_path = path if path[-1] != "extra" else path
            # on the command line Snakemake unquotes 'x' itself, so a quoted number arrives as a number there
            cli = None if kind.endswith("quoted number") else cli_arg(cli_path[:1], get(overlay, cli_path[:1]))
            cases.append(Case(key, kind, overlay, cli))
    # misspelt and unknown key names, in every mapping that lists its keys (the root included)
    mappings = [((), SCHEMA)] + [
        (p, s) for p, s in leaves(SCHEMA) if s.get("additionalProperties") is False and p[-1:] != ("extra",)
    ]
    for path, sub in mappings:
        for name in sorted(sub["properties"]):
            wrong = name[:-1] if len(name) > 3 else name + "s"
            value = get_or_none(BASE, (*path, name))
            if value is None:
                value = 1
            overlay = nest((*path, wrong), value)
            key = dotted((*path, wrong))
            # the root's keys cannot be misspelt through --config without also being a new top-level key: same thing
            cases.append(
                Case(key, "misspelt key", overlay, cli_arg((*path, wrong)[:1], get(overlay, (*path, wrong)[:1])))
            )
    # values each key accepts, wrong only together with others
    cross = {
        "teacher.depth": ("depth 2 with a deep student", {"teacher": {"depth": 2}}),
        "theory.sigma_min": ("sigma_min above sigma_max", {"theory": {"sigma_min": 4.0, "sigma_max": 2.0}}),
        "theory.sigma_min ": ("sigma_min equal to sigma_max", {"theory": {"sigma_min": 2.0, "sigma_max": 2.0}}),
        "regimes.chaotic.shallow_widths": ("too few points per weight", {"data": {"n_train": 400}}),
        "min_points_per_parameter": ("floor above every student", {"min_points_per_parameter": 1e6}),
        "expressivity.regimes": ("expressivity regime not configured", {"expressivity": {"regimes": ["chaotc"]}}),
        f"regimes.{regime}.shallow_widths ": ("widths unsorted", {"regimes": {regime: {"shallow_widths": [15, 5]}}}),
        "sweep.shallow_widths": ("sweep widths unsorted", {"sweep": {"shallow_widths": [45, 5]}}),
        "sweep.sigmas": ("sweep names clash", {"sweep": {"sigmas": [0.401, 0.404]}}),
        "sweep.budget_depths": ("budget student starved", {"sweep": {"budget": 2000}}),
    }
    for key, (kind, overlay) in cross.items():
        top = next(iter(overlay))
        cases.append(Case(key.strip(), kind, overlay, cli_arg((top,), overlay[top])))
    return cases


CASES = generate()


def validated(config_overlay: dict | None, cli: str | None) -> tuple[str, str, dict]:
    """('refused', message) or ('accepted', '') or ('traceback', repr) for one way of giving a case,
    with the config as validated."""
    config = copy.deepcopy(BASE)
    args = []
    if cli is None:
        config = merged(config, config_overlay)
    else:
        args = [cli]
        config = cli_config(config, args)
    try:
        validate(config, cli_args=args)
    except ConfigError as err:
        return "refused", str(err), config
    except Exception as err:  # noqa: BLE001 - any other exception is what this test exists to find
        return "traceback", f"{type(err).__name__}: {err}", config
    return "accepted", "", config


def refusal(config_overlay: dict | None, cli: str | None) -> tuple[str, str]:
    """('refused', message) or ('accepted', '') or ('traceback', repr) for one way of giving a case."""
    return validated(config_overlay, cli)[:2]


def names_key(message: str, key: str) -> bool:
    """The message names the key, or for a list item (``seeds[0]``) the list (``seeds``)."""
    return key in message or ("[" in key and f"'{key.split('[')[0]}'" in message)


def test_every_bad_value_is_refused_by_name(record_property):
    counts = {"tried": 0, "refused by name": 0}
    failures = []
    for case in CASES:
        for route, cli in (("--configfile", None), ("--config", case.cli)):
            if route == "--config" and cli is None:
                continue
            counts["tried"] += 1
            outcome, message = refusal(case.config, cli)
            if outcome == "refused" and names_key(message, case.key):
                counts["refused by name"] += 1
            else:
                failures.append(f"{route} {case.id} ({cli or case.config}): {outcome} {message[:300]}")
    record_property(
        "summary",
        f"{counts['tried']} cases tried in-process ({len(CASES)} values x --configfile and "
        f"--config), {counts['refused by name']} refused naming the key, "
        f"{len(failures)} accepted or traceback",
    )
    assert failures == [], "\n".join(failures)
    assert counts["tried"] >= 700


def test_cases_cover_every_leaf_key():
    keys = {dotted(p) for p, _ in leaves(SCHEMA)}
    covered = {c.key.split("[")[0] for c in CASES}
    assert keys <= covered, sorted(keys - covered)
    assert len(keys) == 79 + 5  # test_config's 79 keys and a new regime's entry and its 4 keys


def test_valid_values_of_the_same_shapes_are_accepted():
    """The fuzz's values are wrong for their keys, not for everything: good ones pass both routes."""
    good = [
        ("seeds", [-1, 2**31 - 1, -(2**31)]),
        ("shallow", {"lr": 0.5, "steps": 7}),
        ("teacher", {"depth": 3}),
        ("theory", {"sigma_min": 0.5, "sigma_max": 0.6}),
        ("expressivity", {"seed": 2**32 - 1, "depth": 2}),
        ("sweep", {"budget": None}),
        ("compile", True),
        ("regimes", {"extra": {"sigma": 1.5}}),
    ]
    for key, value in good:
        for cli in (None, cli_arg((key,), value)):
            assert refusal({key: value}, cli) == ("accepted", ""), (key, value, cli)


# --- a sample through the real snakemake CLI -------------------------------------------------

SAMPLE = [CASES[i] for i in sorted(random.Random(15).sample(range(len(CASES)), 14))]
SAMPLE += [
    c
    for c in CASES
    if c.id
    in {
        "seeds:item integral float",
        "shallow.lr:nan",
        "teacher.depth:depth 2 with a deep student",
        "regimes.extra.sigma:null",
        "expressivity.seed:above maximum",
    }
]
SAMPLE = list({c.id: c for c in SAMPLE}.values())  # each case once


@pytest.fixture(scope="module")
def cli_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "study.yaml").write_text((REPO / "configs" / "study.yaml").read_text())
    return folder


@pytest.mark.parametrize("route", ["--configfile", "--config"])
@pytest.mark.parametrize("case", SAMPLE, ids=lambda c: c.id)
def test_snakemake_refuses_a_sample_by_name(case, route, cli_folder, workflow_repo):
    if route == "--config":
        if case.cli is None:
            pytest.skip("the command line cannot write this value")
        args = ["--configfile", "study.yaml", "--config", case.cli]
    else:
        bad = cli_folder / f"bad-{abs(hash(case.id))}.yaml"
        bad.write_text(yaml.safe_dump(case.config))
        args = ["--configfile", "study.yaml", str(bad)]
    proc = run_snakemake(workflow_repo, cli_folder, "-n", *args, cores=1, check=False, timeout=120)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-2000:]
    assert "Traceback" not in output, output[-4000:]
    assert "invalid config" in output, output[-2000:]
    assert names_key(output, case.key), output[-2000:]


# --- extreme values: every numeric key and list at the value classes of issue 23 ----------------
#
# Each value is refused naming a config key, or accepted and then planned (the plan functions
# common.smk calls) without an exception; no case may raise anything else or hang (SIGALRM after
# HANG_S, a generous bound that only detects a hang: nothing here is timed).

HANG_S = 60
EXTREMES = {
    "zero": 0,
    "one": 1,
    "minus one": -1,
    "1e-300": 1e-300,
    "1e300": 1e300,
    "1e308": 1e308,
    "2^32": 2**32,
    "10^9": 10**9,
}


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"no answer within {HANG_S} s")


def numeric_leaves() -> Iterator[tuple[tuple, dict, str]]:
    """(path, subschema, shape) of every numeric key: shape 'scalar', 'item' (a list of numbers)
    or 'pair item' (theory.simulation.points: a list of pairs). New regimes are left to the
    wrong-value fuzz: an existing regime's keys are the same schema."""
    for path, sub in leaves(SCHEMA):
        if "extra" in path:
            continue
        types = types_of(sub)
        if types & {"integer", "number"}:
            yield path, sub, "scalar"
        elif "array" in types:
            items = sub.get("items", {})
            if types_of(items) & {"integer", "number"}:
                yield path, items, "item"
            elif "array" in types_of(items):
                yield path, items["items"], "pair item"


def extreme_cases() -> list[Case]:
    cases = []
    for path, sub, shape in numeric_leaves():
        values = dict(EXTREMES)
        for bound in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
            if bound in sub:
                edge = sub[bound]
                if bound == "exclusiveMinimum":
                    edge = edge + 1 if "integer" in types_of(sub) else math.nextafter(edge, math.inf)
                elif bound == "exclusiveMaximum":
                    edge = edge - 1 if "integer" in types_of(sub) else math.nextafter(edge, -math.inf)
                values[f"at {bound.lower().replace('exclusive', 'exclusive ')}"] = edge
        for kind, value in values.items():
            if shape == "scalar":
                overlay, key = nest(path, value), dotted(path)
            elif shape == "item":
                overlay, key = nest(path, [value]), f"{dotted(path)}[0]"
            else:
                overlay, key = nest(path, [[value, 0.5]]), f"{dotted(path)}[0][0]"
                cases.append(Case(f"{dotted(path)}[0][1]", kind, nest(path, [[1.5, value]]), None))
            cases.append(Case(key, kind, overlay, None))
    # lists at and past their length bounds
    for path, sub in leaves(SCHEMA):
        if "extra" in path or "maxItems" not in sub or "array" not in types_of(sub):
            continue
        n = sub["maxItems"]
        item = sub.get("items", {})
        if path == ("seeds",):
            good = list(range(n))
        elif path[-1] == "regimes" and path[0] == "expressivity":
            good = None  # its items must be regime names: the regimes' own bound is the case
        elif "array" in types_of(item):
            good = [[1.0 + i / n, 0.5] for i in range(n)]
        elif "integer" in types_of(item):
            good = list(range(item.get("minimum", 1), item.get("minimum", 1) + n))
        else:
            good = [round(0.5 + i / 100, 2) for i in range(n)]
        if good is not None:
            cases.append(Case(dotted(path), "at maxItems", nest(path, good), None))
            cases.append(Case(dotted(path), "past maxItems", nest(path, [*good, good[-1]]), None))
    many = {f"r{i}": {"sigma": 1.5, "shallow_widths": [5], "deep_student": False} for i in range(1001)}
    cases.append(Case("regimes", "past maxProperties", {"regimes": many}, None))
    for length in (64, 65, 300):
        cases.append(Case("regimes", f"name of {length} letters", {"regimes": {"a" * length: {"sigma": 1.5}}}, None))
    for kind, folder in (("unwritable", "/proc/cache"), ("a file", "/etc/hostname/cache"), ("empty", "")):
        cases.append(Case("compile_cache", f"compile_cache {kind}", {"compile_cache": folder, "compile": True}, None))
    for case in cases:
        top = next(iter(case.config))
        case.cli = None if case.kind.startswith(("at maxItems", "past max")) else cli_arg((top,), case.config[top])
    return cases


EXTREME_CASES = extreme_cases()


def plan_outcome(config_overlay: dict, cli: str | None) -> tuple[str, str]:
    """refusal(), then for an accepted config what common.smk builds from it: the plan, the files
    it makes and the named targets."""
    from depthwidth.experiment import plan
    from depthwidth.experiment.targets import Targets
    from depthwidth.presentation import catalog

    verdict, message, config = validated(config_overlay, cli)
    if verdict != "accepted":
        return verdict, message
    try:
        plan.regimes(config)
        plan.batches(config)
        plan.copied_regimes(config)
        catalog.all_outputs(Targets(config))
    except Exception as err:  # noqa: BLE001
        return "traceback", f"while planning: {type(err).__name__}: {err}"
    return "accepted", ""


def test_extreme_values_are_refused_by_name_or_planned(record_property):
    counts = {"tried": 0, "refused": 0, "accepted": 0, "traceback": 0}
    failures = []
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for case in EXTREME_CASES:
            for route, cli in (("--configfile", None), ("--config", case.cli)):
                if route == "--config" and cli is None:
                    continue
                counts["tried"] += 1
                signal.alarm(HANG_S)
                try:
                    outcome, message = plan_outcome(case.config, cli)
                except Hang as err:
                    outcome, message = "traceback", str(err)
                finally:
                    signal.alarm(0)
                counts[outcome] += 1
                if outcome == "traceback" or (outcome == "refused" and "config key '" not in message):
                    failures.append(f"{route} {case.id}: {outcome} {message[:300]}")
    finally:
        signal.signal(signal.SIGALRM, previous)
    record_property(
        "summary",
        f"{counts['tried']} extreme-value cases ({len(EXTREME_CASES)} values x --configfile and --config): "
        f"{counts['refused']} refused naming a key, {counts['accepted']} accepted and planned, "
        f"{counts['traceback']} tracebacks or hangs",
    )
    assert failures == [], "\n".join(failures)
    assert counts["refused"] > 0 and counts["accepted"] > 0


def test_every_numeric_key_has_extreme_cases():
    keys = {dotted(p) for p, _, _ in numeric_leaves()}
    covered = {c.key.split("[")[0] for c in EXTREME_CASES}
    assert keys <= covered, sorted(keys - covered)
    for path, sub, _ in numeric_leaves():  # every numeric key has both bounds, stated in the schema
        assert {"minimum", "exclusiveMinimum"} & set(sub) and {"maximum", "exclusiveMaximum"} & set(sub), path


def test_named_extremes_of_the_issue():
    """The cases issue 23 reported, each refused naming its key (not a MemoryError, hang or traceback)."""
    reported = {
        "teacher.depth": {"teacher": {"depth": 10**9}},
        "sweep.teacher_depths[0]": {"sweep": {"teacher_depths": [2**32]}},
        "sweep.budget_depths[0]": {"sweep": {"budget_depths": [10**9]}},
        "sweep.budget": {"sweep": {"budget": 10**9, "budget_depths": [2, 3]}},
        "regimes.chaotic.sigma": {"regimes": {"chaotic": {"sigma": 1e308}}},
        "theory.simulation.seed": {"theory": {"simulation": {"seed": 10**300}}},
        "theory.simulation.points[0][0]": {"theory": {"simulation": {"points": [[0, 0]]}}},
        "theory.sigma_max": {"theory": {"sigma_max": 1e308}},
        "theory.sigma_b_max": {"theory": {"sigma_b_max": 1e308}},
        "expressivity.length_sigmas[0]": {"expressivity": {"length_sigmas": [1e-300]}},
        "expressivity.length_sigmas": {
            "expressivity": {"length_sigmas": [1e-3], "depth": 10000, "regimes": ["chaotic"]}
        },
        "compile_cache": {"compile_cache": "/proc/cache"},
        "scaling.target_error": {"scaling": {"target_error": 1e-300}},
        "shallow.lr": {"shallow": {"lr": 1e308}},
        "deep.lr_decay": {"deep": {"phases": 1000, "lr_decay": 1e6}},
        "data.n_train": {"data": {"n_train": 10**8}, "regimes": {"chaotic": {"shallow_widths": [5, 10**6]}}},
        "engine": {"engine": "native", "teacher": {"depth": 100}, "min_points_per_parameter": 1e-3},
    }
    for key, overlay in reported.items():
        outcome, message = plan_outcome(overlay, None)
        assert outcome == "refused" and names_key(message, key), (key, outcome, message)


def test_cli_values_are_read_strictly():
    """--config values get the config files' strict reading: YAML 1.1 forms and repeated keys are
    refused naming the argument and key (a file's refusal names file and line, test_config)."""
    for arg, key in (
        ("seeds=[010]", "seeds"),
        ("checkpoint_every=1:30", "checkpoint_every"),
        ("checkpoint_every=010", "checkpoint_every"),
        ("shallow={steps: 5, steps: 7}", "shallow"),
        ("regimes={chaotic: {sigma: 1.0}, chaotic: {sigma: 2.0}}", "regimes"),
    ):
        outcome, message = refusal({}, arg)
        assert outcome == "refused" and f"--config {arg}" in message and f"'{key}'" in message, (arg, message)
    assert refusal({}, "shallow={lr: 1e-3, steps: 7}") == ("accepted", "")


def test_an_unreachable_target_is_a_null_width_with_a_reason():
    from depthwidth.analysis.scaling import fit_students, predicted_width

    assert predicted_width(-1.0, 0.0, 1e-6)[0] == pytest.approx(1e6)
    width, note = predicted_width(-1e-14, 0.0, 1e-30)
    assert width is None and "scaling.target_error" in note
    width, note = predicted_width(0.5, 0.0, 1e-6)
    assert width == math.inf and "does not fall" in note
    metrics = [{"sizes": [1, w, 1], "test_relative_error": 0.5, "seed": 0} for w in (1, 2)]
    fit = fit_students(metrics, 1e-30)
    assert fit["predicted_width"] is None or math.isfinite(fit["predicted_width"]) or "predicted_width_note" in fit


# --- real runs at the extreme accepted values -----------------------------------------------
#
# Three tiny runs put every key it is cheap to push to its smallest or largest accepted value
# there; the expensive maxima (widths of 10^5, 10^9 steps, 1000 phases of a depth-1000 net,
# 10^5 seeds, 2000 x 2000 phase grids) are planned by `snakemake -n` only (the last run here),
# besides the in-process planning above.

EXTREME_RUNS = {
    "smallest": """
seeds: [-2147483648]
dtype: float64
device: cpu
engine: torch
compile: false
checkpoint_every: 0
min_points_per_parameter: 1.0e-300
teacher: {n_in: 1, width: 1, depth: 2}
data: {n_train: 2, n_test: 2, standardise_targets: true}
regimes:
  a: {sigma: 1.0e-6, shallow_widths: [1, 2], deep_student: false, student_init: teacher}
shallow: {steps: 1, lr: 1.0e-30}
deep: {phases: 1, steps_per_phase: 1, lr: 1.0e-30, lr_decay: 1}
polish: {enabled: true, tolerance: 1.0e-300, max_iterations: 1, search_starts: 0, search_tolerance: 1.0e-300,
         search_warmup_steps: 0, search_max_iterations: 1}
scaling: {target_error: 1.0e-30}
expressivity: {width: 3, depth: 2, points: 3, seed: 0, regimes: [a], length_sigmas: [1.0e-3], length_points: 3,
               length_nets: 1}
theory: {sigma_min: 1.0e-3, sigma_max: 2.0e-3, points: 2, phase_sigma_w_points: 2, sigma_b_max: 1.0e-3,
         sigma_b_points: 2, simulation: {points: [[1.0e-3, 0]], width: 1, layers: 2, burn_in: 0, inputs: 1, seed: 0}}
restarts: {count: 1, students: deep}
""",
    "largest": """
seeds: [2147483647]
dtype: float32
device: cpu
compile: false
checkpoint_every: 1000000000
min_points_per_parameter: 1.0e-3
teacher: {n_in: 3, width: 3, depth: 1000}
data: {n_train: 50, n_test: 20}
regimes:
  a234567890123456789012345678901234567890123456789012345678901234:
    {sigma: 100, shallow_widths: [1, 1000], deep_student: true, student_init: teacher}
shallow: {steps: 3, lr: 10}
deep: {phases: 3, steps_per_phase: 1, lr: 10, lr_decay: 1.0e+6}
scaling: {target_error: 0.999}
expressivity: {width: 3, depth: 20, points: 5, seed: 4294967295, length_sigmas: [100], length_points: 5,
               length_nets: 2, regimes: [a234567890123456789012345678901234567890123456789012345678901234]}
theory: {sigma_min: 99, sigma_max: 100, points: 2, phase_sigma_w_points: 2, sigma_b_max: 1.0e-3, sigma_b_points: 2,
         simulation: {points: [[100, 0]], width: 2, layers: 3, burn_in: 1, inputs: 2, seed: 4294967295}}
restarts: {count: 2, students: deep}
figures: {xkcd: true}
""",
    "largest polish and phases": """
seeds: [0]
dtype: float64
device: cpu
engine: native
compile: false
min_points_per_parameter: 1.0e+6
teacher: {n_in: 1, width: 1, depth: 3}
data: {n_train: 3000001, n_test: 2}
regimes:
  b: {sigma: 1.0, shallow_widths: [1], deep_student: true}
shallow: {steps: 1, lr: 1.0e-3}
deep: {phases: 1000, steps_per_phase: 1, lr: 10, lr_decay: 1.07}
polish: {enabled: true, tolerance: 1, max_iterations: 100000, search_starts: 10000, search_tolerance: 1,
         search_warmup_steps: 0, search_max_iterations: 100000}
expressivity: {width: 3, depth: 3, points: 3, length_points: 3, length_nets: 10000, regimes: [b], length_sigmas: [1.0]}
theory: {phase_sigma_w_points: 2, sigma_b_points: 2, points: 2,
         simulation: {points: [[1.0, 0]], width: 1, layers: 10000, burn_in: 9998, inputs: 1}}
""",
}
# Maxima too costly to run, planned with `snakemake -n` (a dry run creates nothing).
EXTREME_PLAN = """
seeds: [-1, 7]
dtype: float64
device: cpu
compile: auto
min_points_per_parameter: 1.0e-300
checkpoint_every: 1000000000
teacher: {n_in: 100000, width: 100000, depth: 1000}
data: {n_train: 99000, n_test: 1000}
regimes:
  chaotic: {sigma: 2.0, shallow_widths: [1, 100000], deep_student: true}
  quasilinear: {sigma: 2.5, shallow_widths: [100000], deep_student: false}
shallow: {steps: 1000000000, lr: 10}
deep: {phases: 1000, steps_per_phase: 1000000000, lr: 10, lr_decay: 1}
polish: {enabled: false, search_warmup_steps: 10000000}
expressivity: {width: 100000, depth: 2, points: 10000, length_points: 100000, length_nets: 10000,
               regimes: [chaotic]}
theory: {points: 100000, phase_sigma_w_points: 2000, sigma_b_points: 2000, sigma_b_max: 100,
         simulation: {width: 99990, layers: 10000, burn_in: 9998, inputs: 10}}
sweep: {sigmas: [1.5, 2.0], teacher_depths: [999, 1000], budget_depths: [2, 1000], budget: 1000000000,
        shallow_widths: [100000]}
restarts: {count: 2, students: deep}
"""
# (restarts.count's maximum, 1000, is planned in-process above: Snakemake's own DAG of its ~6000
# jobs here takes minutes to build, a cost of Snakemake per job, not of this workflow's checks)


@pytest.fixture(scope="module")
def extreme_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("extremes")


@pytest.mark.parametrize("name", list(EXTREME_RUNS))
def test_a_run_at_extreme_accepted_values_completes(name, extreme_folder, workflow_repo):
    work = extreme_folder / name.replace(" ", "_")
    work.mkdir()
    (work / "extremes.yaml").write_text(EXTREME_RUNS[name])
    proc = run_snakemake(workflow_repo, work, "--configfile", "extremes.yaml", cores=2, check=False, timeout=900)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    for path in (work / "results").rglob("metrics.json"):
        errors = json.loads(path.read_text())
        for split in ("train", "test"):
            assert math.isfinite(errors[f"{split}_relative_error"]), (path, errors)


def test_the_costly_maxima_are_planned(extreme_folder, workflow_repo):
    work = extreme_folder / "plan"
    work.mkdir()
    (work / "extremes.yaml").write_text(EXTREME_PLAN)
    proc = run_snakemake(workflow_repo, work, "-n", "--configfile", "extremes.yaml", cores=2, check=False, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "Traceback" not in output and not (work / "results").exists()
