"""Shared pytest set-up."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the ``summary`` lines tests recorded with ``record_property("summary", text)``.

    They show in every run's output (CI included), whether or not output capture is on.
    """
    lines = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == "summary" and getattr(report, "when", "call") == "call":
                    lines.append(f"{report.nodeid}: {value}")
    if lines:
        terminalreporter.section("test summaries")
        for line in lines:
            terminalreporter.write_line(line)
