"""Students: their initial weights, their training (a batch at a time) and the errors that matter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from depthwidth.experiment.plan import Phase, schedule_section, stream
from depthwidth.experiment.sizes import n_parameters
from depthwidth.jobs import artifacts
from depthwidth.model.nets import derived_seed, forward, generator, make_student
from depthwidth.model.teacher import teacher_stream, test_variance
from depthwidth.training import engine


def relative_errors(
    weights: Sequence[torch.Tensor], data: dict[str, np.ndarray], phi: str = "tanh"
) -> dict[str, float]:
    """Train and test MSE divided by Var(y_test), the unbiased variance (the tutorial's normalisation for both)."""
    var = test_variance(data)
    out = {}
    with torch.no_grad():
        for split in ("train", "test"):
            X = torch.as_tensor(data[f"X_{split}"]).to(weights[0].dtype)
            y = torch.as_tensor(data[f"y_{split}"]).to(weights[0].dtype)
            mse = float(((forward(weights, X, phi) - y) ** 2).mean())
            out[f"{split}_mse"] = mse
            out[f"{split}_relative_error"] = mse / var
    out["var_y_test"] = var
    return out


def student_generator(
    seeding: str,
    seed: int,
    name: str,
    teacher: Mapping[str, Any],
    preceding: Sequence[tuple[Sequence[int], str]] = (),
) -> torch.Generator:
    """The generator a student's initial weights are drawn from.

    ``seeding="tutorial"`` replays the tutorial's single stream: the teacher's generator after the
    teacher and its data (``teacher`` holds ``sizes``, ``sigma``, ``n_train``, ``n_test``), then
    the initial weights of every student drawn before this one, ``preceding`` as (sizes, init)
    pairs. With seed -1 this gives the tutorial's own initial weights, and still depends on
    nothing but the config. ``seeding="independent"`` seeds a generator from
    ``derived_seed(seed, name)``.
    """
    if seeding == "independent":
        return generator(derived_seed(seed, name))
    if seeding != "tutorial":
        raise ValueError(f"unknown student seeding {seeding!r}; choose tutorial or independent")
    g = teacher_stream(teacher["sizes"], teacher["sigma"], seed, teacher["n_train"], teacher["n_test"])
    for sizes, init in preceding:
        make_student(sizes, init, teacher["sigma"], g)
    return g


def student_seed(name: str, member: Mapping[str, Any], seeding: str) -> int | None:
    """The seed of a batch member's own generator, or None when it draws from its teacher's stream:
    ``derived_seed(seed, name, "restart", k)`` for restart k > 0, ``derived_seed(seed, name)`` under
    ``student_seeding: independent``."""
    if member.get("restart"):
        return derived_seed(member["seed"], name, "restart", member["restart"])
    return derived_seed(member["seed"], name) if seeding == "independent" else None


def initial_weights(
    sizes: Sequence[int], name: str, member: Mapping[str, Any], seeding: str, data: Mapping[str, int]
) -> list[torch.Tensor]:
    """A batch member's initial weights (``member``: a ``plan.Member`` as a mapping), from its own
    generator (:func:`student_seed`) or else its teacher's stream (``data``: the ``n_train`` and
    ``n_test`` points the stream drew)."""
    seed = student_seed(name, member, seeding)
    if seed is not None:
        g = generator(seed)
    else:
        teacher = stream(member["teacher_sizes"], member["sigma"], data)
        g = student_generator(seeding, member["seed"], name, teacher, member["preceding"])
    return make_student(sizes, member["init"], member["sigma"], g)


def _metrics(sizes, schedule, data, weights, losses, result, phi) -> dict[str, Any]:
    params = n_parameters(sizes)
    return {
        "sizes": list(sizes),
        "n_parameters": params,
        "points_per_parameter": len(data["X_train"]) / params,
        "steps": int(sum(p.steps for p in schedule)),
        "schedule": [{"steps": p.steps, "lr": p.lr} for p in schedule],
        "final_train_loss": float(losses[-1]) if len(losses) else float("nan"),
        "backend": result.backend,
        "device": result.device,
        **relative_errors(weights, data, phi),
    }


def train_students(
    sizes: Sequence[int],
    datas: Sequence[dict[str, np.ndarray]],
    schedule: Sequence[Phase],
    inits: Sequence[Sequence[torch.Tensor]],
    *,
    phi: str = "tanh",
    **options,
) -> tuple[engine.BatchResult, list[dict[str, Any]]]:
    """Train one student per dataset, from ``inits``, as one batch (``options``: ``engine.Options``).

    Returns the batch's result and each student's metrics: relative train/test errors, parameter
    count, points per parameter, schedule, backend. The metrics are a function of the inputs
    alone, so reruns give identical files; wall and compile times (``result.seconds``,
    ``result.compile_seconds``) go to the job's log and benchmark file instead.
    """
    X = np.stack([d["X_train"] for d in datas])  # (K, N, n_in)
    y = np.stack([d["y_train"] for d in datas])  # (K, N, n_out)
    result = engine.train_batch(inits, X, y, schedule, phi, **options)
    metrics = [
        _metrics(sizes, schedule, data, result.weights[k], result.losses[:, k], result, phi)
        for k, data in enumerate(datas)
    ]
    return result, metrics


def train_student(
    sizes: Sequence[int],
    data: dict[str, np.ndarray],
    schedule: Sequence[Phase],
    *,
    seed: int,
    name: str,
    init: str = "default",
    sigma: float = 1.0,
    phi: str = "tanh",
    init_generator: torch.Generator | None = None,
    **options,
) -> tuple[engine.TrainResult, dict[str, Any]]:
    """Initialise one student and train it (a batch of one).

    The initial weights come from ``init_generator`` (see :func:`student_generator`), or else
    from a generator of the student's own, seeded ``derived_seed(seed, name)``.
    """
    student_seed = None if init_generator is not None else derived_seed(seed, name)
    init_weights = make_student(sizes, init, sigma, init_generator or generator(student_seed))
    batch, (metrics,) = train_students(sizes, [data], schedule, [init_weights], phi=phi, **options)
    return batch.student(0), {"name": name, "student_seed": student_seed, "init": init, **metrics}


def check_finite(name: str, members: Sequence[Mapping[str, Any]], losses: np.ndarray, lr: float) -> None:
    """Raise, naming the learning-rate key and the first step, if a student's training loss
    (``losses``: (steps, K), member k's in column k) became non-finite anywhere."""
    bad = ~np.isfinite(losses)
    diverged = [
        f"{m['regime']} seed {m['seed']} at step {int(np.argmax(bad[:, k]))}"
        for k, m in enumerate(members)
        if bad[:, k].any()
    ]
    if diverged:
        section = schedule_section(name)
        raise ValueError(
            f"{name}: the training loss became non-finite ({'; '.join(diverged)}, of {len(losses)} steps); "
            f"config key '{section}.lr' = {lr:g} is too large for this student: lower it"
        )


def check_same_data(own: str, source: str, regime: str) -> None:
    """Refuse to copy regime ``regime``'s results from another regime's unless both data files hold
    the same dataset (``plan.copied_regimes`` says they should)."""
    mine, theirs = artifacts.read_dataset(own), artifacts.read_dataset(source)
    differ = [key for key in artifacts.DATASET_KEYS if not np.array_equal(mine[key], theirs[key])]
    if differ:
        raise artifacts.ArtifactError(
            f"{own} and {source} differ in {', '.join(differ)}, so regime {regime}'s students are not "
            f"copies of those trained on {source}; remake both with snakemake --cores all --forcerun {own} {source}"
        )


def save_student(outputs: Mapping[str, str], weights, losses: np.ndarray, metrics: dict[str, Any]) -> None:
    """Write a trained student's files: ``weights`` (+ its sidecar), ``metrics`` and ``loss``."""
    artifacts.write_npz(outputs["loss"], train_mse=losses)
    artifacts.write_weights(outputs["weights"], weights, {"role": "student", **metrics})
    artifacts.write_json(outputs["metrics"], metrics)
