"""Bad configs fail before any job starts, with a message naming the key.

The bad inputs are generated from the schema itself: for every key a value of the wrong type,
a value out of its range (each bound, enum, pattern, uniqueness or required entry the schema
states), an empty list where a list is expected, an unknown key in every mapping and a
misspelling of every key. A key added to the schema is covered without touching this file.
All are checked by calling the validation directly; a sample goes through the snakemake CLI.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from conftest import REPO, job_counts, merged, pending_files, run_snakemake

from depthwidth.experiment.config import SCHEMA_PATH, ConfigError, check_schema, load_schema, validate

SCHEMA = load_schema()
# The study's config merged over the tutorial's, as Snakemake merges them: every schema key has a
# valid value in it.
BASE = merged(
    yaml.safe_load((REPO / "config.yaml").read_text()), yaml.safe_load((REPO / "configs" / "study.yaml").read_text())
)

WRONG_TYPE = {"integer": "7", "number": "0.5", "boolean": "yes", "string": 3, "array": "5", "object": ["x"]}
# keys that take one of several types: a value of none of them
WRONG_TYPE[("string", "boolean")] = 1.5
WRONG_TYPE[("integer", "null")] = "7"


def validate_config(config: dict) -> dict:
    """What workflow/rules/common.smk does before any job: schema, Snakemake's defaults, cross-key rules."""
    validate(config, SCHEMA_PATH)
    return config


@dataclass
class Case:
    key: str  # the key the message must name
    kind: str
    value: object = None
    expect: tuple[str, ...] = ()  # further words the message must hold
    path: tuple = ()  # where to set value; () means apply `edit`
    edit: object = None
    id: str = field(default="")

    def apply(self, config: dict) -> dict:
        config = copy.deepcopy(config)
        if self.edit is not None:
            self.edit(config)
        else:
            parent = config
            for part in self.path[:-1]:
                parent = parent.setdefault(part, {})
            parent[self.path[-1]] = self.value
        return config


def get(config: dict, path: tuple):
    for part in path:
        config = config[part]
    return config


def schema_keys(schema: dict, path: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """(path, subschema) of every key; a mapping of named entries (like regimes) is entered
    through the base config's first entry (``regimes.chaotic``)."""
    for name, sub in schema.get("properties", {}).items():
        yield (*path, name), sub
        if sub.get("type") == "object":
            yield from schema_keys(sub, (*path, name))
            entry_schema = sub.get("additionalProperties")
            if isinstance(entry_schema, dict):
                entry = (*path, name, next(iter(get(BASE, (*path, name)))))
                yield entry, entry_schema
                yield from schema_keys(entry_schema, entry)


def dotted(path: tuple) -> str:
    return ".".join(map(str, path))


def misspell(name: str, taken: set[str]) -> str:
    """Drop a middle letter (``shallow`` -> ``shalow``), or swap two if that collides."""
    i = len(name) // 2
    for candidate in (
        name[:i] + name[i + 1 :],
        name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :] if i else name + "s",
    ):
        if candidate and candidate not in taken and candidate != name:
            return candidate
    raise AssertionError(f"cannot misspell {name!r}")


def rename_key(path: tuple, new: str):
    def edit(config):
        parent = config
        for part in path[:-1]:
            parent = parent.setdefault(part, {})
        parent[new] = parent.pop(path[-1], 1)  # a key the base config leaves out: any value

    return edit


