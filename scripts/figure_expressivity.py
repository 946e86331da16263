"""Figure (d): the circle through deep random nets, as a grid of layers and as an animated GIF.

Reads: ``trajectories`` (.npz). Writes: ``grid`` (PNG and PDF) and ``animation`` (GIF).
"""

from depthwidth import figures, runtime, style
from depthwidth.artifacts import read_npz

with runtime.job(snakemake):
    arrays = read_npz(snakemake.input["trajectories"], ("projected", "regimes", "sigmas"))
    labels = [f"{r} (σ={s:g})" for r, s in zip(arrays["regimes"], arrays["sigmas"])]
    n_layers = arrays["projected"].shape[1]
    layers = sorted({1, 2, 3, 5, 8, 12, n_layers} & set(range(1, n_layers + 1)))
    with style.figure_style(snakemake.params.xkcd):
        style.save(figures.expressivity_grid(arrays["projected"], labels, layers), snakemake.output["grid"])
        figures.expressivity_animation(arrays["projected"], labels, snakemake.output["animation"])
