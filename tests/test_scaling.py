import numpy as np
import pytest

from depthwidth.analysis import scaling


def test_fit_recovers_a_known_power_law():
    widths = np.array([5, 15, 45, 135])
    fit = scaling.fit_power_law(widths, 3.0 * widths**-0.7)
    assert fit["slope"] == pytest.approx(-0.7, abs=1e-12)
    assert fit["intercept"] == pytest.approx(np.log(3.0), abs=1e-12)
    assert fit["r2"] == pytest.approx(1.0)
    # E = 3 W^-0.7 = 1e-6  <=>  W = (3e6)^(1/0.7)
    assert scaling.width_for_error(fit["slope"], fit["intercept"], 1e-6) == pytest.approx(3e6 ** (1 / 0.7), rel=1e-9)


def test_error_that_does_not_fall_needs_infinite_width():
    assert scaling.width_for_error(0.1, 0.0, 1e-6) == float("inf")


def test_fit_needs_two_widths():
    with pytest.raises(ValueError, match="at least two distinct widths"):
        scaling.fit_power_law([5, 5], [0.1, 0.2])


def test_bootstrap_interval_matches_the_least_squares_standard_error():
    rng = np.random.default_rng(0)
    widths = np.tile([5, 15, 45, 135], 20)
    seeds = np.repeat(np.arange(20), 4)
    errors = 0.5 * widths**-0.4 * np.exp(rng.normal(0, 0.1, widths.size))
    fit = scaling.fit_power_law(widths, errors)
    ci = scaling.bootstrap_fit(widths, errors, seeds, 1e-6, n_boot=1000)
    x = np.log(widths)
    se = 0.1 / np.sqrt(((x - x.mean()) ** 2).sum())  # the slope's standard error for noise sd 0.1
    assert ci["slope_ci_low"] < fit["slope"] < ci["slope_ci_high"]
    assert 0.6 < (ci["slope_ci_high"] - ci["slope_ci_low"]) / (2 * 1.96 * se) < 1.5
    assert ci["predicted_width_ci_low"] < ci["predicted_width_ci_high"]


def test_fit_students_reads_width_and_test_error():
    metrics = [{"sizes": [5, w, 1], "test_relative_error": 2.0 * w**-0.5, "seed": -1} for w in (5, 15, 45)]
    fit = scaling.fit_students(metrics, 1e-6)
    assert fit["slope"] == pytest.approx(-0.5)
    assert fit["predicted_width"] == pytest.approx((2.0 / 1e-6) ** 2, rel=1e-9)
    assert "slope_ci_low" not in fit  # one seed: no bootstrap
