"""The package's architecture holds: layers, no import cycles, one owner of every results path.

Fast: these tests read the sources' syntax trees; nothing is imported or run.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from depthwidth.jobs.sources import _imported_names, _module_file

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "depthwidth"

# Each subpackage's layer: a module may import from its own layer or those below, never above.
LAYERS = {
    "experiment": 0,  # what the experiment is and where its files go (no torch)
    "jobs": 0,  # what a job needs: checked files, its log and threads, its code inputs
    "theory": 0,  # the mean-field theory and the phase diagram (numpy only)
    "model": 1,  # the nets, the teacher, a circle through random nets
    "training": 2,  # Adam (native and torch), checkpoints, Levenberg-Marquardt
    "analysis": 3,  # tables read back from the results
    "presentation": 4,  # figures, captions, style
}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py")


def name(path: Path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").as_posix()


def imports() -> dict[str, set[str]]:
    """Every module's package imports, function-level and relative ones included, as module names."""
    return {
        name(path): {name(m) for n in _imported_names(path) if (m := _module_file(n, PACKAGE)) not in (None, path)}
        for path in modules()
    }


def test_every_module_lives_in_a_layer():
    loose = [name(p) for p in modules() if p.parent == PACKAGE]
    assert loose == [], f"depthwidth/: move these modules into a subpackage of a layer in LAYERS: {loose}"
    unknown = sorted({p.parent.name for p in modules()} - set(LAYERS))
    assert unknown == [], f"tests/test_layout.py: give these subpackages a layer in LAYERS: {unknown}"


def test_no_module_imports_from_a_higher_layer():
    upward = [
        f"{module} imports {other}"
        for module, others in imports().items()
        for other in sorted(others)
        if LAYERS[other.split("/")[0]] > LAYERS[module.split("/")[0]]
    ]
    assert upward == []


def test_the_package_has_no_import_cycles():
    graph = imports()
    cycles: list[str] = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        for other in sorted(graph[module]):
            if other in path:
                cycles.append(" -> ".join([*path[path.index(other) :], other]))
            elif other not in done:
                visit(other, [*path, other])
        done.add(module)

    for module in graph:
        if module not in done:
            visit(module, [module])
    assert cycles == []


def test_every_package_import_names_a_module_that_exists():
    """A relative import left behind by a move (``from .native import X`` in another folder) would
    name no file: the walk would skip it, and the import would fail only when its line runs."""
    broken = []
    for path in modules():
        package = path.relative_to(REPO).parent.parts
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            parts = (
                (node.module or "").split(".")
                if node.level == 0
                else [*package[: len(package) - node.level + 1], *filter(None, (node.module or "").split("."))]
            )
            if parts[0] != "depthwidth":
                continue
            target = REPO.joinpath(*parts)
            if not (target.with_suffix(".py").is_file() or (target / "__init__.py").is_file()):
                broken.append(f"{name(path)}:{node.lineno}: {'.' * node.level}{node.module}")
    assert broken == []


def test_the_walk_sees_function_level_and_relative_imports(tmp_path):
    """The two tests above would pass vacuously if the walk missed imports inside functions."""
    sub = tmp_path / "depthwidth" / "analysis"
    sub.mkdir(parents=True)
    (tmp_path / "depthwidth" / "__init__.py").write_text('"""p"""\n')
    (sub / "__init__.py").write_text('"""a"""\n')
    (tmp_path / "depthwidth" / "training").mkdir()
    (tmp_path / "depthwidth" / "training" / "__init__.py").write_text('"""t"""\n')
    (tmp_path / "depthwidth" / "training" / "engine.py").write_text("")
    (sub / "other.py").write_text("")
    module = sub / "m.py"
    module.write_text("def f():\n    from depthwidth.training import engine\n    from . import other\n")
    found = {_module_file(n, tmp_path / "depthwidth") for n in _imported_names(module)} - {None}
    assert found == {tmp_path / "depthwidth" / "training" / "engine.py", sub / "other.py"}


@pytest.mark.parametrize(
    "init", sorted(PACKAGE.rglob("__init__.py")), ids=lambda p: p.parent.relative_to(REPO).as_posix()
)
def test_package_inits_hold_only_their_docstring(init):
    """Code inputs leave ``__init__`` files out (an edit to one reruns nothing): so they must run nothing."""
    body = ast.parse(init.read_text()).body
    code = [n for n in body[1:] if not (isinstance(n, ast.Assign) and n.targets[0].id == "__version__")]
    assert isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and code == [], init


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_each_subpackage_docstring_says_what_each_module_owns(layer):
    doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text())) or ""
    listed = set(re.findall(r"^- ``(\w+)``:", doc, re.MULTILINE))
    present = {p.stem for p in (PACKAGE / layer).glob("*.py") if p.name != "__init__.py"}
    assert listed == present, f"depthwidth/{layer}/__init__.py: list each module as '- ``name``: what it owns'"
    for path in (PACKAGE / layer).glob("*.py"):
        assert ast.get_docstring(ast.parse(path.read_text())), f"{path}: say in a docstring what the module owns"


# a results path or a student name spelt out: only depthwidth/experiment/paths.py may
SPELT = re.compile(r"""["'(]results/|f["']shallow_w\{|["']shallow_w["']""")
CODE = [*sorted(REPO.glob("depthwidth/**/*.py")), *sorted(REPO.glob("scripts/*.py"))]
CODE += [*sorted(REPO.glob("workflow/**/*.smk")), REPO / "workflow" / "Snakefile", REPO / "Snakefile"]
CODE += sorted(REPO.glob("benchmarks/*.py"))


def test_only_the_path_module_spells_a_results_path_or_a_student_name():
    offenders = [
        f"{p.relative_to(REPO)}:{i}: {line.strip()}"
        for p in CODE
        if p != PACKAGE / "experiment" / "paths.py"
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if SPELT.search(line) and not line.lstrip().startswith("#")
    ]
    assert offenders == [], "name these files through depthwidth.experiment.paths:\n" + "\n".join(offenders)


def test_the_path_check_finds_a_spelt_path():
    assert SPELT.search('    return f"results/{regime}/seed{seed}"')
    assert SPELT.search('names = [f"shallow_w{w}" for w in widths]')
    assert not SPELT.search("    return paths.student_file(name, regime, seed)")
