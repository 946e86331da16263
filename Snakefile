# Depth vs width: the workflow is workflow/Snakefile (the Snakemake workflow catalog's layout);
# this file lets `snakemake --cores all` run it from the repository root, with config.yaml here.
# Not `include:`, which would keep that file's default target (rule all) from applying here.
workflow.include("workflow/Snakefile", overwrite_default_target=True)
