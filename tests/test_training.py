"""Training lowers the error, and the errors are normalised as the tutorial does."""

import numpy as np
import pytest
import torch

from depthwidth.experiment import plan
from depthwidth.experiment.sizes import deep_sizes, shallow_sizes
from depthwidth.model.teacher import draw_teacher_and_data
from depthwidth.training import engine
from depthwidth.training.students import relative_errors, train_student


@pytest.fixture(scope="module")
def chaotic_data():
    return draw_teacher_and_data(deep_sizes(5, 5, 5), 2.0, -1, 600, 200)[1]


def test_training_lowers_the_error(chaotic_data):
    result, metrics = train_student(
        shallow_sizes(5, 15), chaotic_data, [engine.Phase(400, 1e-2)], seed=-1, name="shallow_w15"
    )
    assert result.losses.shape == (400,)
    assert np.isfinite(result.losses).all()
    assert result.losses[-1] < 0.5 * result.losses[0]
    assert metrics["train_relative_error"] < 0.2
    assert metrics["n_parameters"] == 90
    assert metrics["points_per_parameter"] == pytest.approx(600 / 90)


def test_same_seed_same_student(chaotic_data):
    a = train_student(shallow_sizes(5, 5), chaotic_data, [engine.Phase(50, 1e-2)], seed=3, name="shallow_w5")
    b = train_student(shallow_sizes(5, 5), chaotic_data, [engine.Phase(50, 1e-2)], seed=3, name="shallow_w5")
    c = train_student(shallow_sizes(5, 5), chaotic_data, [engine.Phase(50, 1e-2)], seed=4, name="shallow_w5")
    assert np.array_equal(a[0].losses, b[0].losses)
    assert not np.array_equal(a[0].losses, c[0].losses)


def test_relative_error_divides_by_the_unbiased_test_variance():
    data = {
        "X_train": np.zeros((3, 1)),
        "y_train": np.array([[1.0], [1.0], [1.0]]),
        "X_test": np.zeros((4, 1)),
        "y_test": np.array([[0.0], [1.0], [2.0], [3.0]]),
    }
    errors = relative_errors([torch.zeros(1, 1, dtype=torch.float64)], data)
    assert errors["var_y_test"] == pytest.approx(5 / 3)
    assert errors["test_relative_error"] == pytest.approx((0 + 1 + 4 + 9) / 4 / (5 / 3))
    assert errors["train_relative_error"] == pytest.approx(1.0 / (5 / 3))


def test_phased_schedule_divides_the_rate():
    phases = plan.phased_schedule(4, 50000, 3e-3, 3)
    assert [p.steps for p in phases] == [50000] * 4
    assert [p.lr for p in phases] == pytest.approx([3e-3, 1e-3, 3e-3 / 9, 3e-3 / 27])


def test_a_non_finite_loss_names_the_learning_rate_key_and_the_step():
    from depthwidth.training.students import check_finite

    losses = np.ones((100, 3))
    losses[37:, 1] = np.nan
    losses[90:, 2] = np.inf
    members = [{"regime": "chaotic", "seed": s} for s in (-1, 7, 8)]
    check_finite("deep", members, np.ones((100, 3)), 3e-3)  # finite: nothing to say
    with pytest.raises(ValueError) as err:
        check_finite("deep", members, losses, 3e-3)
    assert str(err.value) == (
        "deep: the training loss became non-finite (chaotic seed 7 at step 37; chaotic seed 8 at step 90, "
        "of 100 steps); config key 'deep.lr' = 0.003 is too large for this student: lower it"
    )
    with pytest.raises(ValueError, match="config key 'shallow.lr' = 10 is too large"):
        check_finite("shallow_w5", members, losses, 10.0)
