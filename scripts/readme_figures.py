"""Copies of the figures for the README, and the workflow's rule graph.

Reads: ``figures`` (PNG) and ``animation`` (GIF) under results/figures. Writes: ``figures`` (each
PNG scaled down to at most ``max_width`` pixels, if wider, and stored optimised), ``animation`` (the GIF, copied) and
``rulegraph`` (SVG: ``snakemake --rulegraph`` drawn by graphviz's ``dot``, which must be installed).
"""

import shutil
import subprocess
import sys

from PIL import Image

from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import atomic_path

with runtime.job(snakemake) as log:
    p = snakemake.params
    for src, dest in zip(snakemake.input["figures"], snakemake.output["figures"]):
        with Image.open(src) as image:
            image.thumbnail((p.max_width, p.max_width * 4))  # keeps the aspect ratio; only shrinks
            with atomic_path(dest) as tmp:
                image.save(tmp, format="PNG", optimize=True)
        log.info("%s -> %s (%d x %d)", src, dest, *image.size)
    with atomic_path(snakemake.output["animation"]) as tmp:
        shutil.copyfile(snakemake.input["animation"], tmp)

    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError("drawing docs/rulegraph.svg needs graphviz's `dot` (e.g. apt-get install graphviz)")
    configs = ["--configfile", *p.configfiles] if p.configfiles else []  # one flag: a second replaces the first
    # --nolock: this job's own Snakemake holds the working directory's lock.
    graph = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", p.snakefile, *configs, "--rulegraph", "--nolock"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    graph = graph[graph.index("digraph") :]  # anything Snakemake logged before the graph
    svg = subprocess.run([dot, "-Tsvg"], input=graph, check=True, capture_output=True, text=True).stdout
    with atomic_path(snakemake.output["rulegraph"]) as tmp:
        tmp.write_text(svg)
