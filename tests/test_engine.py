"""The training engine against torch.optim.Adam, batches, its checkpoints, and its fallbacks.

Each of its three ways of training is checked: the native loop (``engine="native"``), and the
torch engine eager and compiled. The compiled tests run ``torch.compile`` for real (a cold
compile takes several seconds) and the native ones build the C kernel: if either is unavailable
they fail with the reason, because ``compile="true"`` and ``engine="native"`` never fall back.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from depthwidth.model import nets, teacher
from depthwidth.training import checkpoint, engine, native
from depthwidth.training.engine import Phase
from depthwidth.training.reference import adam_reference

DEEP = [5, 5, 5, 5, 5, 1]
SHALLOW = [5, 15, 1]
# One phase each: at a phase restart Adam's first step is about lr * sign(gradient), which
# turns rounding-level differences in near-zero gradient components into lr-sized ones, so two
# exact implementations of a long phased run drift apart by 1e-8..1e-3 (seed-dependent).
# The restarts themselves are checked over short phases (test_every_phase_restarts_adam).
SCHEDULES = {
    "shallow": [Phase(2000, 1e-3)],
    "deep": [Phase(2000, 3e-3)],
}
PHASED = [Phase(150, 1e-2 / 3**k) for k in range(4)]
# The engine's ways of training, as options; "compiled" also takes a compile_cache.
HOW = {
    "native": {"engine": "native"},
    "eager": {"engine": "torch", "compile": "false"},
    "compiled": {"engine": "torch", "compile": "true", "steps_per_call": 3},
}
BACKEND = {"native": "native", "eager": "eager", "compiled": "compiled"}


def how(name: str, cache) -> dict:
    return {**HOW[name], "compile_cache": cache} if name == "compiled" else dict(HOW[name])


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def data():
    """The tutorial's chaotic teacher labelling 256 points (float64)."""
    _, d = teacher.draw_teacher_and_data(DEEP, 2.0, -1, n_train=256, n_test=10)
    return d["X_train"], d["y_train"]


def student(sizes):
    return nets.make_student(sizes, "default", 1.0, nets.generator(nets.derived_seed(-1, "test")))


@pytest.mark.parametrize("way", list(HOW))
def test_every_phase_restarts_adam(data, way, tmp_path):
    X, y = data
    ref_weights, ref_losses = adam_reference(student(DEEP), X, y, PHASED)
    result = engine.train(student(DEEP), X, y, PHASED, **how(way, tmp_path / "inductor"))
    assert result.backend == BACKEND[way], result.notes
    np.testing.assert_allclose(result.losses, ref_losses, rtol=1e-9, atol=0)
    for got, want in zip(result.weights, ref_weights):
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-12)
    # the check can tell: one Adam kept across the phases (only its lr changed) gives another curve
    _, kept = adam_reference(student(DEEP), X, y, PHASED, restart=False)
    assert np.abs(kept - ref_losses).max() / ref_losses[-1] > 1e-4


@pytest.fixture(scope="module")
def references(data):
    X, y = data
    return {
        "shallow": adam_reference(student(SHALLOW), X, y, SCHEDULES["shallow"]),
        "deep": adam_reference(student(DEEP), X, y, SCHEDULES["deep"]),
    }


