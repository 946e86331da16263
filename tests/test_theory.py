"""Mean-field theory against known values and against simulated width-1000 random tanh nets."""

from __future__ import annotations

import numpy as np
import pytest

from depthwidth.theory import meanfield

WIDTH = 1000


def random_layers(rng: np.random.Generator, fan_ins: list[int], width: int, sigma_w: float, sigma_b: float):
    """(weights (fan_in, width), biases (width,)) per layer, W ~ N(0, sigma_w^2/fan_in), b ~ N(0, sigma_b^2)."""
    for fan_in in fan_ins:
        w = rng.standard_normal((fan_in, width), dtype=np.float32).astype(np.float64) * (sigma_w / np.sqrt(fan_in))
        b = rng.standard_normal(width) * sigma_b
        yield w, b


def preactivations(x: np.ndarray, sigma_w: float, sigma_b: float, layers: int, rng: np.random.Generator):
    """(layers, N, WIDTH) pre-activations z^1..z^L of a random tanh net applied to x (N, n_in)."""
    zs, h = [], x
    for w, b in random_layers(rng, [x.shape[1]] + [WIDTH] * (layers - 1), WIDTH, sigma_w, sigma_b):
        z = h @ w + b
        zs.append(z)
        h = np.tanh(z)
    return np.stack(zs)


# --- known values -------------------------------------------------------------------------------


def test_fixed_point_and_chi_1_at_sigma_2():
    assert meanfield.q_star(2.0) == pytest.approx(2.12147, abs=1e-5)
    assert meanfield.chi_1(2.0) == pytest.approx(1.36267, abs=1e-5)
    assert meanfield.length_map(meanfield.q_star(2.0), 2.0) == pytest.approx(meanfield.q_star(2.0), rel=1e-10)


@pytest.mark.parametrize("sigma_w", [0.3, 0.8, 0.99, 1.0])
def test_ordered_phase_without_bias_has_q_star_zero_and_chi_sigma_squared(sigma_w):
    assert meanfield.q_star(sigma_w) == 0.0
    assert meanfield.chi_1(sigma_w) == pytest.approx(sigma_w**2, rel=1e-12)
    assert meanfield.c_star(sigma_w) == 1.0


def test_transition_at_sigma_1_without_bias():
    assert meanfield.critical_sigma_w(0.0) == 1.0
    assert meanfield.chi_1(0.999) < 1 < meanfield.chi_1(1.001)
    assert meanfield.q_star(1.01) > 0
    # near the transition q* ~ (1 - 1/sigma_w^2) / 2, from tanh^2(x) ~ x^2 - 2x^4/3
    assert meanfield.q_star(1.01) == pytest.approx((1 - 1 / 1.01**2) / 2, rel=0.05)
    assert meanfield.depth_scale(1.0) == float("inf")
    assert meanfield.depth_scale(1.05) > meanfield.depth_scale(1.5) > meanfield.depth_scale(2.0)
    assert meanfield.depth_scale(0.95) > meanfield.depth_scale(0.5)


def test_chaotic_phase_without_bias_decorrelates_to_zero():
    assert meanfield.c_star(2.0) == 0.0
    assert meanfield.correlation_map(0.0, 2.0) == pytest.approx(0.0, abs=1e-12)
    assert meanfield.correlation_map(1.0, 2.0) == pytest.approx(1.0, rel=1e-6)
    # the slope of the C-map at c = 1 is chi_1
    eps = 1e-4
    slope = (1 - meanfield.correlation_map(1 - eps, 2.0)) / eps
    assert slope == pytest.approx(meanfield.chi_1(2.0), rel=2e-3)


def test_critical_line_with_bias_has_chi_1_equal_1():
    s = meanfield.critical_sigma_w(0.3)
    assert 1.2 < s < 1.6
    assert meanfield.chi_1(s, 0.3) == pytest.approx(1.0, abs=1e-8)
    mf = meanfield.mean_field(2.5, 0.3)
    assert 0 < mf.c_star < 1 and mf.chi_1 > 1
    assert meanfield.correlation_map(mf.c_star, 2.5, 0.3) == pytest.approx(mf.c_star, abs=1e-9)
    assert mf.depth_scale == pytest.approx(-1 / np.log(mf.chi_c))


