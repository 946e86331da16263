"""Converged students: what a trained student's basin holds, and whether an architecture can fit
its teacher at all.

Every verdict of full-batch Adam within a step budget mixes what a student can represent with
what Adam found. This module owns the two answers the workflow gives on top of Adam's, both by
the float64 Levenberg-Marquardt of ``depthwidth.training.levmar`` on the float64 targets of ``data.npz``
(:func:`float64_targets`: the teacher evaluated in float64 on the same inputs, whatever the
``dtype`` the data were written in, so no float32 floor near 1e-15 lies under a fit):

- :func:`polish`: a trained student from Adam's final weights to the bottom of its basin;
- :func:`search`: for a student of the teacher's architecture, fresh starts (a short float64
  Adam warm-up each, then Levenberg-Marquardt) until one fits the training data to the search
  tolerance or the budget of starts is spent; each start draws from a stream of its own
  (``derived_seed(seed, name, "search", j)``), so the answer depends on the config alone.

"Fitted" is judged by the training error (relative: MSE / Var(y_test)): what an architecture can
or cannot reach. Test errors are recorded beside it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from depthwidth.experiment.plan import Phase
from depthwidth.jobs import artifacts
from depthwidth.model.nets import derived_seed, forward, generator, make_student
from depthwidth.training import engine
from depthwidth.training.levmar import LMOptions, LMResult, levenberg_marquardt
from depthwidth.training.students import relative_errors

log = logging.getLogger("depthwidth")


def float64_targets(teacher: Sequence[torch.Tensor], data: Mapping[str, np.ndarray], phi: str) -> dict[str, np.ndarray]:
    """``data`` in float64 with its targets recomputed by the ``teacher`` in float64.

    The inputs were drawn in float32, so they are exact in float64; the targets of a float32 run
    are float32-rounded, which would floor every relative error near 1e-15 (1.2e-14 for the
    tutorial's deep student). Standardised targets are divided by the recorded scale again.
    """
    weights = [w.detach().to(torch.float64) for w in teacher]
    scale = float(data.get("target_scale", 1.0)) if bool(data.get("standardised", False)) else 1.0
    out = dict(data)
    with torch.no_grad():
        for split in ("train", "test"):
            X = torch.as_tensor(np.asarray(data[f"X_{split}"], dtype=np.float64))
            out[f"X_{split}"] = X.numpy()
            out[f"y_{split}"] = (forward(weights, X, phi) / scale).numpy()
    return out


def lm_options(section: Mapping[str, Any], search: bool = False) -> LMOptions:
    """The ``polish`` config section's Levenberg-Marquardt options (its ``search_`` ones if ``search``)."""
    if search:
        return LMOptions(tolerance=section["search_tolerance"], max_iterations=section["search_max_iterations"])
    return LMOptions(tolerance=section["tolerance"], max_iterations=section["max_iterations"])


def _float64(data: Mapping[str, np.ndarray]) -> tuple[torch.Tensor, torch.Tensor, float]:
    X = torch.as_tensor(np.asarray(data["X_train"], dtype=np.float64))
    y = torch.as_tensor(np.asarray(data["y_train"], dtype=np.float64))
    return X, y, float(np.var(data["y_test"], ddof=1))


def _record(result: LMResult, data, phi: str) -> dict[str, Any]:
    errors = relative_errors(result.weights, data, phi)
    return {
        "train_relative_error": errors["train_relative_error"],
        "test_relative_error": errors["test_relative_error"],
        "stop": result.reason,
        "iterations": result.iterations,
        "seconds": result.seconds,
    }


def polish(
    weights: Sequence[torch.Tensor], data: Mapping[str, np.ndarray], phi: str, options: LMOptions
) -> tuple[list[torch.Tensor], dict[str, Any]]:
    """Adam's final ``weights`` converged by Levenberg-Marquardt on ``data``'s training split.

    Returns the polished float64 weights and a record: the errors before (``adam_*``, recomputed
    in float64) and after, why it stopped, iterations and seconds.
    """
    start = [w.detach().to(torch.float64) for w in weights]
    before = relative_errors(start, data, phi)
    X, y, var = _float64(data)
    result = levenberg_marquardt(start, X, y, phi, scale=var, options=options)
    return result.weights, {
        "adam_train_relative_error": before["train_relative_error"],
        "adam_test_relative_error": before["test_relative_error"],
        **_record(result, data, phi),
    }


def search_key(section: Mapping[str, Any], sizes: Sequence[int], phi: str, lr: float) -> dict[str, Any]:
    """What a search journal must agree on to be resumed: everything a start's result depends on
    besides the seed and the data (whose hash the journal keeps per seed)."""
    return {
        "sizes": [int(n) for n in sizes],
        "phi": phi,
        "lr": float(lr),
        **{k: section[k] for k in ("search_tolerance", "search_max_iterations", "search_warmup_steps")},
    }


def search(
    sizes: Sequence[int],
    data: Mapping[str, np.ndarray],
    seed: int,
    name: str,
    phi: str,
    section: Mapping[str, Any],
    lr: float,
    done: Sequence[Mapping[str, Any]] = (),
    keep: Callable[[list[dict[str, Any]]], None] | None = None,
) -> dict[str, Any]:
    """Can ``sizes`` fit this teacher? Up to ``section["search_starts"]`` fresh starts, each
    ``search_warmup_steps`` of float64 Adam at ``lr`` then Levenberg-Marquardt, stopping at the
    first whose training error reaches ``search_tolerance``.

    ``done`` holds the records of starts already made (a resumed search: each start draws from
    its own stream, so start j's record does not depend on whether the ones before it ran in
    this process); ``keep`` is called with every start's record so far after each new one.
    Returns a record: per start its training error, stop reason and seconds, and the best
    training and test errors, the start that gave them, the starts taken, whether the tolerance
    was met and the seconds in all (resumed starts counted at their recorded seconds).
    """
    options = lm_options(section, search=True)
    X, y, var = _float64(data)
    starts = [dict(r) for r in done]
    for j in range(len(starts) + 1, section["search_starts"] + 1):
        if any(r["train_relative_error"] <= options.tolerance for r in starts):
            break
        init = make_student(sizes, "default", 1.0, generator(derived_seed(seed, name, "search", j)))
        began = time.perf_counter()
        warm = engine.train(init, X, y, [Phase(section["search_warmup_steps"], lr)], phi, dtype=torch.float64)
        result = levenberg_marquardt(warm.weights, X, y, phi, scale=var, options=options)
        starts.append({"start": j, **_record(result, data, phi), "seconds": time.perf_counter() - began})
        if keep is not None:
            keep(starts)
    best = min(starts, key=lambda r: r["train_relative_error"], default=None)
    return {
        "tolerance": options.tolerance,
        "starts": len(starts),
        "fitted": bool(best and best["train_relative_error"] <= options.tolerance),
        "best_train_relative_error": best["train_relative_error"] if best else float("nan"),
        "best_test_relative_error": best["test_relative_error"] if best else float("nan"),
        "best_start": best["start"] if best else None,
        "seconds": sum(r["seconds"] for r in starts),
        "each": starts,
    }


def _number(value: Any) -> float:
    return float("nan") if value is None else float(value)


class SearchJournal:
    """A search job's finished starts, per seed, in one JSON file (written atomically after every
    start), so that an interrupted search resumes at its next start instead of its first.

    The file holds ``key`` (:func:`search_key`) and, per seed, the hash of the data it searched
    and its start records. A journal of another key, or a seed's entry for other data, is stale:
    ignored with a warning and overwritten. One that cannot be read stops the job naming the
    file (atomic writes mean it was damaged after the fact). A successful run deletes it once the
    search's records exist, as it deletes training checkpoints.
    """

    def __init__(self, path: str | Path, key: Mapping[str, Any]):
        self.path, self.key = Path(path), dict(key)
        self.seeds: dict[str, Any] = {}
        if self.path.exists():
            state = artifacts.read_json(self.path, ("key", "seeds"))
            if state["key"] == self.key:
                self.seeds = state["seeds"]
            else:
                log.warning("%s: journal of a different search; starting over", self.path)

    def starts(self, seed: int, data_hash: str) -> list[dict[str, Any]]:
        """The records of ``seed``'s finished starts on the data of ``data_hash`` (none if stale)."""
        entry = self.seeds.get(str(seed))
        if entry and entry["data"] != data_hash:
            log.warning("%s: seed %d's starts were made on other data; starting over", self.path, seed)
            return []
        if not entry:
            return []
        # JSON keeps a NaN as null and an infinity as "inf" (artifacts.write_json)
        return [{k: _number(v) if k.endswith("error") else v for k, v in r.items()} for r in entry["starts"]]

    def keep(self, seed: int, data_hash: str, starts: Sequence[Mapping[str, Any]]) -> None:
        self.seeds[str(seed)] = {"data": data_hash, "starts": list(starts)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        artifacts.write_json(self.path, {"key": self.key, "seeds": self.seeds})
