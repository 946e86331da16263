"""The package's source files that a workflow script runs: its rule's code inputs.

Found by following the script's imports of ``depthwidth`` modules, and those modules' imports in
turn, through their syntax trees (nothing is imported or run), so a rule's code inputs cannot
drift from what its script imports. Imports inside functions count too: a module a script may
run is a module whose edit may change its outputs. A module's non-Python sources live in a folder
of its own name beside it (``native.py`` builds ``native/train.c``): they count with the module.
"""

from __future__ import annotations

import ast
import functools
import os
from pathlib import Path

PACKAGE = "depthwidth"


def _imported_names(path: Path) -> frozenset[str]:
    """Dotted names of the package's modules (or candidates: ``from depthwidth import x``) that ``path`` imports."""
    stat = path.stat()
    return _parsed_imports(path, stat.st_mtime_ns, stat.st_size)


@functools.cache
def _parsed_imports(path: Path, mtime_ns: int, size: int) -> frozenset[str]:
    # every rule's code() walks the same modules: parse each once per process (per version of it)
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _package_of(path)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            elif package and node.level <= len(package):  # relative: from . / .. of the module's package
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                continue
            if base.split(".")[0] != PACKAGE:
                continue
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}  # from depthwidth.training import engine
    return frozenset(names)


def _package_of(path: Path) -> list[str]:
    """The dotted package ``path`` lies in (``["depthwidth", "training"]``), or [] outside the package."""
    parts: list[str] = []
    folder = path.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    return parts if parts[:1] == [PACKAGE] else []


def _module_file(name: str, package_dir: Path) -> Path | None:
    """The file of a dotted module name inside the package, or None (a name defined in a module)."""
    parts = name.split(".")[1:]
    if not parts:
        return None  # the package's __init__ holds a docstring and a version, nothing a job runs
    candidate = package_dir.joinpath(*parts).with_suffix(".py")
    return candidate if candidate.is_file() else None


def script_sources(script: str | os.PathLike, package_dir: str | os.PathLike) -> list[Path]:
    """Every module of the package at ``package_dir`` that ``script`` imports, directly or not, sorted."""
    package_dir = Path(package_dir)
    found: set[Path] = set()
    todo = [Path(script)]
    while todo:
        for name in _imported_names(todo.pop()):
            path = _module_file(name, package_dir)
            if path is not None and path not in found:
                found.add(path)
                todo.append(path)
                found |= _companion_files(path)
    return sorted(found)


def _companion_files(module: Path) -> set[Path]:
    """The files of the folder named like ``module`` (its non-Python sources), if there is one."""
    folder = module.with_suffix("")
    if not folder.is_dir() or (folder / "__init__.py").exists():
        return set()
    return {p for p in folder.iterdir() if p.is_file() and p.suffix not in (".pyc", ".so")}


def code_inputs(script: str | os.PathLike, package_dir: str | os.PathLike, start: str | os.PathLike = ".") -> list[str]:
    """The script itself and its ``script_sources``, as paths relative to ``start`` (the working
    directory), so that a clone moved with its results, whose paths all move together, stays up to
    date. As inputs their content counts, not their times: a fresh clone, whose files are all new,
    reruns nothing (the default profile leaves out Snakemake's trigger on a script's time)."""
    return [os.path.relpath(path, start) for path in [Path(script), *script_sources(script, package_dir)]]
