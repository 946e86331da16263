"""Can the teacher's architecture fit this teacher? A search over fresh starts, for every seed.

Reads, per seed in order: the teacher's ``data`` (.npz) and ``teacher`` (.pt: the targets are
recomputed in float64, ``depthwidth.training.polish.float64_targets``) and the deep student's
``polish`` record (.json). Where the polished Adam student already reaches the search tolerance,
no start is tried; otherwise up to ``polish.search_starts`` fresh starts, each a short float64
Adam warm-up and Levenberg-Marquardt (``depthwidth.training.polish.search``). Writes, per seed,
``record`` (.json: per start its training error, stop reason and seconds; the best training and
test errors of the search and of the polished student; the starts taken; whether the teacher is
fitted to the tolerance). Keeps ``journal`` (.json, ``depthwidth.training.polish.SearchJournal``): the
finished starts of every seed, so that an interrupted search resumes at its next start.
"""

import functools

from depthwidth.jobs import artifacts, runtime
from depthwidth.training.polish import SearchJournal, float64_targets, search, search_key

with runtime.job(snakemake) as log:
    inp, out, p = snakemake.input, snakemake.output, snakemake.params
    section = p.polish
    journal = SearchJournal(p.journal, search_key(section, p.sizes, p.nonlinearity, p.lr))
    for k, path in enumerate(inp.data):
        polished = artifacts.read_json(inp.polish[k], ("train_relative_error", "test_relative_error", "seed"))
        data = artifacts.read_dataset(path, n_in=p.sizes[0])
        artifacts.verify_weights(inp.teacher[k])
        data = float64_targets(artifacts.read_weights(inp.teacher[k]), data, p.nonlinearity)
        identity = {key: polished[key] for key in ("name", "regime", "seed", "sizes", "sigma_w")}
        if polished["train_relative_error"] <= section["search_tolerance"]:
            record = {
                "tolerance": section["search_tolerance"],
                "starts": 0,
                "fitted": True,
                "best_train_relative_error": polished["train_relative_error"],
                "best_test_relative_error": polished["test_relative_error"],
                "best_start": 0,
                "seconds": 0.0,
                "each": [],
            }
        else:
            seed, data_hash = polished["seed"], artifacts.file_sha256(path)
            record = search(
                p.sizes,
                data,
                seed,
                polished["name"],
                p.nonlinearity,
                section,
                p.lr,
                done=journal.starts(seed, data_hash),
                keep=functools.partial(journal.keep, seed, data_hash),
            )
        record["polished_train_relative_error"] = polished["train_relative_error"]
        log.info(
            "%s seed %d: %s; best training error %.3g after %d start(s), %.1f s",
            identity["regime"],
            identity["seed"],
            "fitted" if record["fitted"] else "not fitted",
            record["best_train_relative_error"],
            record["starts"],
            record["seconds"],
        )
        artifacts.write_json(out.record[k], {**identity, **record})