def out_of_range_cases(path: tuple, sub: dict) -> Iterator[Case]:
    key = dotted(path)
    if "minimum" in sub:
        yield Case(key, "below minimum", sub["minimum"] - 1, ("minimum",), path)
    if "exclusiveMinimum" in sub:
        yield Case(key, "at exclusive minimum", sub["exclusiveMinimum"], ("minimum",), path)
    if "maximum" in sub:
        yield Case(key, "above maximum", sub["maximum"] + 1, ("maximum",), path)
    if "exclusiveMaximum" in sub:
        yield Case(key, "at exclusive maximum", sub["exclusiveMaximum"], ("maximum",), path)
    if "enum" in sub:
        yield Case(key, "not in enum", "no_such_choice", ("is not one of",), path)
    if sub.get("uniqueItems"):
        try:
            first = get(BASE, path)[0]
        except (KeyError, IndexError):  # a list empty or absent in the base config: a valid item
            first = sub["items"].get("minimum", 1)
        yield Case(key, "repeated item", [first, first], ("non-unique",), path)
    items = sub.get("items", {})
    if "minimum" in items:
        yield Case(f"{key}[0]", "item below minimum", [items["minimum"] - 1], ("minimum",), path)
    if "maximum" in items:
        yield Case(f"{key}[0]", "item above maximum", [items["maximum"] + 1], ("maximum",), path)
    if "type" in items:
        yield Case(f"{key}[0]", "item of wrong type", [WRONG_TYPE[items["type"]]], ("is not of type",), path)
    if "minProperties" in sub:
        yield Case(key, "empty mapping", {}, ("non-empty",), path)
    if "pattern" in sub.get("propertyNames", {}):
        bad = "2 bad-name"

        def add_badly_named(config, path=path, bad=bad):
            entries = get(config, path)
            entries[bad] = copy.deepcopy(next(iter(entries.values())))

        yield Case(f"{key}.{bad}", "badly named entry", expect=("does not match",), edit=add_badly_named)
    for required in sub.get("required", []):

        def drop(config, path=path, required=required):
            del get(config, path)[required]

        yield Case(f"{key}.{required}", "required key missing", expect=("missing",), edit=drop)


def generate_cases() -> list[Case]:
    cases = []
    for path, sub in schema_keys(SCHEMA):
        key, kind = dotted(path), sub.get("type")
        kind = tuple(kind) if isinstance(kind, list) else kind
        expect = ("is not of type",) + ((f"'{kind}'",) if isinstance(kind, str) else tuple(f"'{k}'" for k in kind))
        cases.append(Case(key, "wrong type", WRONG_TYPE[kind], expect, path))
        if kind == "integer":
            cases.append(Case(key, "fractional", 2.5, ("is not of type 'integer'",), path))
        if kind == "array" and sub.get("minItems", 0) >= 1:  # sweep lists may be empty: no sweep
            cases.append(Case(key, "empty list", [], ("should be non-empty",), path))
        cases.extend(out_of_range_cases(path, sub))
    # unknown and misspelt keys, in every mapping that lists its keys (the root included)
    mappings = [((), SCHEMA)] + [(p, s) for p, s in schema_keys(SCHEMA) if s.get("additionalProperties") is False]
    for path, sub in mappings:
        names = set(sub["properties"])
        cases.append(Case(dotted((*path, "colour")), "unknown key", 1, ("unknown key",), (*path, "colour")))
        for name in sorted(names):
            wrong = misspell(name, names)
            cases.append(
                Case(
                    dotted((*path, wrong)),
                    "misspelt key",
                    expect=("unknown key", f"did you mean '{name}'?"),
                    edit=rename_key((*path, name), wrong),
                )
            )
    for case in cases:
        case.id = f"{case.key}:{case.kind}"
    return cases


CASES = generate_cases()
KEYS = [dotted(p) for p, _ in schema_keys(SCHEMA)]