def test_length_growth_reaches_sqrt_chi_1_per_layer():
    growth = meanfield.length_growth(2.0, q1=2.0, layers=30)
    assert growth[0] == 1.0
    assert growth[-1] / growth[-2] == pytest.approx(np.sqrt(meanfield.chi_1(2.0)), rel=1e-6)


def test_theory_rejects_other_nonlinearities():
    with pytest.raises(ValueError, match="tanh only.*'relu'"):
        meanfield.chi_1(2.0, phi="relu")


# --- accuracy against independent computations --------------------------------------------------

# Where a fixed Gauss-Hermite rule in z failed (phi'(sqrt(q*) z) narrows as sigma_w grows), both sides
# of the transition, with and without bias.
ACCURACY_POINTS = [
    (1.5, 0.0),
    (2.0, 0.0),
    (4.0, 0.0),
    (5.0, 0.0),
    (6.0, 0.0),
    (1.0, 0.3),
    (2.5, 0.3),
    (4.0, 0.3),
    (5.0, 0.3),
    (0.25, 1.0),
    (6.0, 1.0),
]
DENSE_Z = np.linspace(-13.0, 13.0, 13_001)  # step 2e-3 in z: ~90 nodes across tanh'(sqrt(q) z)^2 at q = 32


def dense_mean(f, q: float) -> float:
    """E[f(sqrt(q) z)] by a dense trapezoid rule in z (independent of the module's grid in u)."""
    w = np.exp(-0.5 * DENSE_Z**2)
    return float(w @ f(np.sqrt(q) * DENSE_Z) / w.sum())


def dense_q_star(sigma_w: float, sigma_b: float) -> float:
    """q* by bisection on the dense length map (same bracket as the theory's: above q = 0 without bias)."""
    if sigma_b == 0 and sigma_w <= 1:
        return 0.0
    gap = lambda q: sigma_w**2 * dense_mean(lambda u: np.tanh(u) ** 2, q) + sigma_b**2 - q  # noqa: E731
    lo, hi = 1e-12, sigma_w**2 + sigma_b**2
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if gap(mid) >= 0 else (lo, mid)
    return 0.5 * (lo + hi)


@pytest.mark.parametrize("sigma_w, sigma_b", ACCURACY_POINTS)
def test_q_star_and_chi_1_match_a_dense_trapezoid(sigma_w, sigma_b):
    q = dense_q_star(sigma_w, sigma_b)
    mf = meanfield.mean_field(sigma_w, sigma_b)
    assert mf.q_star == pytest.approx(q, rel=1e-4)
    assert mf.chi_1 == pytest.approx(sigma_w**2 * dense_mean(lambda u: np.cosh(u) ** -4, q), rel=1e-4)
    if sigma_b == 0 and mf.chi_1 > 1:  # c* = 0: the pair factorises, chi_c = sigma_w^2 E[phi']^2
        chi_c = sigma_w**2 * dense_mean(lambda u: np.cosh(u) ** -2, q) ** 2
        assert mf.chi_c == pytest.approx(chi_c, rel=1e-3)
        assert mf.depth_scale == pytest.approx(-1 / np.log(chi_c), rel=1e-3)


