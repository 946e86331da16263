"""The README and docs/*.md in step with the code: commands, links, layout, config keys, requests.

Fast: these tests only read files; no workflow runs. Each failure message says what to update.
"""

from __future__ import annotations

import ast
import itertools
import os
import re
import shlex
import unicodedata
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
DOCS = REPO / "docs"
DOC_PAGES = sorted(p for p in DOCS.glob("*.md") if p.name != "README.md")
MARKDOWN = [README, DOCS / "README.md", *DOC_PAGES, REPO / "config" / "README.md"]
MAX_README_LINES = 200

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(\s*([^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)
REPO_PATH = re.compile(
    r"^(?:depthwidth|scripts|workflow|tests|profiles|configs|config|benchmarks|envs|docs|\.ci)/[\w./-]*$"
)


def n_parameters(sizes: list[int]) -> int:
    """Weights of a bias-free MLP of these layer sizes (as ``depthwidth.experiment.sizes``, without importing it)."""
    return sum(a * b for a, b in itertools.pairwise(sizes))


def shallow_sizes(n_in: int, width: int) -> list[int]:
    return [n_in, width, 1]


def deep_sizes(n_in: int, width: int, depth: int) -> list[int]:
    return [n_in] + [width] * (depth - 1) + [1]


def rel(path: Path) -> str:
    return str(path.relative_to(REPO))


def without_code_blocks(text: str) -> str:
    """The text without fenced code blocks (indented ones stay: they may hold list continuations)."""
    return FENCE.sub("", text)


def section(text: str, title: str) -> str:
    """The body of the ``## title`` section of ``text``, up to the next heading of level 1 or 2
    outside a fenced code block (a ``# comment`` in a bash block is no heading)."""
    body, inside, fenced = [], False, False
    for line in text.splitlines():
        if line.startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and re.match(r"^#{1,2} ", line):
            if inside:
                break
            inside = line.strip() == f"## {title}"
            continue
        if inside:
            body.append(line)
    assert inside, f"README.md: no '## {title}' section; restore it (tests/test_docs.py reads it)"
    return "\n".join(body) + "\n"


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.replace("`", "")
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link in a heading: its text
    out = []
    for ch in text.lower():
        if ch in " -_" or unicodedata.category(ch)[0] in "LN":
            out.append("-" if ch == " " else ch)
    return "".join(out)


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    for _, title in HEADING.findall(without_code_blocks(path.read_text())):
        slug = github_slug(title)
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        result.add(slug if n == 0 else f"{slug}-{n}")
    return result


# --- the quick start ---------------------------------------------------------------------------


def command_steps(lines: list[str]) -> list[list[str]]:
    """Each ``&&``-separated command of ``lines`` as a token list, ``--quiet`` left out."""
    steps = []
    for line in lines:
        for part in line.split(" && "):
            tokens = [t for t in shlex.split(part) if t != "--quiet"]
            if tokens:
                steps.append(tokens)
    return steps


def readme_commands() -> list[str]:
    body = section(README.read_text(), "Quick start")
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", body, re.DOTALL)
    assert block, "README.md: the Quick start section has no ```bash block with the two commands"
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")]


def ci_commands() -> list[str]:
    lines = []
    for line in (REPO / ".ci" / "run").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "set ", "cd ")):
            continue
        lines.append(line)
    return lines


DEFAULT_RUN = [".venv/bin/snakemake", "--cores", "all"]
PIP_UPGRADE = [".venv/bin/pip", "install", "--upgrade", "pip"]
# CI-only differences, each named in the README's sentence on what CI runs: the convention checks
# (lint and formatting) and the environment variable that makes a missing browser a failure.
CI_ONLY_STEPS = [
    [".venv/bin/ruff", "check", "."],
    [".venv/bin/ruff", "format", "--check", "."],
    [".venv/bin/snakefmt", "--check", "."],
]
CI_ONLY_ENV = ["DEPTHWIDTH_REQUIRE_BROWSER=1"]


def without_ci_env(step: list[str]) -> list[str]:
    return [t for t in step if t not in CI_ONLY_ENV]


