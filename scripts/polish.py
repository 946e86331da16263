"""Polish a regime's student, for every seed, from Adam's final weights to the bottom of its basin.

Reads, per seed in order: ``weights`` (the student's .pt, checked against its sidecar), its
``metrics`` (.json: the layer sizes), its teacher's ``data`` (.npz) and ``teacher`` (.pt), from
which the targets are recomputed in float64 (``depthwidth.training.polish.float64_targets``). Writes,
per seed: ``polished`` (.pt, float64 weights, with a sidecar) and ``record`` (.json: Adam's
errors recomputed in float64, the polished train and test errors, why Levenberg-Marquardt
stopped, its iterations and seconds; see ``depthwidth.training.polish.polish``).
"""

from depthwidth.analysis.results import load_metrics
from depthwidth.jobs import artifacts, runtime
from depthwidth.training.polish import float64_targets, lm_options, polish

with runtime.job(snakemake) as log:
    inp, out, p = snakemake.input, snakemake.output, snakemake.params
    options = lm_options(p.polish)
    for k, path in enumerate(inp.weights):
        metrics = load_metrics(inp.metrics[k])
        artifacts.verify_weights(path)
        weights = artifacts.read_weights(path, metrics["sizes"])
        data = artifacts.read_dataset(inp.data[k], n_in=metrics["sizes"][0])
        artifacts.verify_weights(inp.teacher[k])
        data = float64_targets(artifacts.read_weights(inp.teacher[k]), data, p.nonlinearity)
        polished, record = polish(weights, data, p.nonlinearity, options)
        identity = {key: metrics[key] for key in ("name", "regime", "seed", "sizes", "sigma_w")}
        log.info(
            "%s seed %d: training error %.3g (Adam) -> %.3g, test %.3g -> %.3g; %s after %d iterations, %.1f s",
            metrics["name"],
            metrics["seed"],
            record["adam_train_relative_error"],
            record["train_relative_error"],
            record["adam_test_relative_error"],
            record["test_relative_error"],
            record["stop"],
            record["iterations"],
            record["seconds"],
        )
        artifacts.write_weights(out.polished[k], polished, {"role": "polished student", **identity})
        artifacts.write_json(out.record[k], {**identity, **record})
