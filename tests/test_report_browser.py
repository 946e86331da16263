"""The report as a reader sees it: opened in headless Chromium, every page and every result.

``snakemake --report`` writes one HTML file that is a React app; a broken label or link shows only
in a browser (a blank page and a JavaScript error), never in the HTML. These tests build the report
of the smoke run and of the smoke study (the runs other tests make; no extra training), open it in
Debian's ``chromium`` through Playwright (``executable_path``: no browser download), and visit the
description, its links, every category, every result in it and every result's info panel, failing on
any page error, console error or empty view, on a figure squeezed by the labels beside it (narrower
than ``MIN_FIGURE_WIDTH`` pixels at the test's viewport, or than the PNG itself if it is narrower), or
on a Summary table whose errors sit to the right of the sizes.

Chromium is needed: without it (or with ``DEPTHWIDTH_SKIP_BROWSER=1``) the tests skip and say why.
CI installs it (``tests/browser/ci-install.sh``) and sets ``DEPTHWIDTH_REQUIRE_BROWSER=1``, which
makes a missing browser a failure. ``DEPTHWIDTH_SCREENSHOTS=<dir>`` keeps a PNG of
every view there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SKIP_ENV = "DEPTHWIDTH_SKIP_BROWSER"
REQUIRE_ENV = "DEPTHWIDTH_REQUIRE_BROWSER"  # CI sets it: there, no browser is a failure, not a skip
VIEWPORT = {"width": 1500, "height": 950}
# The narrowest a figure may be drawn at VIEWPORT: long labels in a category's table (its rows sit
# beside the figure) once squeezed the study's figures to under 400 px.
MIN_FIGURE_WIDTH = 600
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    """Path of the Chromium to drive, or skip the test saying why there is none."""
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: browser tests skipped on request")
    missing = pytest.fail if os.environ.get(REQUIRE_ENV) == "1" else pytest.skip
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("playwright is not installed (pip install '.[test]')")
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    missing("no chromium on PATH (Debian: apt-get install chromium; CI: tests/browser/ci-install.sh)")


def _build_report(repo: Path, workdir: Path, configfile: str, dest: Path) -> Path:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")])))
    env.pop("SNAKEMAKE_PROFILE", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-s",
            str(repo / "Snakefile"),
            "--configfile",
            configfile,
            "--report",
            str(dest),
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return dest


class ReportBrowser:
    """One page of the report in headless Chromium, collecting every page and console error."""

    def __init__(self, playwright, chromium: str, report: Path, shots: Path | None):
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        self.context = playwright.chromium.launch_persistent_context(
            self.profile,
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
        )
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda err: self.errors.append(f"page error: {err}"))
        self.page.on("console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        self.shots = shots
        self.page.goto(report.resolve().as_uri())
        self.page.wait_for_function("() => typeof app !== 'undefined' && app !== undefined")
        self.settle()

    def close(self) -> None:
        self.context.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def settle(self) -> None:
        self.page.wait_for_timeout(150)

    def js(self, expression: str, arg=None):
        result = self.page.evaluate(expression, arg)
        self.settle()
        return result

    def check(self, view: str) -> None:
        """The view rendered: no errors so far, and the app shows something."""
        if self.shots is not None:
            self.page.screenshot(path=str(self.shots / f"{view}.png"))
        assert not self.errors, f"{view}: {self.errors}"
        assert self.page.inner_text("#app").strip(), f"{view}: the page is blank"

    def open_category(self, category: str, subcategory: str, n_subcategories: int) -> None:
        """Open a category's table as a reader does, from the menu (the table is built when it is shown)."""
        self.js("() => app.setView({navbarMode: 'menu'})")
        self.page.locator("nav li a", has_text=category).first.click()
        self.settle()
        if n_subcategories > 1:
            self.page.locator("nav li a", has_text=subcategory).first.click()
            self.settle()

    def nav_text(self) -> str:
        return self.page.inner_text("nav")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_")


def visit_everything(browser: ReportBrowser, name: str) -> dict[str, str]:
    """Visit the description and its links, every category, result and info panel; return each result's
    caption text as the info panel shows it."""
    page = browser.page
    browser.js("() => app.setView({content: 'rulegraph', navbarMode: 'menu'})")
    browser.check(f"{name}-workflow")
    description = page.inner_text(".prose")
    assert "Depth vs width" in description, description[:200]

    # the description's own links: categories, Workflow, Statistics
    links = page.eval_on_selector_all(".prose a[href^='javascript:']", "els => els.map(a => a.textContent)")
    assert {"Workflow", "Statistics"} <= set(links), links
    for text in links:
        browser.js("() => app.setView({content: 'rulegraph', navbarMode: 'menu'})")
        page.locator(".prose a[href^='javascript:']", has_text=text).first.click()
        browser.settle()
        browser.check(f"{name}-link-{_slug(text)}")
    browser.js("() => app.setView({content: 'stats'})")
    assert page.locator("#app").inner_text().strip()

    categories = browser.js(
        "() => Object.fromEntries(Object.entries(categories).map("
        "([c, subs]) => [c, Object.fromEntries(Object.entries(subs).map(([s, r]) => [s, r]))]))"
    )
    mimes = browser.js("() => Object.fromEntries(Object.entries(results).map(([p, r]) => [p, r.mime_type]))")
    assert categories, "the report has no results"
    captions = {}
    for category, subcategories in categories.items():
        for subcategory, paths in subcategories.items():
            browser.open_category(category, subcategory, len(subcategories))
            view = f"{name}-{_slug(category)}-{_slug(subcategory)}"
            browser.check(view)
            rows = page.locator("nav table tbody tr")
            assert rows.count() == len(paths), f"{view}: {rows.count()} rows for {len(paths)} results"
            for i in range(rows.count()):
                row = rows.nth(i)
                cells = [c.strip() for c in row.locator("td").all_inner_texts()]
                assert any(cells), f"{view}: row {i} has no labels"
                view_button, info_button = row.locator("a").all()[:2]
                if view_button.get_attribute("download"):
                    pytest.fail(f"{view}: row {i} ({cells}) is only a download, not shown in the report")
                view_button.click()
                browser.settle()
                path = browser.js("() => app.state.resultPath")
                assert path in paths, f"{view}: row {i} shows {path}"
                shown = _check_content(browser, mimes[path], f"{view} {path}")
                if path.endswith("summary.html"):
                    _check_summary_columns(page.frames[-1], f"{view} {path}")
                browser.check(f"{view}-{_slug(Path(path).name)}")
                assert shown
                info_button.click()
                browser.settle()
                browser.check(f"{view}-{_slug(Path(path).name)}-info")
                captions[path] = browser.nav_text()
                browser.open_category(category, subcategory, len(subcategories))
    assert set(captions) == set(mimes), f"results never visited: {set(mimes) - set(captions)}"
    return captions


