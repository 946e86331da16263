"""What a user sees of a finished run: the report's labels settled, and the closing message.

Used by ``workflow/Snakefile`` (Snakemake's rule objects and DAG are passed in; nothing here
imports Snakemake).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from depthwidth.experiment import paths


def _toggle_label(results: list[dict]) -> str | None:
    """The label Snakemake's report would turn into a toggle among ``results`` (one category's labels,
    in order), or None. Its template (report/html_reporter/template/components/abstract_results.js)
    does that to any label but the first that takes exactly two values, each in half of the results,
    and then looks up the result with the other value for each row."""
    names = list(dict.fromkeys(name for labels in results for name in labels))
    for name in names[1:]:
        values = [labels[name] for labels in results if name in labels]
        if len(set(values)) == 2 and all(values.count(v) * 2 == len(results) for v in set(values)):
            return name
    return None


def settle_report_labels(rules: Iterable, outputs: Iterable[str]) -> None:
    """Fold any label that the report would make a toggle into the ``figure`` label of its results.

    Our results never come in pairs differing by one label, so a toggle finds no partner result and
    the category's page stays blank (``Cannot read properties of undefined (reading 'mime_type')``).
    Only the results of ``outputs`` (those the report will hold) count; the labels are changed in place.
    """
    made = set(map(str, outputs))
    categories: dict[tuple, list[dict]] = {}
    for r in rules:
        for f in r.output:
            flag = getattr(f, "flags", {}).get("report")
            if flag is not None and flag.labels and str(f) in made:
                categories.setdefault((flag.category, flag.subcategory), []).append(flag.labels)
    for results in categories.values():
        while (name := _toggle_label(results)) is not None:
            for labels in results:
                if name in labels:
                    labels["figure"] = f"{labels['figure']} ({labels.pop(name)})"


def made_message(outputs: Iterable[str], started: float, report_cmd: str) -> str:
    """The end-of-run message: the tables and figures among ``outputs`` written since ``started``, and where."""
    made = sorted(
        f
        for f in set(map(str, outputs))
        if paths.is_result(f) and Path(f).exists() and Path(f).stat().st_mtime >= started
    )
    where = Path(paths.RESULTS).resolve()
    if not made:
        return f"\nNothing new: every result in {where} was up to date.\nThe report: {report_cmd}\n"
    figures = list(dict.fromkeys(Path(f).stem for f in made if f.endswith((".png", ".gif"))))
    tables = [f for f in made if f.endswith((".tsv", ".html"))]
    lines = [f"\nThis run made, in {where}:"]
    if figures:
        lines.append(f"  figures/ ({len(figures)}, PNG for the web, PDF for print): " + ", ".join(figures))
    if tables:
        lines.append("  tables: " + ", ".join(os.path.relpath(f, paths.RESULTS) for f in tables))
    lines.append(f"A report with every figure and its caption: {report_cmd}\n")
    return "\n".join(lines)
