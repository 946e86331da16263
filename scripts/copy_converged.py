"""Copy a named regime's converged results, for every seed, from the sweep regime that makes the same ones.

As ``copy_student.py`` copies the students of a regime that ``depthwidth.experiment.plan.copied_regimes``
names, this copies what is computed from them: the same teacher, data and Adam student give the
same polished student and search. Reads, per seed in order: the regime's own ``data`` and the
sweep regime's ``source_data`` (.npz), which must be equal, and the sweep regime's ``records``
(.json: a ``polish`` or ``search`` record) and, for a polish, its ``weights`` (.pt, checked against
its sidecar). Writes the same files for the regime, the records naming the regime and
``copied_from``, the sweep regime.
"""

from depthwidth.jobs import artifacts, runtime
from depthwidth.training.students import check_same_data

with runtime.job(snakemake) as log:
    inp, out, regime = snakemake.input, snakemake.output, snakemake.wildcards.regime
    for k, (own, source) in enumerate(zip(inp.data, inp.source_data)):
        check_same_data(own, source, regime)
        record = artifacts.read_json(inp.records[k], ("regime",))
        identity = {"regime": regime, "copied_from": record["regime"]}
        if "weights" in out.keys():
            artifacts.verify_weights(inp.weights[k])
            meta = artifacts.read_json(artifacts.sidecar_path(inp.weights[k]))
            meta = {key: v for key, v in meta.items() if key not in ("shapes", "sha256")}
            artifacts.write_weights(out.weights[k], artifacts.read_weights(inp.weights[k]), {**meta, **identity})
        artifacts.write_json(out.records[k], {**record, **identity})
        log.info("%s: copied from %s", out.records[k], inp.records[k])
