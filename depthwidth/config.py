"""Checking the workflow's config before any job runs, with errors that name the key.

Two layers, both run when the Snakefile is parsed (``workflow/rules/common.smk``):

- :func:`check_schema` validates the config against ``workflow/schemas/config.schema.yaml``
  (types, ranges, unknown or misspelt keys) and reports every problem as
  ``config key 'regimes.chaotic.sigma': -1 is less than or equal to the minimum of 0``;
  Snakemake's own ``validate`` then fills in the defaults.
- :func:`check_config` relates keys to each other, which a JSON schema cannot express:
  widths strictly increasing, enough training points per parameter, the expressivity
  regimes among the configured ones.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError

from .sizes import deep_sizes, n_parameters, shallow_sizes

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """The config is invalid or inconsistent; the message names the key."""


def load_schema(path: str | os.PathLike = SCHEMA_PATH) -> dict[str, Any]:
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
    return [f"{where}: {error.message}"]


def schema_errors(config: Any, schema: Mapping[str, Any]) -> list[str]:
    """Every schema violation of ``config``, one line each, sorted by key."""
    validator = Draft202012Validator(schema)
    return sorted({line for error in validator.iter_errors(config) for line in _describe(error)})


def check_schema(config: Any, schema: Mapping[str, Any] | str | os.PathLike = SCHEMA_PATH) -> None:
    """Raise :class:`ConfigError` listing every key of ``config`` that the schema rejects."""
    if not isinstance(schema, Mapping):
        schema = load_schema(schema)
    problems = schema_errors(config, schema)
    if problems:
        raise ConfigError("\n".join(problems))


def check_config(config: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` for the first cross-key rule the (schema-valid, defaults filled) config breaks."""
    regimes = config["regimes"]
    teacher = config["teacher"]
    n_train = config["data"]["n_train"]
    floor = config["min_points_per_parameter"]

    def check_budget(key: str, sizes: list[int], what: str) -> None:
        params = n_parameters(sizes)
        if n_train / params < floor:
            raise ConfigError(
                f"config key '{key}': {what} has {params} parameters, so data.n_train={n_train} gives "
                f"{n_train / params:.2f} training points per parameter, below "
                f"min_points_per_parameter={floor}"
            )

    for name, regime in regimes.items():
        widths = regime["shallow_widths"]
        if list(widths) != sorted(set(widths)):
            raise ConfigError(
                f"config key 'regimes.{name}.shallow_widths': must be strictly increasing "
                f"(sorted, no repeats), got {widths}"
            )
        for width in widths:
            check_budget(
                f"regimes.{name}.shallow_widths", shallow_sizes(teacher["n_in"], width), f"the width-{width} student"
            )
        if regime["deep_student"]:
            sizes = deep_sizes(teacher["n_in"], teacher["width"], teacher["depth"])
            check_budget(f"regimes.{name}.deep_student", sizes, "the deep student")
    unknown = [r for r in config["expressivity"]["regimes"] if r not in regimes]
    if unknown:
        raise ConfigError(
            f"config key 'expressivity.regimes': {unknown} not among the configured regimes {sorted(regimes)}"
        )


def merged(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Snakemake's ``--configfile`` merge: mappings merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in overlay.items():
        both = isinstance(value, Mapping) and isinstance(out.get(key), Mapping)
        out[key] = merged(out[key], value) if both else value
    return out


def load(*paths: str | os.PathLike) -> dict[str, Any]:
    """The config the workflow sees for ``--configfile``s ``paths`` (``config.yaml`` first): merged,
    checked, with the schema's defaults filled in. For programs beside the workflow (the benchmark)."""
    from snakemake.utils import validate

    config: dict[str, Any] = {}
    for path in paths:
        with open(path) as fh:
            config = merged(config, yaml.safe_load(fh) or {})
    check_schema(config)
    validate(config, str(SCHEMA_PATH), set_default=True)
    check_config(config)
    return config
