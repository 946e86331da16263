"""Checks of the workflow's config that a JSON schema cannot express.

The schema (``workflow/schemas/config.schema.yaml``) checks every key's type and range; the
rules here relate keys to each other. Both run when the Snakefile is parsed, before any job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .nets import deep_sizes, n_parameters, shallow_sizes


class ConfigError(ValueError):
    """The config is inconsistent; the message names the key."""


def check_config(config: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` for the first cross-key rule the (schema-valid) config breaks."""
    regimes = config["regimes"]
    teacher = config["teacher"]
    n_train = config["data"]["n_train"]
    floor = config["min_points_per_parameter"]

    def check_budget(key: str, sizes: list[int], what: str) -> None:
        params = n_parameters(sizes)
        if n_train / params < floor:
            raise ConfigError(
                f"{key}: {what} has {params} parameters, so data.n_train={n_train} gives "
                f"{n_train / params:.2f} training points per parameter, below "
                f"min_points_per_parameter={floor}"
            )

    for name, regime in regimes.items():
        widths = regime["shallow_widths"]
        if list(widths) != sorted(set(widths)):
            raise ConfigError(f"regimes.{name}.shallow_widths: must be strictly increasing, got {widths}")
        for width in widths:
            check_budget(
                f"regimes.{name}.shallow_widths", shallow_sizes(teacher["n_in"], width), f"the width-{width} student"
            )
        if regime["deep_student"]:
            sizes = deep_sizes(teacher["n_in"], teacher["width"], teacher["depth"])
            check_budget(f"regimes.{name}.deep_student", sizes, "the deep student")
    unknown = [r for r in config["expressivity"]["regimes"] if r not in regimes]
    if unknown:
        raise ConfigError(f"expressivity.regimes: {unknown} not among regimes {sorted(regimes)}")