def assert_matches(result, reference, rtol=1e-9):
    ref_weights, ref_losses = reference
    assert result.losses.shape == ref_losses.shape == (2000,)
    rel = np.abs(result.losses - ref_losses) / np.abs(ref_losses)
    assert rel.max() < rtol, f"loss curves differ by {rel.max():.3g} relative at step {rel.argmax()}"
    for got, want in zip(result.weights, ref_weights):
        torch.testing.assert_close(got, want, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("shape", ["shallow", "deep"])
def test_eager_matches_torch_adam(data, references, shape):
    X, y = data
    sizes = SHALLOW if shape == "shallow" else DEEP
    result = engine.train(student(sizes), X, y, SCHEDULES[shape], **HOW["eager"])
    assert result.backend == "eager"
    assert_matches(result, references[shape])


@pytest.mark.parametrize("shape", ["shallow", "deep"])
def test_compiled_matches_torch_adam(data, references, shape, tmp_path):
    X, y = data
    sizes = SHALLOW if shape == "shallow" else DEEP
    # 3 steps per graph keeps the cold compile short; 500 and 2000 are not multiples of 3, so
    # every phase also ends with eager steps.
    result = engine.train(student(sizes), X, y, SCHEDULES[shape], **how("compiled", tmp_path / "inductor"))
    assert result.backend == "compiled", result.notes
    assert result.compile_seconds > 0
    assert_matches(result, references[shape])


# Every architecture the workflow trains: the shallow widths of the default config and the
# studies, the teacher's shape, the equal-budget multi-layer students and teachers of depth 2..10.
NATIVE_SHAPES = [[5, w, 1] for w in (5, 10, 15, 45, 135)] + [
    DEEP,
    [5, 8, 8, 1],
    [5, 6, 6, 6, 1],
    [5, 4, 4, 4, 4, 4, 1],
    [5, 5, 1],
    [5] * 10 + [1],
]


@pytest.mark.parametrize("sizes", NATIVE_SHAPES, ids=lambda s: "-".join(map(str, s)))
def test_native_matches_torch_adam_over_1000_steps(data, sizes):
    """float64: the native loop's losses within 1e-10 of autograd + torch.optim.Adam at every one
    of 1000 steps, and its final weights within 1e-9.

    The depth-10 student learns from a teacher of its own depth, as in the depth study: on the
    depth-5 teacher's data this student's run amplifies rounding at step 797 so that any two
    exact implementations part (the torch engine by 3e-4 relative, the native loop by 4e-5)."""
    X, y = data
    if len(sizes) == 11:
        _, d = teacher.draw_teacher_and_data(sizes, 2.0, -1, n_train=256, n_test=10)
        X, y = d["X_train"], d["y_train"]
    schedule = [Phase(1000, 1e-3)]
    ref_weights, ref_losses = adam_reference(student(sizes), X, y, schedule)
    result = engine.train(student(sizes), X, y, schedule, **HOW["native"])
    assert result.backend == "native"
    rel = np.abs(result.losses - ref_losses) / np.abs(ref_losses)
    assert rel.max() <= 1e-10, f"loss curves differ by {rel.max():.3g} relative at step {rel.argmax()}"
    for got, want in zip(result.weights, ref_weights):
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-12)


def test_auto_falls_back_to_torch_where_the_native_loop_is_unavailable(data, monkeypatch, caplog):
    """engine auto: a one-line notice naming why, then the torch engine's numbers; engine native:
    the error itself."""
    X, y = data

    def no_compiler():
        raise native.Unavailable("no C compiler found (set CC, or install gcc)")

    monkeypatch.setattr(native, "load", no_compiler)
    with caplog.at_level(logging.WARNING, logger="depthwidth"):
        result = engine.train(student(SHALLOW), X, y, [Phase(20, 1e-3)], engine="auto", compile="false")
    assert result.backend == "eager"
    assert result.notes == [
        "native training loop unavailable (no C compiler found (set CC, or install gcc)); torch engine"
    ]
    assert caplog.text.count("native training loop unavailable") == 1
    eager = engine.train(student(SHALLOW), X, y, [Phase(20, 1e-3)], **HOW["eager"])
    assert np.array_equal(result.losses, eager.losses)
    with pytest.raises(native.Unavailable, match="no C compiler found"):
        engine.train(student(SHALLOW), X, y, [Phase(20, 1e-3)], engine="native")


class Interrupt(Exception):
    pass


def interrupt_after(step):
    def progress(done, total, losses, seconds):
        if done >= step:
            raise Interrupt(done)

    return progress


@pytest.mark.parametrize("way", list(HOW))
def test_resume_is_bitwise_identical(data, tmp_path, way):
    X, y = data
    schedule = [Phase(40, 3e-3), Phase(35, 1e-3), Phase(31, 3e-4)]
    opts = {**how(way, tmp_path / "inductor"), "steps_per_call": 3}
    whole = engine.train(student(DEEP), X, y, schedule, **opts)
    ckpt = tmp_path / "checkpoint.pt"
    with pytest.raises(Interrupt):  # killed at step 60 (native: 63), after the checkpoint at (at least) 56
        engine.train(
            student(DEEP),
            X,
            y,
            schedule,
            checkpoint=ckpt,
            checkpoint_every=7,
            progress=interrupt_after(60),
            progress_every=0,
            **opts,
        )
    assert ckpt.exists()
    resumed = engine.train(student(DEEP), X, y, schedule, checkpoint=ckpt, checkpoint_every=7, **opts)
    assert 50 <= resumed.resumed_at <= 63
    assert resumed.backend == whole.backend == BACKEND[way]
    assert np.array_equal(resumed.losses, whole.losses)
    for a, b in zip(resumed.weights, whole.weights):
        assert torch.equal(a, b)
    assert ckpt.exists()  # left for the caller, who removes it once the outputs are written
    checkpoint.remove(ckpt)
    assert not ckpt.exists()