def test_cases_cover_every_schema_key():
    """Every key gets a wrong type; arrays an empty list; bounded keys an out-of-range value."""
    by_kind = {}
    for case in CASES:
        by_kind.setdefault(case.kind, set()).add(case.key.split("[")[0])
    assert by_kind["wrong type"] == set(KEYS)
    arrays = {dotted(p) for p, s in schema_keys(SCHEMA) if s.get("type") == "array" and s.get("minItems")}
    assert (
        by_kind["empty list"]
        == arrays
        == {
            "seeds",
            "regimes.chaotic.shallow_widths",
            "expressivity.regimes",
            "expressivity.length_sigmas",
            "sweep.shallow_widths",
            "theory.simulation.points",
        }
    )
    bounded = {
        dotted(p)
        for p, s in schema_keys(SCHEMA)
        if {"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "enum"} & set(s)
    }
    assert bounded <= by_kind["below minimum"] | by_kind["at exclusive minimum"] | by_kind["not in enum"]
    assert len(by_kind["misspelt key"]) == len(KEYS) - 1  # all but the regime's own name (it is free)
    # 79 keys today; a new key adds its cases by itself, and this count reminds to look at them.
    assert len(KEYS) == 79
    assert len(CASES) == 326


def test_every_number_has_a_maximum():
    """A size or scale of 10^9 is refused before the plan allocates or loops over it: every numeric
    key, and every list of numbers, has a maximum (the schema's descriptions say why each)."""

    def numeric(schema):
        kind = schema.get("type")
        kinds = set(kind) if isinstance(kind, list) else {kind}
        return bool(kinds & {"integer", "number"})

    unbounded = []
    for path, sub in schema_keys(SCHEMA):
        items = sub.get("items", {})
        while items.get("type") == "array":  # theory.simulation.points: pairs of numbers
            items = items.get("items", {})
        for where, schema in ((dotted(path), sub), (dotted(path) + "[]", items)):
            if numeric(schema) and "maximum" not in schema and "exclusiveMaximum" not in schema:
                unbounded.append(where)
    assert unbounded == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value_is_rejected_naming_the_key(case):
    bad = case.apply(BASE)
    with pytest.raises(ConfigError) as err:
        validate_config(bad)
    message = str(err.value)
    assert f"config key '{case.key}" in message, message
    for words in case.expect:
        assert words in message, message


def test_messages_are_one_line_per_key_and_readable():
    bad = copy.deepcopy(BASE)
    bad["regimes"]["chaotic"]["sigma"] = -1
    bad["shalow"] = {"steps": 3}
    with pytest.raises(ConfigError) as err:
        check_schema(bad, SCHEMA)
    assert str(err.value).splitlines() == [
        "config key 'regimes.chaotic.sigma': -1 is less than the minimum of 1e-06",
        "config key 'shalow': unknown key; did you mean 'shallow'?",
    ]


@pytest.mark.parametrize("name", ["config.yaml", "tests/smoke.yaml"])
def test_shipped_configs_are_valid(name):
    validate_config(yaml.safe_load((REPO / name).read_text()))


def test_defaults_fill_a_minimal_config():
    config = validate_config({"regimes": {"chaotic": {"sigma": 2.0}}, "expressivity": {"regimes": ["chaotic"]}})
    assert config["shallow"] == {"steps": 20000, "lr": 1.0e-3}
    assert config["regimes"]["chaotic"]["shallow_widths"] == [5, 15, 45, 135]
    assert config["checkpoint_every"] == 10000


def test_every_key_is_described_with_a_valid_default():
    for path, sub in schema_keys(SCHEMA):
        key = dotted(path)
        assert sub.get("description"), f"{key} has no description"
        parent = get_schema_parent(path)
        if path[-1] not in parent.get("required", []) and key != "regimes.chaotic":
            assert "default" in sub, f"{key} has no default"
            check_schema(sub["default"], {**sub})  # the default satisfies its own rules


def get_schema_parent(path: tuple) -> dict:
    for p, s in schema_keys(SCHEMA):
        if p == path[:-1]:
            return s
    return SCHEMA


CROSS_KEY = {
    "burn-in past the layers": (
        {"theory": {"simulation": {"layers": 6, "burn_in": 5}}},
        "config key 'theory.simulation.burn_in': 5 leaves fewer than two of theory.simulation.layers=6 measured",
    ),
    "widths unsorted": (
        {"regimes": {"chaotic": {"shallow_widths": [15, 5]}}},
        "config key 'regimes.chaotic.shallow_widths': must be strictly increasing",
    ),
    "widths repeated": (
        {"regimes": {"chaotic": {"shallow_widths": [5, 5, 15]}}},
        "config key 'regimes.chaotic.shallow_widths': must be strictly increasing",
    ),
    "too few points for a wide student": (
        {"data": {"n_train": 500}},
        "config key 'regimes.chaotic.shallow_widths': the width-45 student has 270 "
        "parameters, so data.n_train=500 gives 1.85 training points per parameter",
    ),
    "too few points for the deep student": (
        {"teacher": {"width": 40}, "regimes": {"chaotic": {"shallow_widths": [5]}}},
        "config key 'regimes.chaotic.deep_student': the deep student has",
    ),
    "points floor raised": (
        {"min_points_per_parameter": 1000},
        "config key 'regimes.chaotic.shallow_widths': the width-5 student has 30 parameters, so "
        "data.n_train=4000 gives 133.33 training points per parameter, below "
        "min_points_per_parameter=1000",
    ),
    "expressivity regime not configured": (
        {"expressivity": {"regimes": ["chaotic", "choatic"]}},
        "config key 'expressivity.regimes': ['choatic'] not among the configured regimes ['chaotic', 'quasilinear']",
    ),
}


# The probe's findings on tests/smoke.yaml, each now refused before any job, naming the key.
SMOKE = yaml.safe_load((REPO / "tests" / "smoke.yaml").read_text())
PROBE = {
    "integer key given 5.0": (
        {"teacher": {"depth": 5.0}},
        "config key 'teacher.depth': 5.0 is not of type 'integer' (write 5, without a decimal point)",
    ),
    "integer width 5.0": ({"teacher": {"width": 5.0}}, "config key 'teacher.width': 5.0 is not of type 'integer'"),
    "seed 7.0": ({"seeds": [-1, 7.0]}, "config key 'seeds[1]': 7.0 is not of type 'integer'"),
    "seed beyond 32 bits": (
        {"seeds": [10**30]},
        "config key 'seeds[0]': 1000000000000000000000000000000 is greater than the maximum of 2147483647",
    ),
    "seed aliasing -1 in torch": (
        {"seeds": [-1, 2**63 - 1]},
        "config key 'seeds[1]': 9223372036854775807 is greater than the maximum of 2147483647",
    ),
    "seed below 32 bits": ({"seeds": [-(2**31) - 1]}, "config key 'seeds[0]': -2147483649 is less than the minimum"),
    "NaN learning rate": ({"shallow": {"lr": float("nan")}}, "config key 'shallow.lr': nan is not a finite number"),
    "inf sigma_max": (
        {"theory": {"sigma_max": float("inf")}},
        "config key 'theory.sigma_max': inf is not a finite number",
    ),
    "NaN points floor": (
        {"min_points_per_parameter": float("nan")},
        "config key 'min_points_per_parameter': nan is not a finite number",
    ),
    "NaN sweep sigma": (
        {"sweep": {"sigmas": [float("nan")]}},
        "config key 'sweep.sigmas[0]': nan is not a finite number",
    ),
    "-inf sigma": (
        {"regimes": {"chaotic": {"sigma": float("-inf")}}},
        "config key 'regimes.chaotic.sigma': -inf is not a finite number",
    ),
    "quoted integer": (
        {"shallow": {"steps": "50"}},
        "config key 'shallow.steps': '50' is not of type 'integer' (a quoted value is a string: write 50",
    ),
    "deep student of depth 2": (
        {"teacher": {"depth": 2}},
        "config key 'teacher.depth': 2 makes the deep student a net of one hidden layer of width 5, "
        "the same net as shallow_w5",
    ),
    "theory grid upside down": (
        {"theory": {"sigma_min": 3.0, "sigma_max": 1.0}},
        "config key 'theory.sigma_min': 3.0 is not below theory.sigma_max=1.0",
    ),
    "expressivity depth 1": (
        {"expressivity": {"depth": 1}},
        "config key 'expressivity.depth': 1 is less than the minimum of 2",
    ),
    "expressivity seed beyond numpy": (
        {"expressivity": {"seed": 2**32}},
        "config key 'expressivity.seed': 4294967296 is greater than the maximum of 4294967295",
    ),
    # width 5: 30 weights; 90 training points give exactly 3.0 per weight, which the tutorial's
    # assert N_train > 3 * P refuses
    "exactly 3 points per weight": (
        {"data": {"n_train": 90}, "regimes": {"chaotic": {"shallow_widths": [5], "deep_student": False}}, "deep": {}},
        "config key 'regimes.chaotic.shallow_widths': the width-5 student has 30 parameters, "
        "so data.n_train=90 gives 3.00 training points per parameter, only equal to "
        "min_points_per_parameter=3 (it must exceed it)",
    ),
    "expressivity regime misspelt": (
        {"expressivity": {"regimes": ["chaotc"]}},
        "config key 'expressivity.regimes': ['chaotc'] not among the configured regimes "
        "['chaotic', 'quasilinear']; did you mean 'chaotic'?",
    ),
    "new regime without sigma, misspelt": (
        {"regimes": {"chaotc": {"shallow_widths": [5]}}},
        "config key 'regimes.chaotc.sigma': missing, and it has no default; did you mean 'chaotic'?",
    ),
}


@pytest.mark.parametrize("name", PROBE)
def test_probe_findings_are_refused_naming_the_key(name):
    overlay, message = PROBE[name]
    with pytest.raises(ConfigError) as err:
        validate_config(merged(SMOKE, overlay))
    assert message in str(err.value)


def test_points_per_parameter_just_above_the_floor_pass():
    config = merged(SMOKE, {"data": {"n_train": 91}, "expressivity": {"regimes": ["chaotic"]}})
    config["regimes"] = {"chaotic": {"sigma": 2.0, "shallow_widths": [5], "deep_student": False}}
    validate_config(config)
    config["data"]["n_train"] = 90
    with pytest.raises(ConfigError, match="gives 3.00 training points per parameter, only equal to"):
        validate_config(config)


def test_a_regime_named_like_another_warns():
    config = merged(SMOKE, {"regimes": {"chaotc": {"sigma": 2.0, "shallow_widths": [5], "deep_student": False}}})
    warnings = validate(config)
    assert warnings == [
        "config keys 'regimes.chaotc' and 'regimes.chaotic': two regimes whose names are a letter or "
        "two apart (a misspelling? did you mean one of them?); both are trained, each under its own name"
    ]
    # names that differ in digits, or by a suffix, are how related regimes are named: no warning
    assert (
        validate(
            merged(
                SMOKE,
                {
                    "regimes": {
                        "chaotic2": {"sigma": 2.5, "shallow_widths": [5]},
                        "chaotic_wide": {"sigma": 2.0, "shallow_widths": [5]},
                    }
                },
            )
        )
        == []
    )


def test_cuda_is_refused_where_torch_sees_no_gpu(monkeypatch):
    import torch

    from depthwidth.experiment.config import check_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="^config key 'device': cuda, but torch .* sees no GPU on this machine"):
        validate(merged(SMOKE, {"device": "cuda"}), check_cuda=True)
    validate(merged(SMOKE, {"device": "cuda"}), check_cuda=False)  # a cluster run: the job's node decides
    check_device(merged(SMOKE, {"device": "cpu"}))  # no torch import needed, nothing to refuse


