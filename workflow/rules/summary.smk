from depthwidth.presentation import captions
from depthwidth.jobs.artifacts import damaged, missing_upstream, write_marker

# Every file results/summary.tsv is made from, directly or through a job: teachers' data and
# weights, students' files, scaling fits.
SUMMARY_UPSTREAM = (
    TARGETS.teacher_files()
    + [
        f
        for name in ("metrics.json", "student.pt", "student.pt.json", "loss.npz")
        for f in TARGETS.student_files(name) + TARGETS.restart_files(name)
    ]
    + TARGETS.scaling_fits()
    + TARGETS.polish_records()
    + TARGETS.search_records()
)


# A finished run that then lost a file (a failed job's outputs are deleted; a damaged file is
# removed by hand): Snakemake 9 reruns nothing for a missing intermediate file while what was
# made from it is present, so summary.tsv and the figures would keep showing numbers from files
# that no longer exist. The summary therefore takes every file it is made from as an input, and
# also a marker file, which the main process rewrites when any of them is gone: newer than
# summary.tsv, it makes the summary rerun, so Snakemake makes every missing file, and reruns
# everything made from them (students retrain on a remade data.npz). Once rebuilt, the summary
# is newer than the marker and nothing reruns.
UPSTREAM_MARKER = paths.marker("summary_upstream_present")  # bookkeeping, beside the logs


if workflow.is_main_process:
    _missing = missing_upstream(paths.summary("tsv"), SUMMARY_UPSTREAM)
    if _missing:
        logger.warning(
            f"{paths.summary('tsv')} is there, but {len(_missing)} file(s) it is made from are missing "
            f"({', '.join(_missing[:3])}{', ...' if len(_missing) > 3 else ''}): they, the summary and what is "
            "made from them will be (re)made"
        )
        write_marker(UPSTREAM_MARKER, "gone", _missing)
    # A file damaged after it was written (its checksum no longer matches; a table, figure or page
    # cut short) would be used, or kept, by a plain run: named here, and the run refused before any
    # job (common.smk's onstart; the DAG is not known while the workflow is read) unless it forces
    # reruns (--forcerun of the file is one repair, deleting it another). The final outputs too:
    # a plain run that said "Nothing to be done" over a damaged figure would hide it.
    DAMAGED = damaged(SUMMARY_UPSTREAM + catalog.all_outputs(TARGETS))
    if DAMAGED:
        logger.warning(
            f"{len(DAMAGED)} finished file(s) are damaged:\n  "
            + "\n  ".join(DAMAGED[:10])
            + ("\n  ..." if len(DAMAGED) > 10 else "")
            + "\ndelete them and run the same command again (they are remade, and what is made from them), "
            "or remake them in place: snakemake --cores all --forcerun <file>"
        )
        # so that the run has a job to do, and its onstart is reached to refuse it
        write_marker(UPSTREAM_MARKER, "damaged", DAMAGED)
else:
    DAMAGED = []


rule summary_upstream_present:
    """A marker: rewritten, it makes the summary, and every missing file it is made from, be remade."""
    output:
        touch(UPSTREAM_MARKER),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    message:
        "mark the summary's inputs present"


rule summary:
    """Every student's errors and every scaling fit in one table (TSV, and HTML for the report)."""
    input:
        metrics=TARGETS.student_files("metrics.json"),
        restarts=TARGETS.restart_files("metrics.json"),
        polish=TARGETS.polish_records(),
        search=TARGETS.search_records(),
        # read for their checksums only: a damaged student.pt fails the summary, not silently nothing
        weights=TARGETS.student_files("student.pt"),
        sidecars=TARGETS.student_files("student.pt.json"),
        # not read: so that a missing one is remade, with what is made from it, by a plain run
        upstream=SUMMARY_UPSTREAM,
        upstream_present=UPSTREAM_MARKER,
        fits=TARGETS.scaling_fits(),
        code=code("summary.py"),
    output:
        table=paths.summary("tsv"),
        # The report shows HTML, PNG, SVG and PDF results in place and offers anything else, a TSV
        # too, only as a download: so the table goes into it as HTML, the TSV a link in it.
        html=report(
            paths.summary("html"),
            caption="../report/summary.rst",
            category="Summary",
            labels={"figure": "summary table", "regime": catalog.regimes_text(TARGETS, REGIMES)},
        ),
    log:
        paths.log("summary"),
    localrule: True
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        # the caption's numbers (workflow/report/*.rst read them as params[0]): positional, so that
        # the report's "Job parameters" lists only the parameters below
        lambda wildcards, output: captions.summary(output.table),
        sigmas={r: spec["sigma"] for r, spec in REGIMES.items()},
    message:
        "the summary table: {log}"
    script:
        "../../scripts/summary.py"