def test_stale_checkpoint_is_ignored(data, tmp_path, caplog):
    X, y = data
    ckpt = tmp_path / "checkpoint.pt"
    with pytest.raises(Interrupt):
        engine.train(
            student(DEEP),
            X,
            y,
            [Phase(30, 1e-3)],
            checkpoint=ckpt,
            checkpoint_every=5,
            progress=interrupt_after(20),
            progress_every=0,
        )
    with caplog.at_level(logging.WARNING, logger="depthwidth"):
        result = engine.train(student(DEEP), X, y, [Phase(30, 2e-3)], checkpoint=ckpt, checkpoint_every=5)
    assert result.resumed_at == 0
    assert "checkpoint of a different run (differs in ['schedule'])" in caplog.text
    fresh = engine.train(student(DEEP), X, y, [Phase(30, 2e-3)])
    assert np.array_equal(result.losses, fresh.losses)


def test_corrupt_checkpoint_names_the_file(data, tmp_path):
    X, y = data
    ckpt = tmp_path / "checkpoint.pt"
    ckpt.write_bytes(b"not a zip")
    with pytest.raises(engine.CheckpointError, match="checkpoint.pt: unreadable checkpoint"):
        engine.train(student(SHALLOW), X, y, [Phase(5, 1e-3)], checkpoint=ckpt, checkpoint_every=2)


def test_auto_falls_back_to_eager_when_compile_fails(data, monkeypatch, caplog):
    X, y = data

    def broken_compile(*args, **kwargs):
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(torch, "compile", broken_compile)
    monkeypatch.setattr(engine, "_COMPILED", {})  # no graph compiled earlier in this process
    with caplog.at_level(logging.WARNING, logger="depthwidth"):
        result = engine.train(
            student(SHALLOW), X, y, [Phase(20, 1e-3)], engine="torch", compile="auto", compile_min_work=0
        )
    assert result.backend == "eager"
    assert "no compiler here" in result.notes[0] and "no compiler here" in caplog.text
    eager = engine.train(student(SHALLOW), X, y, [Phase(20, 1e-3)], **HOW["eager"])
    assert np.array_equal(result.losses, eager.losses)
    with pytest.raises(RuntimeError, match="no compiler here"):
        engine.train(student(SHALLOW), X, y, [Phase(20, 1e-3)], engine="torch", compile="true")


@pytest.mark.parametrize(("min_work", "tries"), [(256 * 15 * 20, True), (256 * 15 * 20 + 1, False)])
def test_auto_compiles_only_runs_long_enough_to_repay_it(data, monkeypatch, min_work, tries):
    """20 steps x 256 points x 15 hidden units: compiled from that much work on, eager below it."""
    X, y = data
    attempts = []

    def compile_attempt(*args, **kwargs):
        attempts.append(args)
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(torch, "compile", compile_attempt)
    monkeypatch.setattr(engine, "_COMPILED", {})
    result = engine.train(
        student(SHALLOW), X, y, [Phase(20, 1e-3)], engine="torch", compile="auto", compile_min_work=min_work
    )
    assert result.backend == "eager"
    assert bool(attempts) == tries
    assert bool(result.notes) == tries
    # the default: the tutorial's width-45 student (20000 steps, 4000 points) runs eager, width 135
    # and the deep one (200000 steps, 20 hidden units) compiled
    assert 20000 * 4000 * 45 < engine.AUTO_COMPILE_WORK <= 20000 * 4000 * 135 <= 200000 * 4000 * 20


@pytest.mark.parametrize(("way", "steps"), [("eager", list(range(1, 8))), ("native", [4, 7])])
def test_progress_reports_step_and_loss(data, way, steps):
    """After every call: each step eager, each phase (or NATIVE_STEPS_PER_CALL steps) natively."""
    X, y = data
    calls = []
    result = engine.train(
        student(SHALLOW),
        X,
        y,
        [Phase(4, 1e-3), Phase(3, 1e-4)],
        progress=lambda *a: calls.append(a),
        progress_every=0,
        **HOW[way],
    )
    assert [c[0] for c in calls] == steps
    assert all(c[1] == 7 for c in calls)
    assert [float(c[2][0]) for c in calls] == list(result.losses[np.array(steps) - 1])  # one per student
    seconds = [c[3] for c in calls]
    assert seconds == sorted(seconds) and seconds[0] >= 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"compile": "maybe"}, "compile must be auto, true or false, got 'maybe'"),
        ({"engine": "fast"}, "engine must be one of auto, native, torch, got 'fast'"),
        ({"device": "tpu"}, "device must be auto, cpu or cuda, got 'tpu'"),
        ({"steps_per_call": 0}, "steps_per_call must be at least 1"),
        ({"checkpoint_every": -1}, "checkpoint_every must be >= 0"),
    ],
)
def test_bad_options_are_named(data, kwargs, message):
    X, y = data
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        engine.train(student(SHALLOW), X, y, [Phase(2, 1e-3)], **kwargs)


