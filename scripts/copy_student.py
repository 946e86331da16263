"""Copy a named regime's student, for every seed, from the sweep regime that trains the same one.

``depthwidth.experiment.plan.copied_regimes`` names the regimes whose students are copies: their teachers
follow from the same depth, sigma and seed, and their students start from the same weights.
Reads, per seed in order: the regime's own ``data`` and the sweep regime's ``source_data`` (.npz),
which must be equal, and the sweep regime's student files: ``weights`` (.pt) with its ``sidecar``,
``metrics`` (.json) and ``loss`` (.npz). Writes the same four files for the regime: the same weights
and losses, and metrics that record the regime's name and ``copied_from``, the sweep regime's.
"""

from depthwidth.analysis.results import load_metrics
from depthwidth.jobs import artifacts, runtime
from depthwidth.training.students import check_same_data, save_student

with runtime.job(snakemake) as log:
    inp, out, regime = snakemake.input, snakemake.output, snakemake.wildcards.regime
    for k, (own, source) in enumerate(zip(inp.data, inp.source_data)):
        check_same_data(own, source, regime)
        metrics = load_metrics(inp.metrics[k])
        artifacts.verify_weights(inp.weights[k])
        weights = artifacts.read_weights(inp.weights[k], metrics["sizes"])
        losses = artifacts.read_npz(inp.loss[k], ["train_mse"])["train_mse"]
        files = {"weights": out.weights[k], "metrics": out.metrics[k], "loss": out.loss[k]}
        save_student(files, weights, losses, {**metrics, "regime": regime, "copied_from": metrics["regime"]})
        log.info(
            "%s: copied from %s (relative test error %.4g)",
            out.metrics[k],
            inp.metrics[k],
            metrics["test_relative_error"],
        )