# --config key=value: Snakemake 9.27 parses a value with int, float, True/False, then YAML's
# BaseLoader, which keeps scalars strings; validate re-reads the values as YAML.
CLI_GOOD = {
    "list of seeds": (["seeds=[-1,7]"], {"seeds": [-1, 7]}),
    "nested mapping": (["shallow={steps: 50, lr: 0.01}"], {"shallow": {"steps": 50, "lr": 0.01}}),
    "one nested key, the rest kept": (["deep={phases: 3}"], {"deep": {"phases": 3, "steps_per_phase": 150}}),
    "boolean": (["figures={xkcd: true}"], {"figures": {"xkcd": True}}),
    "a regime": (
        ["regimes={chaotic: {sigma: 3, shallow_widths: [5, 15]}}"],
        {
            "regimes": {
                "chaotic": {"sigma": 3, "shallow_widths": [5, 15], "deep_student": True, "student_init": "default"}
            }
        },
    ),
    "a string that YAML would make a boolean": (["compile_cache=on"], {"compile_cache": "on"}),
    "plain scalars": (
        ["device=cpu", "dtype=float32", "checkpoint_every=0"],
        {"device": "cpu", "dtype": "float32", "checkpoint_every": 0},
    ),
}


@pytest.mark.parametrize("name", CLI_GOOD)
def test_config_arguments_are_read_as_typed(name):
    from depthwidth.experiment.config import cli_config

    args, expect = CLI_GOOD[name]
    config = cli_config(copy.deepcopy(SMOKE), args)
    validate(config, cli_args=args)
    for key, value in expect.items():
        if isinstance(value, dict):
            assert {k: config[key][k] for k in value} == value
        else:
            assert config[key] == value