def test_data_that_does_not_fit_the_net_is_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="do not fit layer shapes"):
        engine.train(student(SHALLOW), X[:, :4], y, [Phase(2, 1e-3)])


def test_float32_training_stays_float32(data):
    X, y = data
    result = engine.train(student(SHALLOW), X, y, [Phase(10, 1e-3)], dtype=torch.float32)
    assert result.losses.dtype == np.float32
    assert all(w.dtype == torch.float32 for w in result.weights)
    assert result.losses[-1] < result.losses[0]


@pytest.mark.parametrize("way", list(HOW))
@pytest.mark.parametrize("shape", ["shallow", "deep"])
def test_float32_matches_torch_adam_in_float32(data, shape, way, tmp_path):
    """float32 is the default dtype: there the engine follows float32 ``torch.optim.Adam`` to within
    rounding (measured: at most 5e-7 relative over these 500 steps; float32 against float64 is 1e-6)."""
    X, y = data
    sizes = SHALLOW if shape == "shallow" else DEEP
    schedule = [Phase(500, SCHEDULES[shape][0].lr)]
    _, ref = adam_reference(student(sizes), X, y, schedule, dtype=torch.float32)
    result = engine.train(
        student(sizes),
        X,
        y,
        schedule,
        dtype=torch.float32,
        **how(way, tmp_path / "inductor"),
    )
    assert result.backend == BACKEND[way], result.notes
    rel = np.abs(result.losses - ref) / ref
    assert rel.max() < 1e-5, f"loss curves differ by {rel.max():.3g} relative at step {rel.argmax()}"
    assert result.losses[-1] < 0.5 * result.losses[0]


# --- batches: many students of one architecture in one program ---------------------------------

BATCH = 40


@pytest.fixture(scope="module")
def teachers_data():
    """BATCH chaotic teachers (seeds 0..39) labelling 256 points each: X (40, 256, 5), y (40, 256, 1)."""
    sets = [teacher.draw_teacher_and_data(DEEP, 2.0, seed, n_train=256, n_test=10)[1] for seed in range(BATCH)]
    return np.stack([d["X_train"] for d in sets]), np.stack([d["y_train"] for d in sets])


def students(sizes, k):
    return [
        nets.make_student(sizes, "default", 1.0, nets.generator(nets.derived_seed(seed, "batch"))) for seed in range(k)
    ]


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("inductor")


@pytest.fixture(scope="module")
def alone(teachers_data, shared_cache):
    """Student k of a shape trained by itself: by autograd and torch.optim.Adam ("reference"), or
    by the engine as a batch of one (a key of HOW); computed once."""
    X, y = teachers_data
    cache = {}

    def run(shape, k, how):
        if (shape, k, how) not in cache:
            sizes = SHALLOW if shape == "shallow" else DEEP
            w = students(sizes, k + 1)[k]
            if how == "reference":
                cache[shape, k, how] = adam_reference(w, X[k], y[k], SCHEDULES[shape])[1]
            else:
                cache[shape, k, how] = engine.train(w, X[k], y[k], SCHEDULES[shape], **way(how, shared_cache)).losses
        return cache[shape, k, how]

    return run


way = how  # the name `how` is the fixture's argument below


# The first four students train stably. Over 2000 steps 8 of the 40 deep ones (4, 5, 11, 13, 14,
# 18, 32, 35) amplify rounding-level differences between any two exact implementations to
# 5e-3..1e-1 (the engine alone against torch.optim.Adam as much as a batch), so the others are
# held to the engine alone, bitwise equal to them in a batch.
STABLE = 4


@pytest.mark.parametrize("compile", list(HOW))
@pytest.mark.parametrize("shape", ["shallow", "deep"])
@pytest.mark.parametrize("k", [1, 5, BATCH])
def test_every_student_of_a_batch_equals_training_it_alone(teachers_data, alone, shared_cache, compile, shape, k):
    """float64, 2000 steps, each student on its own teacher's data: within 1e-9 of training it
    alone, with the engine and (for stable teachers) with torch.optim.Adam."""
    X, y = teachers_data
    sizes = SHALLOW if shape == "shallow" else DEEP
    result = engine.train_batch(students(sizes, k), X[:k], y[:k], SCHEDULES[shape], **how(compile, shared_cache))
    assert result.backend == BACKEND[compile], result.notes
    assert result.losses.shape == (2000, k) and len(result.weights) == k
    for j in range(k):
        for other in (compile, "reference") if j < STABLE else (compile,):
            ref = alone(shape, j, other)
            rel = np.abs(result.losses[:, j] - ref) / ref
            assert rel.max() <= 1e-9, f"student {j} of {k} against {other}: {rel.max():.3g} at step {rel.argmax()}"