def test_readme_quick_start_is_two_commands():
    commands = readme_commands()
    assert len(commands) == 2, (
        f"README.md: Quick start should hold exactly two commands (install and run; test), found {commands}"
    )
    assert command_steps(commands[:1])[-1] == DEFAULT_RUN, (
        f"README.md: the first Quick start command should end with `{' '.join(DEFAULT_RUN)}`, got {commands[0]!r}"
    )


def test_readme_quick_start_is_what_ci_runs():
    """CI runs the README's steps in order, leaving out the default run and adding a pip upgrade, the
    convention checks and DEPTHWIDTH_REQUIRE_BROWSER=1 on the test run."""
    readme = [s for s in command_steps(readme_commands()) if s != DEFAULT_RUN]
    ci_steps = command_steps(ci_commands())
    ci = [without_ci_env(s) for s in ci_steps if s != PIP_UPGRADE and s not in CI_ONLY_STEPS]
    assert readme == ci, (
        "README.md's Quick start and .ci/run disagree (compared step by step, `--quiet`, the default run, "
        "CI's pip upgrade, lint and format checks and DEPTHWIDTH_REQUIRE_BROWSER aside): update whichever "
        "is stale, and keep the README's sentence on what CI runs true.\n"
        f"README: {[' '.join(s) for s in readme]}\n.ci/run: {[' '.join(s) for s in ci]}"
    )
    assert ci_steps[-1] == ["DEPTHWIDTH_REQUIRE_BROWSER=1", *command_steps(readme_commands())[-1]], (
        ".ci/run's last step should be the README's test command with DEPTHWIDTH_REQUIRE_BROWSER=1"
    )


def test_readme_names_what_only_ci_runs():
    """The README's sentence on CI names each step and variable CI adds, so the comparison above skips
    only what the README says it skips."""
    body = " ".join(section(README.read_text(), "Quick start").split())
    ci_steps = command_steps(ci_commands())
    unnamed = [
        shlex.join(step)
        for step in CI_ONLY_STEPS
        if step in ci_steps and f"`{Path(step[0]).name} {' '.join(step[1:])}`" not in body
    ]
    unnamed += [env for env in CI_ONLY_ENV if f"`{env}`" not in body]
    assert not unnamed, f"README.md (Quick start): name what CI runs beyond the README's commands: {unnamed}"


def test_readme_is_short():
    n = len(README.read_text().splitlines())
    assert n <= MAX_README_LINES, (
        f"README.md has {n} lines, more than {MAX_README_LINES}: move the detail into a page of docs/ and link it"
    )


# --- the results table -------------------------------------------------------------------------


def results_rows() -> list[list[str]]:
    body = section(README.read_text(), "What the default run gives")
    rows = [
        [c.strip() for c in line.strip().strip("|").split("|")] for line in body.splitlines() if line.startswith("|")
    ]
    assert len(rows) > 2, "README.md: 'What the default run gives' has no results table"
    return rows[2:]  # header and rule


def test_results_table_lists_the_students_of_config_yaml():
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    teacher = config["teacher"]
    expected = []
    for name, regime in config["regimes"].items():
        expected += [
            (name, f"width {w}", n_parameters(shallow_sizes(teacher["n_in"], w))) for w in regime["shallow_widths"]
        ]
        if regime.get("deep_student", True):
            expected.append(
                (name, "deep", n_parameters(deep_sizes(teacher["n_in"], teacher["width"], teacher["depth"])))
            )
    found = []
    for regime, student, params, *_ in results_rows():
        name = regime.split("(")[0].strip().replace("-", "")
        found.append((name, "deep" if student.startswith("deep") else student, int(params)))
        sigma = re.search(r"σ = ([\d.]+)", regime)
        if sigma and name in config["regimes"]:
            assert float(sigma.group(1)) == config["regimes"][name]["sigma"], (
                f"README.md results table: {regime!r} but config.yaml has sigma {config['regimes'][name]['sigma']}"
            )
    assert sorted(found) == sorted(expected), (
        "README.md's results table (regime, student, parameters) does not match the students config.yaml "
        "trains: remeasure the table with the default run, or restore config.yaml.\n"
        f"table: {sorted(found)}\nconfig.yaml: {sorted(expected)}"
    )


