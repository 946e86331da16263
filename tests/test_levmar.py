"""The float64 Levenberg-Marquardt stage: its Jacobian, its fits, its stop reasons, against scipy's."""

import numpy as np
import pytest
import torch

from depthwidth.experiment.sizes import deep_sizes, shallow_sizes
from depthwidth.model.nets import forward, generator, make_student, make_teacher
from depthwidth.model.teacher import draw_teacher_and_data
from depthwidth.training import levmar
from depthwidth.training.levmar import (
    LMOptions,
    flatten,
    levenberg_marquardt,
    polish_batch,
    residuals_and_jacobian,
    unflatten,
)

DEEP = deep_sizes(5, 5, 5)  # [5, 5, 5, 5, 5, 1]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tutorial():
    """The tutorial's teacher (float64) and its training data with float64 targets; scale = Var(y_test)."""
    teacher, data = draw_teacher_and_data(DEEP, 2.0, -1, 4000, 1000)
    teacher = [w.double() for w in teacher]
    X = torch.as_tensor(data["X_train"]).double()
    y = forward(teacher, X)
    scale = float(forward(teacher, torch.as_tensor(data["X_test"]).double()).var())
    return teacher, X, y, scale


def fresh(sizes, seed):
    return [w.double() for w in make_student(sizes, "default", 2.0, generator(seed))]


def near(weights, noise, seed):
    g = torch.Generator().manual_seed(seed)
    return [w + noise * torch.randn(w.shape, generator=g, dtype=torch.float64) for w in weights]