@pytest.mark.parametrize("compile", list(HOW))
@pytest.mark.parametrize("shape", ["shallow", "deep"])
def test_a_students_numbers_do_not_depend_on_its_batch(teachers_data, shared_cache, compile, shape):
    """Bitwise: one student alone, first of a batch, and last of one (in a padded last group)."""
    X, y = teachers_data
    sizes = SHALLOW if shape == "shallow" else DEEP
    nets_ = students(sizes, 7)
    opts = {**how(compile, shared_cache), "dtype": torch.float32}
    schedule = [Phase(300, 3e-3), Phase(100, 1e-3)]
    alone = engine.train_batch([nets_[0]], X[:1], y[:1], schedule, **opts)
    first = engine.train_batch(nets_, X[:7], y[:7], schedule, group=3, **opts)
    order = [1, 2, 3, 4, 5, 6, 0]  # groups [1 2 3] [4 5 6] [0 + two copies of it]
    last = engine.train_batch([nets_[i] for i in order], X[order], y[order], schedule, group=3, **opts)
    for name, other, j in (("first", first, 0), ("last", last, 6)):
        assert np.array_equal(alone.losses[:, 0], other.losses[:, j]), name
        assert all(torch.equal(a, b) for a, b in zip(alone.weights[0], other.weights[j])), name
    assert not np.array_equal(first.losses[:, 0], first.losses[:, 1])  # the students differ


def test_groups_fit_a_cpu_cache_and_take_the_whole_batch_on_a_gpu():
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    deep = [(5, 5)] * 4 + [(1, 5)]
    assert engine.group_size(deep, 4000, torch.float32, cpu, 40) == 4  # 320 kB of activations each
    assert engine.group_size(deep, 4000, torch.float32, cpu, 2) == 2
    assert engine.group_size(deep, 4000, torch.float64, cpu, 40) == 2  # 640 kB each
    assert engine.group_size([(45, 5), (1, 45)], 4000, torch.float32, cpu, 40) == 1
    # as even as they go: 40 students of at most 16 (80 kB each) in 3 groups of 14, not 16, 16, 8
    assert engine.group_size([(5, 5), (1, 5)], 4000, torch.float32, cpu, 40) == 14
    assert engine.group_size([(5, 5), (1, 5)], 4000, torch.float32, cpu, 1) == 1
    assert engine.group_size(deep, 4000, torch.float64, gpu, 40) == 40


def test_a_batch_resumes_each_group_bitwise(teachers_data, tmp_path):
    X, y = teachers_data
    schedule = [Phase(30, 3e-3), Phase(20, 1e-3)]
    whole = engine.train_batch(students(DEEP, 4), X[:4], y[:4], schedule, group=2)
    ckpt = tmp_path / "deep.pt"
    with pytest.raises(Interrupt):  # in the second group: the first one's final state is kept
        engine.train_batch(
            students(DEEP, 4),
            X[:4],
            y[:4],
            schedule,
            group=2,
            checkpoint=ckpt,
            checkpoint_every=7,
            progress=interrupt_after(50 + 30),
            progress_every=0,
        )
    assert ckpt.exists() and (tmp_path / "deep.1.pt").exists()
    resumed = engine.train_batch(
        students(DEEP, 4), X[:4], y[:4], schedule, group=2, checkpoint=ckpt, checkpoint_every=7
    )
    assert 50 + 28 <= resumed.resumed_at <= 50 + 30
    assert np.array_equal(resumed.losses, whole.losses)
    checkpoint.remove(ckpt)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_batch_shares_one_architecture(teachers_data):
    X, y = teachers_data
    with pytest.raises(ValueError, match="student 1 has layer shapes"):
        engine.train_batch([student(DEEP), student(SHALLOW)], X[:2], y[:2], [Phase(2, 1e-3)])
    with pytest.raises(ValueError, match="X must be \\(students, points, features\\) with 2 students"):
        engine.train_batch(students(DEEP, 2), X[:3], y[:2], [Phase(2, 1e-3)])
