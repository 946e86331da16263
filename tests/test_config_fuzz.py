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
import math
import random
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


def refusal(config_overlay: dict | None, cli: str | None) -> tuple[str, str]:
    """('refused', message) or ('accepted', '') or ('traceback', repr) for one way of giving a case."""
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
        return "refused", str(err)
    except Exception as err:  # noqa: BLE001 - any other exception is what this test exists to find
        return "traceback", f"{type(err).__name__}: {err}"
    return "accepted", ""


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