# --- links and paths ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", MARKDOWN, ids=rel)
def test_relative_links_point_to_existing_files_and_anchors(page):
    text = CODE_SPAN.sub("", without_code_blocks(page.read_text()))
    broken = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        if not dest.exists():
            broken.append(f"{target} (no file {dest})")
        elif anchor:
            if dest.suffix != ".md":
                broken.append(f"{target} (an anchor into a file that is not markdown)")
            elif anchor not in anchors(dest):
                broken.append(f"{target} (no heading with anchor #{anchor} in {rel(dest)})")
    assert not broken, f"{rel(page)}: fix or remove these links:\n" + "\n".join(broken)


@pytest.mark.parametrize("page", MARKDOWN, ids=rel)
def test_quoted_repository_paths_exist(page):
    missing = sorted(
        {
            span
            for span in CODE_SPAN.findall(page.read_text())
            if REPO_PATH.match(span) and not (REPO / span.rstrip("/")).exists()
        }
    )
    assert not missing, f"{rel(page)} names files that do not exist (renamed or removed?); update the text: {missing}"


def test_every_docs_page_is_linked_from_both_indexes():
    for index in (README, DOCS / "README.md"):
        text = index.read_text()
        prefix = "docs/" if index == README else ""
        unlinked = [p.name for p in DOC_PAGES if f"]({prefix}{p.name}" not in text]
        assert not unlinked, f"{rel(index)}: add a link to {unlinked}"


# --- layout and tests --------------------------------------------------------------------------


def rule_names() -> list[str]:
    """Every rule of the workflow: ``rule x:`` and ``use rule y as x``, in workflow/Snakefile (the named
    targets) and the rule files (the top-level Snakefile only includes workflow/Snakefile)."""
    sources = [
        REPO / "Snakefile",
        REPO / "workflow" / "Snakefile",
        *sorted((REPO / "workflow" / "rules").glob("*.smk")),
    ]
    pattern = re.compile(r"^\s*(?:rule (\w+):|use rule \w+ as (\w+))", re.MULTILINE)
    return [a or b for src in sources for a, b in pattern.findall(src.read_text())]


def test_rule_names_finds_the_rules():
    """The pattern above still matches the way rules are written (a rename of the files would hide them all)."""
    names = rule_names()
    assert {"all", "teacher", "student", "summary"} <= set(names), f"tests/test_docs.py: rule_names() found {names}"


def test_layout_names_every_module_script_rule_file_and_rule():
    layout = (DOCS / "layout.md").read_text()
    wanted = (
        [rel(p) for p in sorted((REPO / "depthwidth").rglob("*.py")) if p.name != "__init__.py"]
        + [rel(p) for p in sorted((REPO / "scripts").glob("*.py"))]
        + [rel(p) for p in sorted((REPO / "workflow" / "rules").glob("*.smk"))]
        + [rel(p) for p in sorted((REPO / "profiles").iterdir()) if p.is_dir()]
        + [rel(p) for p in sorted((REPO / "benchmarks").glob("*.py"))]
        + ["Snakefile", "workflow/Snakefile", "config/README.md", ".snakemake-workflow-catalog.yml"]
        + [rel(p) for p in sorted((REPO / "tests").iterdir()) if p.is_dir() and not p.name.startswith(("_", "."))]
    )
    missing = [path for path in wanted if f"`{path}" not in layout]
    assert not missing, f"docs/layout.md: describe these files (named in backticks, e.g. `{missing[0]}`): {missing}"
    rules = [r for r in rule_names() if f"`{r}`" not in layout and f"`rule {r}`" not in layout]
    assert not rules, f"docs/layout.md: name these rules (in backticks) under the rule file that defines them: {rules}"


def test_package_docstring_lists_every_subpackage():
    """The package docstring names each layer; each subpackage's lists its modules (tests/test_layout.py)."""
    doc = ast.get_docstring(ast.parse((REPO / "depthwidth" / "__init__.py").read_text())) or ""
    listed = set(re.findall(r"^- ``(\w+)``", doc, re.MULTILINE))
    present = {p.parent.name for p in (REPO / "depthwidth").glob("*/__init__.py")}
    assert listed == present, f"depthwidth/__init__.py: list the subpackages {sorted(present)}, not {sorted(listed)}"