def test_every_default_passes_through_config_arguments():
    """Each key of config.yaml given back as ``--config key=<its YAML>`` validates to the same config."""
    from depthwidth.experiment.config import cli_config

    base = yaml.safe_load((REPO / "config.yaml").read_text())
    want = validate_config(copy.deepcopy(base))
    for key, value in base.items():
        args = [f"{key}={yaml.safe_dump(value, default_flow_style=True).strip()}"]
        config = cli_config(copy.deepcopy(base), args)
        validate(config, cli_args=args)
        assert config == want, key


@pytest.mark.parametrize("name", CROSS_KEY)
def test_cross_key_rules(name):
    overlay, message = CROSS_KEY[name]
    with pytest.raises(ConfigError, match="^" + re.escape(message)):
        validate_config(merged(BASE, overlay))


# --- through the snakemake CLI: fails at parse time, before any job, results/ untouched ----------

CLI_CASES = {
    "out of range, nested": (
        {"regimes": {"chaotic": {"sigma": -1}}},
        "config key 'regimes.chaotic.sigma': -1 is less than the minimum of 1e-06",
    ),
    "wrong type": ({"seeds": "7"}, "config key 'seeds': '7' is not of type 'array'"),
    "empty list": ({"expressivity": {"regimes": []}}, "config key 'expressivity.regimes': [] should be non-empty"),
    "misspelt nested key": (
        {"shallow": {"setps": 100}},
        "config key 'shallow.setps': unknown key; did you mean 'steps'?",
    ),
    "cross-key: widths": ({"regimes": {"chaotic": {"shallow_widths": [15, 5]}}}, CROSS_KEY["widths unsorted"][1]),
}