def correlated_pair(q: float, c: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n samples of (u1, u2), each N(0, q), with correlation c."""
    z1, z2 = np.random.default_rng(seed).standard_normal((2, n))
    return np.sqrt(q) * z1, np.sqrt(q) * (c * z1 + np.sqrt((1 - c) * (1 + c)) * z2)


def within_standard_errors(samples: np.ndarray, expected: float, k: float = 4.0) -> bool:
    return abs(samples.mean() - expected) <= k * samples.std() / np.sqrt(len(samples))


@pytest.mark.parametrize(
    "sigma_w, sigma_b", [(1.6, 0.3), (2.5, 0.3), (4.0, 0.3), (5.0, 0.3), (6.0, 1.0), (4.0, 0.0), (5.0, 0.0)]
)
def test_c_star_and_chi_c_match_monte_carlo(sigma_w, sigma_b):
    """At the theory's c*, the C-map's Monte Carlo value is c* and its slope chi_c, within 4 standard errors.

    The old 101 x 101 Gauss-Hermite rule missed chi_c by 24 standard errors at (5, 0.3), 50 at (6, 1).
    """
    mf = meanfield.mean_field(sigma_w, sigma_b)
    u1, u2 = correlated_pair(mf.q_star, mf.c_star, 1_000_000, seed=int(10 * sigma_w + 100 * sigma_b))
    t1, t2 = np.tanh(u1), np.tanh(u2)
    assert within_standard_errors((sigma_w**2 * t1 * t2 + sigma_b**2) / mf.q_star, mf.c_star)
    assert within_standard_errors(sigma_w**2 * (1 - t1**2) * (1 - t2**2), mf.chi_c)


@pytest.mark.parametrize("sigma_w, sigma_b", [(2.0, 0.0), (5.0, 0.3), (1.2, 0.3)])
@pytest.mark.parametrize("c", [0.5, 0.99, 0.9999])
def test_correlation_map_near_c_1_matches_monte_carlo(sigma_w, sigma_b, c):
    """1 - C(c) = sigma_w^2 E[phi(u1) (phi(u1) - phi(u2))] / q*: small near c = 1, so sampled as that
    difference (its spread shrinks with 1 - c), which tests the inner integral where it narrows."""
    q = meanfield.q_star(sigma_w, sigma_b)
    u1, u2 = correlated_pair(q, c, 1_000_000, seed=7)
    gap = sigma_w**2 * np.tanh(u1) * (np.tanh(u1) - np.tanh(u2)) / q
    assert within_standard_errors(gap, 1 - meanfield.correlation_map(c, sigma_w, sigma_b))


def dense_pair_mean(f, g, q: float, c: float, step: float = 0.02) -> float:
    """E[f(u1) g(u2)], (u1, u2) ~ N(0, q) with correlation c, by a product trapezoid rule in the standard
    normal coordinates (z1, z2): a grid fixed in z, unlike the module's (a step of 0.02 in z still puts
    ~9 nodes across tanh'(sqrt(q) z)^2 at q = 32)."""
    z = np.arange(-9.0, 9.0 + step / 2, step)
    w = np.exp(-0.5 * z**2)
    u1 = np.sqrt(q) * z[:, None]
    u2 = np.sqrt(q) * (c * z[:, None] + np.sqrt((1 - c) * (1 + c)) * z[None, :])
    return float(w @ (f(u1) * g(u2)) @ w / w.sum() ** 2)


@pytest.mark.parametrize("sigma_w, sigma_b", [(1.6, 0.3), (2.5, 0.3), (4.0, 0.3), (5.0, 0.3), (6.0, 1.0)])
def test_c_star_chi_c_and_depth_scale_match_a_dense_2d_trapezoid(sigma_w, sigma_b):
    """At 1e-3: chi_c and xi_c directly; c* through the dense C-map's residual at it, which a c* off by
    dc leaves at (1 - chi_c) dc."""
    mf = meanfield.mean_field(sigma_w, sigma_b)
    dsech2 = lambda u: np.cosh(u) ** -2  # noqa: E731
    chi_c = sigma_w**2 * dense_pair_mean(dsech2, dsech2, mf.q_star, mf.c_star)
    assert mf.chi_c == pytest.approx(chi_c, rel=1e-3)
    assert mf.depth_scale == pytest.approx(-1 / np.log(chi_c), rel=1e-3)
    c_map = (sigma_w**2 * dense_pair_mean(np.tanh, np.tanh, mf.q_star, mf.c_star) + sigma_b**2) / mf.q_star
    assert abs(c_map - mf.c_star) <= 1e-3 * mf.c_star * (1 - mf.chi_c)
    for c in (0.5, 0.999):
        expected = (sigma_w**2 * dense_pair_mean(np.tanh, np.tanh, mf.q_star, c) + sigma_b**2) / mf.q_star
        assert 1 - meanfield.correlation_map(c, sigma_w, sigma_b) == pytest.approx(1 - expected, rel=1e-3)


CONVERGENCE_POINTS = [(1.01, 0.0), (2.0, 0.0), (5.0, 0.0), (6.0, 0.0), (1.5, 0.3), (5.0, 0.3), (6.0, 1.0), (0.25, 1.0)]


def test_doubling_the_resolution_moves_nothing(monkeypatch):
    """Halving both trapezoid steps changes nothing by more than 1e-8 relative (measured: ~3e-10 at most).

    The tolerances asked of the theory are 1e-4 (q*, chi_1) and 1e-3 (the rest).
    """

    def everything():
        out = []
        for s, b in CONVERGENCE_POINTS:
            mf = meanfield.mean_field(s, b)
            out.append(
                [
                    mf.q_star,
                    mf.chi_1,
                    mf.c_star,
                    mf.chi_c,
                    mf.depth_scale,
                    meanfield.length_map(2.0, s, b),
                    meanfield.correlation_map(0.999, s, b),
                    *meanfield.correlation_iterates(1.0, 2.0, 0.3, s, b, 4),
                ]
            )
        return np.array(out)

    coarse = everything()
    monkeypatch.setattr(meanfield, "RESOLUTION", 2.0)
    fine = everything()
    np.testing.assert_allclose(fine, coarse, rtol=1e-8, atol=1e-12)


def test_depth_scale_falls_monotonically_deep_in_the_chaotic_phase():
    """xi_c -> -1/ln(2/pi) ~ 2.2 as sigma_w grows (chi_c -> 2/pi without bias); the old rule turned up above 4.3."""
    xi = [meanfield.depth_scale(s) for s in np.linspace(1.5, 6.0, 19)]
    assert np.all(np.diff(xi) < 0)
    assert xi[-1] > -1 / np.log(2 / np.pi)


def test_a_table_of_160_sigmas_takes_well_under_a_second():
    import time

    start = time.perf_counter()
    for s in np.geomspace(0.25, 6.0, 160):
        meanfield.mean_field(s, 0.3)
    assert time.perf_counter() - start < 2.0


# --- against simulation -------------------------------------------------------------------------


@pytest.mark.parametrize("sigma_w, sigma_b, q0", [(2.0, 0.0, 0.3), (0.8, 0.0, 2.0), (1.5, 0.3, 1.0)])
def test_length_map_matches_simulated_nets(sigma_w, sigma_b, q0):
    rng = np.random.default_rng(1)
    layers, nets = 8, 5
    x = rng.standard_normal((8, WIDTH))
    x *= np.sqrt(q0 * WIDTH) / np.linalg.norm(x, axis=1, keepdims=True)  # |x|^2 / n_in = q0 exactly
    q_sim = np.mean(
        [(preactivations(x, sigma_w, sigma_b, layers, rng) ** 2).mean(axis=(1, 2)) for _ in range(nets)], axis=0
    )
    q_theory = meanfield.length_iterates(sigma_w**2 * q0 + sigma_b**2, sigma_w, sigma_b, layers)
    np.testing.assert_allclose(q_sim, q_theory, rtol=0.05)


@pytest.mark.parametrize("sigma_w, sigma_b", [(2.0, 0.0), (1.2, 0.3)])
def test_correlation_map_matches_simulated_nets(sigma_w, sigma_b):
    """Mean correlation over 100 input pairs per starting correlation and over 3 width-1000 nets.

    One pair's sample correlation over 1000 units scatters by ~(1 - c^2)/sqrt(1000) ~ 0.03 per
    layer, hence the means; a single net's bias vector also shifts every pair alike.
    """
    rng = np.random.default_rng(2)
    layers, pairs, c0s, nets = 8, 100, (0.1, 0.5, 0.9), 3
    u = rng.standard_normal((len(c0s), pairs, 2, WIDTH))
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    a = u[:, :, 0]
    b = u[:, :, 1] - (u[:, :, 1] * a).sum(-1, keepdims=True) * a  # orthogonal to a
    b /= np.linalg.norm(b, axis=-1, keepdims=True)
    c = np.asarray(c0s)[:, None, None]
    x1, x2 = np.sqrt(WIDTH) * a, np.sqrt(WIDTH) * (c * a + np.sqrt(1 - c**2) * b)  # |x|^2/n = 1, corr c0
    x = np.concatenate([x1.reshape(-1, WIDTH), x2.reshape(-1, WIDTH)])  # (2 * C * pairs, WIDTH)
    corr = 0.0
    for _ in range(nets):
        z = preactivations(x, sigma_w, sigma_b, layers, rng)  # (L, 2 * C * pairs, WIDTH)
        z1, z2 = np.split(z, 2, axis=1)
        c_pairs = (z1 * z2).sum(-1) / np.sqrt((z1**2).sum(-1) * (z2**2).sum(-1))  # (L, C * pairs)
        corr = corr + c_pairs.reshape(layers, len(c0s), pairs).mean(axis=-1) / nets
    q1 = sigma_w**2 + sigma_b**2
    for k, c0 in enumerate(c0s):
        c1 = (sigma_w**2 * c0 + sigma_b**2) / q1
        predicted = meanfield.correlation_iterates(q1, q1, c1, sigma_w, sigma_b, layers)
        np.testing.assert_allclose(corr[:, k], predicted, atol=0.03, err_msg=f"c0={c0}")


@pytest.mark.parametrize("sigma_w", [2.0, 2.5])
def test_trajectory_length_grows_by_sqrt_chi_1_per_layer(sigma_w):
    """Slope of ln(length) over layers 5..20 of a width-1000 net, bias-free like the expressivity nets.

    Length grows by sqrt(chi_1) only while each segment of the discretised curve is short against
    the distance between decorrelated points (~sqrt(2 N E[tanh^2])); a full circle of a few hundred
    points saturates by layer 20 at sigma_w = 2.5. A short arc (0.1 rad, 100 points: segments of
    1e-3 rad, as fine as a 6000-point circle) keeps every segment short and costs little.
    """
    rng = np.random.default_rng(3)
    theta = np.linspace(0.0, 0.1, 100)
    h = np.stack([np.cos(theta), np.sin(theta)], axis=1)  # (P, 2)
    lengths = []
    for w, _ in random_layers(rng, [2] + [WIDTH] * 19, WIDTH, sigma_w, 0.0):
        h = np.tanh(h @ w)
        lengths.append(np.linalg.norm(np.diff(h, axis=0), axis=1).sum())
    layers = np.arange(1, 21)
    slope = np.polyfit(layers[4:], np.log(lengths[4:]), 1)[0]
    assert slope == pytest.approx(np.log(np.sqrt(meanfield.chi_1(sigma_w))), abs=0.02)


# --- the phase diagram --------------------------------------------------------------------------

# Both sides of the critical line, with and without bias (as the config's default points).
PHASE_POINTS = [(0.8, 0.0), (1.0, 0.3), (1.2, 0.6), (1.5, 1.0), (2.0, 0.0), (2.5, 0.3), (3.0, 1.0), (4.0, 0.5)]
# A width-1000 layer's ratio scatters by ~sqrt(2/1000) ~ 4.5%; 8 inputs and 7 layers per point leave
# a standard error of ~0.5-1.2%, and these seeds' largest deviation is 1.5%.
CHI_1_SIMULATION_TOLERANCE = 0.03


def test_simulated_chi_1_matches_the_theory_on_both_sides_of_the_line():
    from depthwidth.theory import phase

    sim = phase.simulated_points(PHASE_POINTS, width=WIDTH, layers=10, burn_in=3, inputs=8, seed=0)
    assert (sim["chi_1"] < 1).sum() >= 3 and (sim["chi_1"] > 1).sum() >= 3
    assert (sim["sigma_b"] > 0).sum() >= 4
    assert sim["relative_deviation"].abs().max() < CHI_1_SIMULATION_TOLERANCE, sim.to_string()
    # and the stated standard errors are honest: every point within 4 of them
    assert ((sim["chi_1_simulated"] - sim["chi_1"]).abs() < 4 * sim["chi_1_simulated_se"]).all(), sim.to_string()


def test_phase_diagram_table_has_the_grid_the_line_and_the_points():
    from depthwidth.theory import phase

    sigma_ws, sigma_bs = np.linspace(0.5, 3.0, 6), np.linspace(0.0, 1.0, 3)
    table = phase.phase_diagram_table(
        sigma_ws, sigma_bs, [(0.8, 0.3), (2.0, 0.0)], width=200, layers=4, burn_in=1, inputs=2, seed=0
    )
    counts = table["kind"].value_counts()
    assert (counts["grid"], counts["critical"], counts["simulation"]) == (18, 3, 2)
    line = table[table["kind"] == "critical"]
    np.testing.assert_allclose(line["chi_1"], 1.0, atol=1e-9)
    np.testing.assert_allclose(line["sigma_w"], [1.0, meanfield.critical_sigma_w(0.5), meanfield.critical_sigma_w(1.0)])
    assert np.diff(line["sigma_w"]).min() > 0  # biases push the transition to larger weights
    assert table.loc[table["kind"] != "simulation", "chi_1_simulated"].isna().all()
    with pytest.raises(ValueError, match="burn_in"):
        phase.perturbation_growth(2.0, 0.0, 10, layers=3, burn_in=2, inputs=1, seed=0)