def test_outputs_page_names_every_rule():
    outputs = (DOCS / "outputs.md").read_text()
    rules = [r for r in rule_names() if f"`{r}`" not in outputs]
    assert not rules, f"docs/outputs.md (Rule graph): say what these rules do: {rules}"


def test_testing_page_names_every_test_file():
    testing = (DOCS / "testing.md").read_text()
    missing = [rel(p) for p in sorted((REPO / "tests").glob("test_*.py")) if f"`{rel(p)}`" not in testing]
    assert not missing, f"docs/testing.md: add a row saying what these test files check: {missing}"


# --- configuration -----------------------------------------------------------------------------


def schema_keys(schema: dict, prefix: str = "") -> list[tuple[str, dict]]:
    """(dotted key, its schema) for every key; a mapping of free names (``regimes``) as ``<name>``."""
    keys = []
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        keys.append((path, sub))
        keys += schema_keys(sub, f"{path}.")
        extra = sub.get("additionalProperties")
        if isinstance(extra, dict) and "properties" in extra:
            keys += schema_keys(extra, f"{path}.<name>.")
    return keys


SCHEMA = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
CONFIG_PAGE = DOCS / "configuration.md"


def config_rows() -> dict[str, str]:
    """Key -> default cell of every row of configuration.md's tables."""
    return dict(re.findall(r"^\| `([\w.<>]+)` \| ([^|]*) \|", CONFIG_PAGE.read_text(), re.MULTILINE))


def test_configuration_page_names_every_schema_key():
    text = CONFIG_PAGE.read_text()
    rows = config_rows()
    missing = []
    for key, sub in schema_keys(SCHEMA):
        leaf = "properties" not in sub and not isinstance(sub.get("additionalProperties"), dict)
        if (leaf and key not in rows) or f"`{key}`" not in text:
            missing.append(key)
    assert not missing, (
        f"docs/configuration.md: describe these keys of workflow/schemas/config.schema.yaml "
        f"(a table row `| \\`key\\` | default | allowed | what |` for each value): {missing}"
    )


def test_configuration_page_defaults_are_the_schemas():
    keys = dict(schema_keys(SCHEMA))
    wrong = []
    for key, cell in config_rows().items():
        if key not in keys:
            continue
        sub = keys[key]
        cell = cell.strip()
        if "default" not in sub:
            if cell != "required":
                wrong.append(f"{key}: the schema has no default, so the page should say 'required', not {cell!r}")
            continue
        value = yaml.safe_load(cell.strip("`"))
        if value != sub["default"]:
            wrong.append(f"{key}: page says {cell}, schema says {sub['default']!r}")
    assert not wrong, "docs/configuration.md: update these defaults from the schema:\n" + "\n".join(wrong)


def test_configuration_page_has_no_stale_keys():
    keys = {key for key, _ in schema_keys(SCHEMA)}
    stale = sorted(set(config_rows()) - keys)
    assert not stale, f"docs/configuration.md describes keys the schema no longer has; remove or rename: {stale}"