@pytest.fixture(scope="module")
def cli_workdir(tmp_path_factory, workflow_repo) -> Path:
    """A folder with config.yaml and a finished-looking results/ that a failed start must not touch."""
    workdir = tmp_path_factory.mktemp("cli")
    (workdir / "config.yaml").write_text((REPO / "config.yaml").read_text())
    (workdir / "results").mkdir()
    (workdir / "results" / "summary.tsv").write_text("regime\tseed\nchaotic\t-1\n")
    return workdir


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", CLI_CASES)
def test_snakemake_refuses_bad_config_before_any_job(name, cli_workdir, workflow_repo):
    overlay, message = CLI_CASES[name]
    configfile = cli_workdir / "bad.yaml"
    configfile.write_text(yaml.safe_dump(overlay))
    before = snapshot(cli_workdir / "results")
    proc = run_snakemake(workflow_repo, cli_workdir, "--configfile", str(configfile), cores=1, check=False)
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert message in output, output
    assert "invalid config" in output
    assert "rule " not in output.split("invalid config")[0]  # no job was scheduled before the error
    assert snapshot(cli_workdir / "results") == before
    assert not (cli_workdir / ".snakemake" / "incomplete").exists() or not any(
        (cli_workdir / ".snakemake" / "incomplete").iterdir()
    )


CLI_ARGS = {
    "NaN through --config": (["shallow={lr: .nan}"], "config key 'shallow.lr': nan is not a finite number"),
    "a fractional seed through --config": (["seeds=[-1, 7.0]"], "config key 'seeds[1]': 7.0 is not of type 'integer'"),
}


