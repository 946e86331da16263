"""Figure (d): the circle through deep random nets, as a grid of layers and as an animated GIF.

Reads: ``trajectories`` (.npz). Writes: ``png`` and ``pdf`` (the grid), ``animation`` (GIF) and
``animation_page`` (HTML playing the GIF, for the report).
"""

from depthwidth.jobs import runtime
from depthwidth.jobs.artifacts import read_npz
from depthwidth.presentation import figures, style

with runtime.job(snakemake):
    arrays = read_npz(snakemake.input["trajectories"], ("projected", "regimes", "sigmas", "normalised_length"))
    labels = [rf"{r} ($\sigma_w$ = {s:g})" for r, s in zip(arrays["regimes"], arrays["sigmas"])]
    projected, stretch = arrays["projected"], arrays["normalised_length"]
    n_layers = projected.shape[1]
    layers = sorted({1, 2, 3, 5, 8, 12, n_layers} & set(range(1, n_layers + 1)))
    with style.figure_style(snakemake.params.xkcd):
        fig = figures.expressivity_grid(projected, labels, layers, stretch)
        style.save(fig, [snakemake.output["png"], snakemake.output["pdf"]])
        figures.expressivity_animation(projected, labels, snakemake.output["animation"], stretch=stretch)
    figures.animation_page(
        snakemake.output["animation"],
        snakemake.output["animation_page"],
        "The circle through deep nets, layer by layer",
    )
