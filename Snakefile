# Depth vs width: how wide must a shallow network be to imitate a deep one?
# Run `snakemake --cores all`; the experiment is config.yaml, checked against
# workflow/schemas/config.schema.yaml before any job starts.
import os
from pathlib import Path

from snakemake.utils import min_version

from depthwidth import checkpoint

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/teacher.smk"
include: "workflow/rules/students.smk"
include: "workflow/rules/scaling.smk"
include: "workflow/rules/expressivity.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/summary.smk"
include: "workflow/rules/study.smk"


rule all:
    input:
        all_outputs(),
    default_target: True


onsuccess:
    for path in finished_checkpoints():
        checkpoint.remove(path)
    # Where to look, and the report command for this very run (same Snakefile and config files).
    report_cmd = ["snakemake"]
    if Path(workflow.main_snakefile).resolve() != Path("Snakefile").resolve():
        report_cmd += ["-s", workflow.main_snakefile]
    report_cmd += ["--report", "results/report.html"]
    for configfile in workflow.overwrite_configfiles:
        report_cmd += ["--configfile", os.path.relpath(configfile)]
    print(
        f"\nResults in {Path('results').resolve()}:\n"
        "  figures/  PNG for the web, PDF for print, expressivity.gif\n"
        "  summary.tsv  every student's errors and the scaling fits\n"
        f"A report with every figure and its caption: {' '.join(report_cmd)}\n"
    )