@pytest.mark.parametrize("name", CLI_ARGS)
def test_snakemake_refuses_bad_config_arguments(name, cli_workdir, workflow_repo):
    args, message = CLI_ARGS[name]
    proc = run_snakemake(workflow_repo, cli_workdir, "-n", "--config", *args, cores=1, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert message in output, output
    assert "Traceback" not in output


def test_snakemake_takes_lists_and_nested_keys_in_config_arguments(cli_workdir, workflow_repo):
    """The forms a user types: a list, and a nested mapping that changes some keys of a section."""
    proc = run_snakemake(
        workflow_repo,
        cli_workdir,
        "-n",
        "--config",
        "seeds=[-1,7]",
        "shallow={steps: 50, lr: 0.01}",
        "regimes={quasilinear: {shallow_widths: [10, 20]}}",
        cores=1,
    )
    output = proc.stdout + proc.stderr
    assert "invalid config" not in output
    # config.yaml: chaotic 5, 15, 45, 135, deep; quasilinear 10, 20: one job each, for both seeds
    assert job_counts(proc.stdout)["student"] == 7
    assert job_counts(proc.stdout)["teacher"] == 2
    summary = run_snakemake(workflow_repo, cli_workdir, "--summary", "--config", "seeds=[-1,7]", cores=1)
    assert "results/chaotic/seed7/shallow_w5/metrics.json" in pending_files(summary.stdout)


def test_cuda_without_a_gpu_is_refused_before_the_first_job(cli_workdir, workflow_repo):
    """Checked when the run starts (the executor is known then: a cluster's jobs check on their node)."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    target = "results/quasilinear/seed-1/data.npz"
    proc = run_snakemake(workflow_repo, cli_workdir, target, "--config", "device=cuda", cores=1, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "config key 'device': cuda, but torch" in output and "sees no GPU on this machine" in output
    assert "Traceback" not in output
    assert not (cli_workdir / target).exists()


def test_the_same_folder_accepts_the_good_config(cli_workdir, workflow_repo):
    """Without the bad overlay the same start gets past validation, so the failures above are the values'."""
    proc = run_snakemake(workflow_repo, cli_workdir, "-n", cores=1)
    assert "invalid config" not in proc.stdout + proc.stderr
    assert (
        job_counts(proc.stdout)["student"] == 6
    )  # config.yaml: chaotic widths 5, 15, 45, 135 and deep; quasilinear 10


# Config files as text, read strictly (depthwidth.experiment.config.read_file): what YAML 1.1 (Snakemake's
# reader) and 1.2 read differently, repeated keys, and malformed files, each refused naming the
# file and line; YAML 1.2 numbers accepted.
STRICT_FILES = {
    "duplicate key": ("seeds: [-1, 7]\nn: 1\nseeds: [3]\n", ":3: duplicate key 'seeds' (first at line 1)"),
    "nested duplicate": ("shallow:\n  lr: 0.001\n  lr: 0.01\n", ":3: duplicate key 'lr' (first at line 2)"),
    "octal seed": ("seeds: [010]\n", ":1: '010' is ambiguous: a leading zero"),
    "sexagesimal": ("shallow: {steps: 1:30}\n", ":1: '1:30' is ambiguous"),
    "underscored": ("shallow: {steps: 20_000}\n", ":1: '20_000' is ambiguous"),
    "yes as a boolean": ("compile: yes\n", ":1: 'yes' is ambiguous: a boolean in YAML 1.1, a string in YAML 1.2"),
    "tab indentation": ("data:\n\tn_train: 10\n", ":2:1: not valid YAML: found character '\\t'"),
    "unclosed list": ("seeds: [1, 2\n", ": not valid YAML: expected ',' or ']'"),
    "empty": ("", ": empty; a config file is a mapping of keys"),
    "a list": ("- seeds\n", ": a list at the top level; expected a mapping of keys"),
}


@pytest.mark.parametrize("name", STRICT_FILES)
def test_config_files_are_read_strictly(name, tmp_path):
    from depthwidth.experiment.config import read_file

    text, message = STRICT_FILES[name]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        read_file(path)
    assert str(path) in str(err.value) and message in str(err.value), str(err.value)


def test_yaml_1_2_numbers_are_numbers(tmp_path):
    from depthwidth.experiment.config import read_file

    path = tmp_path / "ok.yaml"
    path.write_text("shallow: {lr: 1e-3, steps: 20000}\ndeep: {lr: 3.0E-3}\nseeds: [-1, 0, +7, '010']\nhex: 0x1F\n")
    assert read_file(path) == {
        "shallow": {"lr": 0.001, "steps": 20000},
        "deep": {"lr": 0.003},
        "seeds": [-1, 0, 7, "010"],
        "hex": 31,
    }


@pytest.mark.parametrize("name", ["duplicate key", "octal seed"])
def test_snakemake_refuses_an_ambiguous_config_file_naming_file_and_line(name, cli_workdir, workflow_repo):
    text, message = STRICT_FILES[name]
    configfile = cli_workdir / "strict.yaml"
    configfile.write_text(text)
    proc = run_snakemake(workflow_repo, cli_workdir, "-n", "--configfile", str(configfile), cores=1, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0 and f"invalid config file:\n{configfile}{message}" in output, output


def test_snakemake_reads_1e_minus_3_as_a_learning_rate(cli_workdir, workflow_repo):
    configfile = cli_workdir / "sci.yaml"
    configfile.write_text("shallow: {lr: 1e-3}\n")
    proc = run_snakemake(workflow_repo, cli_workdir, "-n", "--configfile", str(configfile), cores=1)
    assert "invalid config" not in proc.stdout + proc.stderr
