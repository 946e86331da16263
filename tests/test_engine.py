"""The training engine against torch.optim.Adam, its checkpoints, and its compile fallback.

The compiled tests run ``torch.compile`` for real (a cold compile takes tens of seconds): if it
is unavailable they fail with the reason, because ``compile="true"`` never falls back.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from depthwidth import engine, nets, teacher
from depthwidth.engine import Phase
from depthwidth.reference import adam_reference

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


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One thread, as every workflow job runs (and OpenMP threads crawl on a busy machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def data():
    """The tutorial's chaotic teacher labelling 256 points (float64)."""
    _, d = teacher.draw_teacher_and_data(DEEP, 2.0, -1, n_train=256, n_test=10)
    return d["X_train"], d["y_train"]


def student(sizes):
    return nets.make_student(sizes, "default", 1.0, nets.generator(nets.derived_seed(-1, "test")))


@pytest.mark.parametrize("compile", ["false", "true"])
def test_every_phase_restarts_adam(data, compile, tmp_path):
    X, y = data
    ref_weights, ref_losses = adam_reference(student(DEEP), X, y, PHASED)
    result = engine.train(student(DEEP), X, y, PHASED, compile=compile, steps_per_call=3,
                          compile_cache=tmp_path / "inductor")
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
    result = engine.train(student(sizes), X, y, SCHEDULES[shape], compile="false")
    assert result.backend == "eager"
    assert_matches(result, references[shape])


@pytest.mark.parametrize("shape", ["shallow", "deep"])
def test_compiled_matches_torch_adam(data, references, shape, tmp_path):
    X, y = data
    sizes = SHALLOW if shape == "shallow" else DEEP
    # 3 steps per graph keeps the cold compile short; 500 and 2000 are not multiples of 3, so
    # every phase also ends with eager steps.
    result = engine.train(student(sizes), X, y, SCHEDULES[shape], compile="true", steps_per_call=3,
                          compile_cache=tmp_path / "inductor")
    assert result.backend == "compiled", result.notes
    assert result.compile_seconds > 0
    assert_matches(result, references[shape])


class Interrupt(Exception):
    pass


def interrupt_after(step):
    def progress(done, total, loss):
        if done >= step:
            raise Interrupt(done)

    return progress


@pytest.mark.parametrize("compile", ["false", "true"])
def test_resume_is_bitwise_identical(data, tmp_path, compile):
    X, y = data
    schedule = [Phase(40, 3e-3), Phase(35, 1e-3), Phase(31, 3e-4)]
    opts = dict(compile=compile, steps_per_call=3, compile_cache=tmp_path / "inductor")
    whole = engine.train(student(DEEP), X, y, schedule, **opts)
    ckpt = tmp_path / "checkpoint.pt"
    with pytest.raises(Interrupt):  # killed at step 60, after the checkpoint at (at least) 56
        engine.train(student(DEEP), X, y, schedule, checkpoint=ckpt, checkpoint_every=7,
                     progress=interrupt_after(60), progress_every=0, **opts)
    assert ckpt.exists()
    resumed = engine.train(student(DEEP), X, y, schedule, checkpoint=ckpt, checkpoint_every=7, **opts)
    assert 50 <= resumed.resumed_at <= 60
    assert resumed.backend == whole.backend
    assert np.array_equal(resumed.losses, whole.losses)
    for a, b in zip(resumed.weights, whole.weights):
        assert torch.equal(a, b)
    assert ckpt.exists()  # left for the caller, who removes it once the outputs are written
    engine.remove_checkpoint(ckpt)
    assert not ckpt.exists()


def test_stale_checkpoint_is_ignored(data, tmp_path, caplog):
    X, y = data
    ckpt = tmp_path / "checkpoint.pt"
    with pytest.raises(Interrupt):
        engine.train(student(DEEP), X, y, [Phase(30, 1e-3)], checkpoint=ckpt, checkpoint_every=5,
                     progress=interrupt_after(20), progress_every=0)
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
    with caplog.at_level(logging.WARNING, logger="depthwidth"):
        result = engine.train(student(SHALLOW), X, y, [Phase(20, 1e-3)], compile="auto", compile_min_work=0)
    assert result.backend == "eager"
    assert "no compiler here" in result.notes[0] and "no compiler here" in caplog.text
    eager = engine.train(student(SHALLOW), X, y, [Phase(20, 1e-3)], compile="false")
    assert np.array_equal(result.losses, eager.losses)
    with pytest.raises(RuntimeError, match="no compiler here"):
        engine.train(student(SHALLOW), X, y, [Phase(20, 1e-3)], compile="true")


@pytest.mark.parametrize(("min_work", "tries"), [(256 * 15 * 20, True), (256 * 15 * 20 + 1, False)])
def test_auto_compiles_only_runs_long_enough_to_repay_it(data, monkeypatch, min_work, tries):
    """20 steps x 256 points x 15 hidden units: compiled from that much work on, eager below it."""
    X, y = data
    attempts = []

    def compile_attempt(*args, **kwargs):
        attempts.append(args)
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(torch, "compile", compile_attempt)
    result = engine.train(student(SHALLOW), X, y, [Phase(20, 1e-3)], compile="auto", compile_min_work=min_work)
    assert result.backend == "eager"
    assert bool(attempts) == tries
    assert bool(result.notes) == tries
    # the default: the tutorial's width-45 student (20000 steps, 4000 points) runs eager, width 135 compiled
    assert 20000 * 4000 * 45 < engine.AUTO_COMPILE_WORK <= 20000 * 4000 * 135


def test_progress_reports_step_and_loss(data):
    X, y = data
    calls = []
    result = engine.train(student(SHALLOW), X, y, [Phase(4, 1e-3), Phase(3, 1e-4)],
                          progress=lambda *a: calls.append(a), progress_every=0)
    assert [c[0] for c in calls] == list(range(1, 8))
    assert all(c[1] == 7 for c in calls)
    assert [c[2] for c in calls] == list(result.losses)
    assert all(len(c) == 3 for c in calls)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"compile": "maybe"}, "compile must be auto, true or false, got 'maybe'"),
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


@pytest.mark.parametrize("compile", ["false", "true"])
@pytest.mark.parametrize("shape", ["shallow", "deep"])
def test_float32_matches_torch_adam_in_float32(data, shape, compile, tmp_path):
    """float32 is the default dtype: there the engine follows float32 ``torch.optim.Adam`` to within
    rounding (measured: at most 5e-7 relative over these 500 steps; float32 against float64 is 1e-6)."""
    X, y = data
    sizes = SHALLOW if shape == "shallow" else DEEP
    schedule = [Phase(500, SCHEDULES[shape][0].lr)]
    _, ref = adam_reference(student(sizes), X, y, schedule, dtype=torch.float32)
    result = engine.train(student(sizes), X, y, schedule, dtype=torch.float32, compile=compile,
                          steps_per_call=3, compile_cache=tmp_path / "inductor")
    assert result.backend == ("compiled" if compile == "true" else "eager"), result.notes
    rel = np.abs(result.losses - ref) / ref
    assert rel.max() < 1e-5, f"loss curves differ by {rel.max():.3g} relative at step {rel.argmax()}"
    assert result.losses[-1] < 0.5 * result.losses[0]
