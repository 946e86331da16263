# Depth vs width: how wide must a shallow network be to imitate a deep one?
# Run `snakemake --cores all`; the experiment is config.yaml, checked against
# workflow/schemas/config.schema.yaml before any job starts.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


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
