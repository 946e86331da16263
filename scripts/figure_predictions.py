"""Figure (c): each regime's widest shallow student against the teacher on the test set.

Reads: the students' ``weights`` and ``metrics``, their teachers' ``data``. Writes: ``png`` and ``pdf``.
"""

from depthwidth.analysis.results import prediction_panels
from depthwidth.jobs import runtime
from depthwidth.presentation import figures, style

with runtime.job(snakemake):
    i = snakemake.input
    panels = prediction_panels(i["weights"], i["metrics"], i["data"], snakemake.params.nonlinearity)
    with style.figure_style(snakemake.params.xkcd):
        style.save(figures.predictions(panels), [snakemake.output["png"], snakemake.output["pdf"]])
