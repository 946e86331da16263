"""Two clean runs of the smoke config give byte-identical results.

Wall times are not results: they live in the logs and in Snakemake's benchmark files, so every
file the science is read from (metrics, losses, weights, datasets, fits, tables) can be compared
with ``cmp``. Figures and logs are left out of the comparison.
"""

from __future__ import annotations

import json
import shutil

from conftest import Run, files_under

COMPARED_TARGETS = (
    "results/summary.tsv",
    "results/summary.html",
    "results/expressivity/lengths.tsv",
    "results/expressivity/length_vs_depth.tsv",
)


def result_files(run: Run) -> dict[str, bytes]:
    return {k: v for k, v in files_under(run.results).items() if not k.startswith(("logs/", "benchmarks/", "figures/"))}


def test_two_clean_runs_are_byte_identical(smoke_run, tmp_path):
    workdir = tmp_path / "again"
    workdir.mkdir()
    shutil.copy2(smoke_run.configfile, workdir / smoke_run.configfile.name)
    again = Run(smoke_run.repo, workdir, workdir / smoke_run.configfile.name)
    again.snakemake(*COMPARED_TARGETS)

    first, second = result_files(smoke_run), result_files(again)
    assert sorted(second) == sorted(first)
    different = [name for name in first if first[name] != second[name]]
    assert different == []
    # 10 students x 4 files, 4 teachers x 3 files, 1 fit, 3 expressivity tables, the summary (TSV and
    # HTML), and the store of finished students: 10 entries of the 4 files and entry.json
    assert len(first) == 10 * 4 + 4 * 3 + 1 + 3 + 2 + 10 * 5


def test_metrics_hold_no_wall_times(smoke_run):
    for path in smoke_run.results.rglob("metrics.json"):
        keys = json.loads(path.read_text())
        assert not [k for k in keys if "second" in k or "time" in k], path
    header = (smoke_run.results / "summary.tsv").read_text().splitlines()[0]
    assert "time" not in header
    # the timing is still recorded: in the job's log and its benchmark file
    log = (smoke_run.results / "logs" / "chaotic" / "deep.log").read_text()
    assert "deep: trained 2 student(s) in" in log
    bench = (smoke_run.results / "benchmarks" / "chaotic" / "deep.tsv").read_text().splitlines()
    assert bench[0].split("\t")[0] == "s" and float(bench[1].split("\t")[0]) > 0