def _check_content(browser: ReportBrowser, mime: str, what: str) -> bool:
    page = browser.page
    if mime.startswith("image/"):
        shown = "() => [...document.querySelectorAll('#app img')].filter(i => !i.closest('nav') && i.complete)"
        page.wait_for_function(f"() => ({shown})().some(i => i.naturalWidth > 0)", timeout=10_000)
        size = page.evaluate(f"() => ({shown})().map(i => [i.naturalWidth, i.naturalHeight])[0]")
        assert min(size) > 100, f"{what}: image {size}"
        drawn = page.evaluate(f"() => ({shown})().map(i => i.getBoundingClientRect().width)[0]")
        assert drawn >= min(MIN_FIGURE_WIDTH, size[0]) - 1, (
            f"{what}: the figure is drawn {drawn:.0f} px wide (the PNG is {size[0]} px): squeezed by the labels"
        )
        return True
    if mime == "text/html":
        page.wait_for_selector("iframe", timeout=10_000)
        frame = page.frames[-1]
        frame.wait_for_load_state()
        frame.wait_for_function(
            "() => document.body && (document.body.innerText.trim().length > 50 || "
            "[...document.images].some(i => i.complete && i.naturalWidth > 100))",
            timeout=10_000,
        )
        return True
    pytest.fail(f"{what}: {mime} is not shown by the report (only offered as a download)")


def _check_summary_columns(frame, what: str) -> None:
    """The Summary page shows the errors first: before the sizes (train_points_per_parameter), where
    a reader sees them without scrolling to the right."""
    columns = frame.eval_on_selector_all("table thead th", "els => els.map(e => e.textContent.trim())")
    errors = [i for i, c in enumerate(columns) if c.endswith("_mse_over_var_ytest") and not c.startswith("fit_")]
    assert errors and "train_points_per_parameter" in columns, f"{what}: columns {columns}"
    assert max(errors) < columns.index("train_points_per_parameter"), f"{what}: columns {columns}"
    assert columns[:2] == ["regime", "sigma_w"], f"{what}: columns {columns}"
    assert "test_error_mse_over_var_ytest" in columns, f"{what}: columns {columns}"


@pytest.fixture(scope="module")
def chromium() -> str:
    return _chromium()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path | None:
    if target := os.environ.get("DEPTHWIDTH_SCREENSHOTS"):
        Path(target).mkdir(parents=True, exist_ok=True)
        return Path(target)
    return None


def _visit(chromium: str, report: Path, name: str, shots: Path | None) -> dict[str, str]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = ReportBrowser(playwright, chromium, report, shots)
        try:
            return visit_everything(browser, name)
        finally:
            browser.close()


def _check_info_panels(captions: dict[str, str]) -> None:
    for path, text in captions.items():
        params = text.split("JOB PARAMETERS", 1)[1] if "JOB PARAMETERS" in text else ""
        # parameters a reader sets, not the caption's numbers (they are in the caption above)
        assert "facts" not in params and "'regimes':" not in params, (
            f"{path}: the info panel shows internals:\n{params}"
        )
        for bad in ("{{", "{%", "System Message", "None"):
            assert bad not in text, f"{path}: {bad!r} in\n{text}"


def test_smoke_report_renders_every_page_and_result(chromium, smoke_run, tmp_path, shots):
    report = _build_report(smoke_run.repo, smoke_run.workdir, str(smoke_run.configfile), tmp_path / "report.html")
    captions = _visit(chromium, report, "smoke", shots)
    assert "results/summary.html" in captions and "results/figures/trajectory_length.png" in captions
    _check_info_panels(captions)


def test_study_report_renders_every_page_and_result(chromium, study_run, tmp_path, shots):
    report = _build_report(REPO, study_run, "smoke_study.yaml", tmp_path / "report.html")
    captions = _visit(chromium, report, "study", shots)
    assert {f"results/figures/{n}.png" for n in ("sweep_error", "equal_budget", "sweep_scaling")} <= set(captions)
    _check_info_panels(captions)
