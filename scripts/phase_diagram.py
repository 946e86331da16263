"""Figure: the (sigma_w, sigma_b) phase diagram of random tanh nets, theory and simulated chi_1.

Writes: the figure (PNG, PDF) and its numbers (TSV, one row per point of the plane: kind (grid,
critical, simulation), sigma_w, sigma_b, q_star, chi_1, c_star, chi_c, depth_scale, and for the
simulated points chi_1_simulated, chi_1_simulated_se, relative_deviation).
"""

import numpy as np

from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import write_tsv
from depthwidth.presentation import figures, style
from depthwidth.theory.phase import phase_diagram_table

with runtime.job(snakemake) as log:
    grid, sim = snakemake.params.grid, snakemake.params.simulation
    table = phase_diagram_table(
        np.linspace(grid["sigma_min"], grid["sigma_max"], grid["phase_sigma_w_points"]),
        np.linspace(0.0, grid["sigma_b_max"], grid["sigma_b_points"]),
        sim["points"],
        sim["width"],
        sim["layers"],
        sim["burn_in"],
        sim["inputs"],
        sim["seed"],
    )
    log.info("critical line and simulated points:\n%s", table[table["kind"] != "grid"].to_string(index=False))
    png, pdf, tsv = snakemake.output.png, snakemake.output.pdf, snakemake.output.tsv
    write_tsv(tsv, table)
    with style.figure_style(snakemake.params.xkcd):
        style.save(figures.phase_diagram(table, snakemake.params.teachers), [png, pdf])