def test_config_yaml_holds_the_defaults():
    """configuration.md says config.yaml's values are the schema's defaults."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    keys = dict(schema_keys(SCHEMA))
    differ = []

    def walk(value, prefix):
        sub = keys.get(prefix)
        if isinstance(value, dict) and sub is not None and "properties" in sub:
            for name, inner in value.items():
                walk(inner, f"{prefix}.{name}")
        elif sub is not None and "default" in sub and value != sub["default"]:
            differ.append(f"{prefix}: config.yaml {value!r}, schema default {sub['default']!r}")

    for name, value in config.items():
        walk(value, name)
    assert not differ, (
        "config.yaml and the schema's defaults differ; docs/configuration.md says they agree: "
        "make them agree or change that sentence:\n" + "\n".join(differ)
    )


# --- cluster requests --------------------------------------------------------------------------


def test_config_folder_holds_the_one_default_config():
    """`snakedeploy deploy-workflow` (the Snakemake workflow catalog's install path) copies config/:
    config/config.yaml is the config, a real file; config.yaml at the root is a link to it, so
    that `snakemake --cores all` there reads the same file (one config, not two copies)."""
    config, root = REPO / "config" / "config.yaml", REPO / "config.yaml"
    assert config.is_file() and not config.is_symlink(), "config/config.yaml must be a file (a deployment copies it)"
    assert root.is_symlink() and os.readlink(root) == "config/config.yaml", (
        "config.yaml must be a relative link to config/config.yaml: `ln -sf config/config.yaml config.yaml`"
    )
    assert root.resolve() == config.resolve()


def test_cluster_requests_are_those_test_slurm_asserts():
    source = (REPO / "tests" / "test_slurm.py").read_text()
    asserted = {}
    for rule, literal in re.findall(r'assert asked\["(\w+)"\] == (\{[^}]*\})', source):
        asserted[rule] = ast.literal_eval(literal)
    assert {"teacher", "student", "expressivity"} <= set(asserted), (
        "tests/test_slurm.py no longer asserts the requests of teacher, student and expressivity as "
        '`assert asked["rule"] == {(mem_mb, runtime), ...}`: update this test to read them'
    )
    page = " ".join((DOCS / "cluster.md").read_text().split())
    quoted = re.search(r"that is (\d+) to (\d+) MB for every teacher, student and expressivity job", page)
    assert quoted, "docs/cluster.md: the sentence quoting config.yaml's requests ('that is A to B MB ...') is gone"
    low, high = int(quoted.group(1)), int(quoted.group(2))
    mems = [mem for reqs in asserted.values() for mem, _ in reqs]
    assert low <= min(mems) and max(mems) <= high, (
        f"docs/cluster.md quotes {low} to {high} MB; tests/test_slurm.py asserts {sorted(mems)}: update the page"
    )
    runtimes = sorted(runtime for _, runtime in asserted["student"])
    longest, second = runtimes[-1], runtimes[-2]
    sentence = rf"{second} minutes for the width-135 student and {longest} minutes for the deep one"
    assert re.search(sentence, page), (
        f"docs/cluster.md: tests/test_slurm.py asserts {second} and {longest} min for the two longest students; "
        "update the sentence quoting them"
    )


# --- constants the pages quote -----------------------------------------------------------------

# (where the value is set: file and regex with one group, the page, the phrase quoting it with {})
QUOTED_CONSTANTS = [
    ("depthwidth", r"^AUTO_COMPILE_WORK = ([\w.+-]+)", "performance.md", "`auto` compiles only a job of at least {}"),
    ("depthwidth", r"^STEP = ([\d.]+)", "theory.md", "step min({}, sd/2)"),
    ("depthwidth", r"^TAIL = ([\d.]+)", "theory.md", "out to ±{} sd"),
    ("depthwidth", r"^RESOLUTION = ([\d.]+)", "theory.md", "`theory.RESOLUTION`, {} by default"),
    ("depthwidth", r"^PNG_DPI = (\d+)", "report.md", "PNG at {} dpi"),
    ("workflow/rules", r"max_width=(\d+)", "report.md", "scaled to at most {} px"),
]


@pytest.mark.parametrize("where, pattern, page, phrase", QUOTED_CONSTANTS, ids=[c[1] for c in QUOTED_CONSTANTS])
def test_quoted_constants_are_the_codes(where, pattern, page, phrase):
    sources = [p for p in sorted((REPO / where).rglob("*")) if p.suffix in (".py", ".smk")]
    values = {m for p in sources for m in re.findall(pattern, p.read_text(), re.MULTILINE)}
    assert len(values) == 1, (
        f"tests/test_docs.py: expected one value of {pattern!r} under {where}/, found {sorted(values)}; "
        f"point QUOTED_CONSTANTS at where it is set now, or drop the entry if docs/{page} no longer quotes it"
    )
    value = values.pop()
    text = " ".join((DOCS / page).read_text().split())
    assert phrase.format(value) in text, (
        f"docs/{page}: the code sets {value} ({pattern!r} under {where}/); update the text quoting it, "
        f"expected '{phrase.format(value)}'"
    )