@pytest.mark.parametrize("phi", ["tanh", "linear"])
@pytest.mark.parametrize("sizes", [DEEP, shallow_sizes(5, 15)], ids=["deep", "shallow15"])
def test_jacobian_is_autograds(sizes, phi):
    weights = fresh(sizes, 1)
    X = torch.randn(64, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    y = torch.randn(64, 1, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    shapes = [w.shape for w in weights]
    r, J = residuals_and_jacobian(weights, X, y, phi)
    want = torch.func.jacrev(lambda theta: forward(unflatten(theta, shapes), X, phi).reshape(-1))(flatten(weights))
    assert J.shape == (64, sum(w.numel() for w in weights)) and J.dtype == torch.float64
    assert float((J - want).abs().max()) <= 1e-10 * float(want.abs().max())
    assert torch.allclose(r, (forward(weights, X, phi) - y).reshape(-1), rtol=0, atol=1e-14)


def test_near_teacher_start_is_polished_below_1e_20(tutorial):
    teacher, X, y, scale = tutorial
    result = levenberg_marquardt(near(teacher, 1e-3, 0), X, y, "tanh", scale, LMOptions())
    assert result.error_start > 1e-7
    assert result.error <= 1e-20
    assert result.reason in ("tolerance", "rounding")
    assert result.iterations <= 40
    assert [w.shape for w in result.weights] == [w.shape for w in teacher]
    assert all(w.dtype == torch.float64 for w in result.weights)
    assert result.history[-1] == result.error and np.all(np.diff(result.history) < 0)


@pytest.mark.parametrize("sizes", [DEEP, shallow_sizes(5, 45)], ids=["deep", "shallow45"])
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_polish_never_ends_above_its_start(tutorial, sizes, seed):
    _, X, y, scale = tutorial
    result = levenberg_marquardt(fresh(sizes, seed), X[:1000], y[:1000], "tanh", scale, LMOptions(max_iterations=8))
    assert result.error <= result.error_start
    assert np.all(result.history <= result.error_start) and np.all(np.diff(result.history) <= 0)
    assert result.reason == "budget" and result.iterations == 8


def test_a_students_result_does_not_depend_on_its_batch(tutorial):
    _, X, y, scale = tutorial
    # 300 points: X[1] starts 12000 bytes into the batch, off a 64-byte boundary
    Xb, yb = X[:900].reshape(3, 300, 5), y[:900].reshape(3, 300, 1)
    students = [fresh(shallow_sizes(5, 10), seed) for seed in (21, 22, 23)]
    options = LMOptions(max_iterations=15)
    alone = polish_batch([students[1]], Xb[1:2].clone(), yb[1:2].clone(), "tanh", [scale], options)[0]
    batch = polish_batch(students, Xb, yb, "tanh", [scale] * 3, options)
    for a, b in zip(alone.weights, batch[1].weights):
        assert torch.equal(a, b)
    assert np.array_equal(alone.history, batch[1].history) and alone.error < alone.error_start


def test_agrees_with_scipys_levenberg_marquardt():
    """A non-zero-residual minimum (noisy targets) with an isolated minimiser near the teacher: our
    LM and MINPACK's (scipy, x_scale="jac": Marquardt's scaling) from the same start must meet."""
    least_squares = pytest.importorskip("scipy.optimize").least_squares
    g = generator(3)
    teacher = [w.double() for w in make_teacher(shallow_sizes(5, 5), 2.0, g)]
    X = torch.randn(300, 5, generator=g, dtype=torch.float64)
    y = forward(teacher, X) + 0.1 * torch.randn(300, 1, generator=g, dtype=torch.float64)
    start = near(teacher, 0.1, 4)
    ours = levenberg_marquardt(start, X, y, "tanh", 1.0, LMOptions(tolerance=0))
    shapes = [w.shape for w in start]

    def at(theta):
        return residuals_and_jacobian(unflatten(torch.from_numpy(theta), shapes), X, y)

    tol = dict(ftol=1e-15, xtol=1e-15, gtol=1e-15)
    theirs = least_squares(
        lambda t: at(t)[0].numpy(), flatten(start).numpy(), jac=lambda t: at(t)[1].numpy(), method="lm", **tol
    )
    assert theirs.success
    their_error = 2 * theirs.cost / 300
    assert ours.error < 0.5 * ours.error_start
    assert abs(ours.error - their_error) <= 1e-9 * their_error
    assert float((flatten(ours.weights) - torch.from_numpy(theirs.x)).abs().max()) <= 1e-5


def test_relu_is_refused(tutorial):
    teacher, X, y, _ = tutorial
    with pytest.raises(ValueError, match=r"relu.*non-smooth.*Gauss-Newton"):
        levenberg_marquardt(teacher, X, y, "relu")
    with pytest.raises(ValueError, match="relu"):
        residuals_and_jacobian(teacher, X, y, "relu")


def test_stop_reasons(tutorial):
    teacher, X, y, scale = tutorial
    X, y, start = X[:500], y[:500], fresh(shallow_sizes(5, 5), 31)
    budget = levenberg_marquardt(start, X, y, "tanh", scale, LMOptions(max_iterations=3))
    assert (budget.reason, budget.iterations) == ("budget", 3)
    assert levenberg_marquardt(start, X, y, "tanh", scale, LMOptions(max_seconds=0)).reason == "budget"
    # demanding a factor 1e6 per accepted step: stalled after the first two
    stalled = levenberg_marquardt(start, X, y, "tanh", scale, LMOptions(stall_iterations=1, stall_rtol=1 - 1e-6))
    assert stalled.reason == "stalled" and len(stalled.history) == 2
    # near the teacher with no tolerance: down to where float64 resolves nothing more
    floor = levenberg_marquardt(near(teacher, 1e-3, 0), X, y, "tanh", scale, LMOptions(tolerance=0))
    assert floor.reason == "rounding" and 0 < floor.error <= 1e-29
    # at the teacher (zero residuals, bitwise): the tolerance is met before any step
    met = levenberg_marquardt(teacher, X, y, "tanh", scale, LMOptions())
    assert (met.reason, met.iterations, met.error) == ("tolerance", 0, met.error_start)


def test_float32_targets_floor_the_fit(tutorial):
    """The module's claim: targets rounded to float32 leave ~1e-15 relative error under the best fit."""
    teacher, X, y, scale = tutorial
    y32 = y.float().double()
    result = levenberg_marquardt(teacher, X, y32, "tanh", scale, LMOptions(max_iterations=20))
    assert 1e-17 < result.error < 1e-13
    assert levmar.residuals(teacher, X, y, "tanh").abs().max() <= 1e-14


def test_geodesic_acceleration_follows_the_valley_the_classic_steps_crawl():
    """Transtrum and Sethna's second-order term: from the same warmed-up start of a deep student
    of a quasi-linear teacher (sigma_w 0.5: Gauss-Newton steps along a narrow curved valley), 150
    steps reach ~1e-10 with it and stay above 1e-7 without (measured 9.8e-11 against 1.4e-7)."""
    from depthwidth.experiment.plan import Phase
    from depthwidth.model import nets
    from depthwidth.model.teacher import draw_teacher_and_data
    from depthwidth.training import engine

    sizes = [5, 5, 5, 5, 5, 1]
    _, data = draw_teacher_and_data(sizes, 0.5, 1, 1000, 200)
    X, y = torch.as_tensor(data["X_train"]), torch.as_tensor(data["y_train"])
    var = float(data["y_test"].var(ddof=1))
    init = nets.make_student(sizes, "default", 1.0, nets.generator(nets.derived_seed(1, "geo")))
    warm = engine.train(init, X, y, [Phase(2000, 3e-3)], "tanh", dtype=torch.float64).weights
    accelerated, classic = (
        levenberg_marquardt(warm, X, y, "tanh", var, LMOptions(max_iterations=150, geodesic=geodesic))
        for geodesic in (True, False)
    )
    assert classic.error > 1e-7 and accelerated.error < 1e-9
    assert accelerated.error < classic.error / 100
