import numpy as np
import pytest

from depthwidth.model import expressivity


@pytest.fixture(scope="module")
def arrays():
    return expressivity.expressivity([2.0, 0.4], width=100, depth=20, points=400, seed=42)


def test_shapes_follow_the_tutorial(arrays):
    assert arrays["trajectories"].shape == (2, 19, 400, 100)  # D - 1 hidden layers, as the tutorial's slider
    assert arrays["projected"].shape == (2, 19, 400, 3)
    # the tutorial: set_seed(42); np.random.normal(size=(W, 3))
    np.testing.assert_array_equal(arrays["projection"], np.random.RandomState(42).normal(size=(100, 3)))
    np.testing.assert_allclose(arrays["circle"][0], arrays["circle"][-1], atol=1e-12)  # endpoint included


def test_chaotic_nets_stretch_the_circle_and_quasilinear_ones_do_not(arrays):
    chaotic, quasi = arrays["normalised_length"]
    assert np.all(np.abs(quasi - 1) < 0.05)
    assert chaotic[-1] > 5
    assert np.all(np.diff(arrays["length"][0][3:]) > 0)  # chaotic length keeps growing with depth


def test_length_of_a_circle():
    circle = expressivity.unit_circle(2000)[None]  # (1, P, 2)
    assert expressivity.trajectory_length(circle)[0] == pytest.approx(2 * np.pi, rel=1e-5)
    assert expressivity.normalised_length(3 * circle)[0] == pytest.approx(1.0, rel=1e-5)
