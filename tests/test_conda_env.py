"""envs/depthwidth.yaml, the rules' conda environment, pins what pyproject.toml pins.

No conda is needed: the file is read as YAML and each pin compared with pyproject's requirement
(``==`` pins must match exactly; ranges must contain the conda version).
"""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
# conda-forge names of the PyPI packages (the -base variants leave out optional extras: Qt, statsmodels)
CONDA_NAMES = {"torch": "pytorch", "matplotlib": "matplotlib-base", "seaborn": "seaborn-base"}
# run by the host's Snakemake, not inside the rules' environment
NOT_IN_ENV = {"snakemake"}


def _env() -> dict:
    return yaml.safe_load((REPO / "envs" / "depthwidth.yaml").read_text())


def _conda_pins() -> dict[str, str | None]:
    pins = {}
    for dep in _env()["dependencies"]:
        assert isinstance(dep, str), f"no pip section (the package comes from the checkout): {dep}"
        name, _, version = dep.partition("=")
        pins[name] = version.lstrip("=") or None
    return pins


def test_conda_forge_only_and_no_editable_install():
    env = _env()
    assert env["channels"] == ["conda-forge", "nodefaults"]
    assert "pip" not in _conda_pins() and "-e" not in (REPO / "envs" / "depthwidth.yaml").read_text()


def test_every_dependency_is_pinned_as_in_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = _conda_pins()
    python = Version(pins["python"])
    assert python in Requirement(f"python{project['requires-python']}").specifier
    for line in project["dependencies"]:
        req = Requirement(line)
        if req.name in NOT_IN_ENV:
            continue
        conda = CONDA_NAMES.get(req.name, req.name)
        assert conda in pins, f"{req.name} ({conda}) is missing from envs/depthwidth.yaml"
        version = pins[conda]
        assert version, f"{conda} has no version in envs/depthwidth.yaml"
        exact = [s.version for s in req.specifier if s.operator == "=="]
        if exact:
            assert version == exact[0], f"{conda}={version}, pyproject pins {req}"
        else:
            # a conda pin "2.4" means 2.4.*: its first release must lie in pyproject's range
            assert Version(version) in req.specifier, f"{conda}={version} is outside pyproject's {req}"
        assert re.fullmatch(r"[0-9][0-9.]*", version), f"{conda}={version}: one version, not a range"


def test_every_rule_uses_it():
    rules = "\n".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    n_rules = len(re.findall(r"(?m)^rule \w+:", rules))
    assert rules.count('conda:\n        "../../envs/depthwidth.yaml"') == n_rules
