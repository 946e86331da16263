"""Mean-field theory of deep random tanh nets: the order-to-chaos transition.

Following Poole et al. (2016, "Exponential expressivity in deep neural networks through transient
chaos") and Schoenholz et al. (2017, "Deep information propagation"). A layer computes
``z^l = W^l phi(z^(l-1)) + b^l`` with ``W ~ N(0, sigma_w^2 / fan_in)`` and ``b ~ N(0, sigma_b^2)``.
For wide layers the pre-activations are Gaussian and three maps carry the statistics from layer
to layer:

- the length map ``q -> sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2`` (``q``: mean squared
  pre-activation), with fixed point ``q*``;
- the covariance map of two inputs, whose correlation ``c`` flows to a fixed point ``c*``;
- ``chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]``, the growth of a small perturbation's squared length
  per layer: ordered for ``chi_1 < 1``, chaotic for ``chi_1 > 1``. A curve's length grows by
  ``sqrt(chi_1)`` per layer.

Gaussian expectations use the trapezoid rule on a uniform grid in the pre-activation itself
(``u = sqrt(q) z``), its step scaled to the narrower of the Gaussian and tanh's own scale, so that
the accuracy does not depend on q (a fixed rule in z cannot resolve phi'(sqrt(q) z), a peak of
width ~1/sqrt(q)). Two-input expectations integrate the second pre-activation given the first.
Only tanh is implemented: the fixed-point search relies on phi being odd, bounded and concave
on the positive axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The trapezoid rule's error for an integrand analytic in the strip |Im u| < d falls like
# exp(-2 pi d / h) (Trefethen & Weideman 2014). tanh has poles at u = +-i pi/2, so a step of 0.3
# leaves exp(-pi^2 / 0.3) ~ 5e-15 times a factor growing with the pole's order (tanh'^2 has
# fourth-order poles: chi_1 is within 3e-10 of a dense reference, the worst case); a Gaussian of
# standard deviation s alone leaves exp(-2 pi^2 (s / h)^2), ~ 5e-35 at h = s / 2. The grid stops
# at TAIL standard deviations, where the density has fallen to exp(-TAIL^2 / 2) ~ 3e-18.
# RESOLUTION divides both steps (the tests double it to show that nothing moves).
STEP = 0.3
STEP_PER_SD = 0.5
TAIL = 9.0
RESOLUTION = 1.0


def _check_phi(phi: str) -> None:
    if phi != "tanh":
        raise ValueError(f"the mean-field theory here is implemented for tanh only, got nonlinearity {phi!r}")


def _dtanh(u: np.ndarray) -> np.ndarray:
    # 1/cosh^2 keeps the tails' relative precision (1 - tanh^2 rounds to 0 past |u| ~ 19); cosh
    # overflows to inf past |u| ~ 710 (sigma_w ~ 100), where the derivative is 0 as it should be
    with np.errstate(over="ignore"):
        return 1.0 / np.cosh(u) ** 2


def normal_grid(sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes t and weights w with ``sum(w * f(t)) ~ E[f(t)]`` for ``t ~ N(0, sd^2)`` (trapezoid rule).

    A single node at 0 for ``sd = 0``.
    """
    if sd <= 0:
        return np.zeros(1), np.ones(1)
    h = min(STEP, STEP_PER_SD * sd) / RESOLUTION
    n = int(np.ceil(TAIL * sd / h))
    t = h * np.arange(-n, n + 1)
    w = np.exp(-0.5 * (t / sd) ** 2)
    return t, w / w.sum()  # normalised: E[1] = 1 exactly, and the sum equals 1 to the rule's accuracy


def normal_mean(f, sd: float) -> float:
    """E[f(u)] for u ~ N(0, sd^2)."""
    t, w = normal_grid(sd)
    return float(w @ f(t))


def length_map(q: float, sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh") -> float:
    """One layer of the length map: ``sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2``."""
    _check_phi(phi)
    return sigma_w**2 * normal_mean(lambda u: np.tanh(u) ** 2, np.sqrt(q)) + sigma_b**2


def length_iterates(q1: float, sigma_w: float, sigma_b: float, layers: int, phi: str = "tanh") -> np.ndarray:
    """(layers,) q^1, q^2, ...: the length map iterated from the first layer's ``q1``.

    For an input x of dimension n, ``q1 = sigma_w^2 |x|^2 / n + sigma_b^2``.
    """
    qs = [float(q1)]
    for _ in range(layers - 1):
        qs.append(length_map(qs[-1], sigma_w, sigma_b, phi))
    return np.array(qs)


def chi(q: float, sigma_w: float, phi: str = "tanh") -> float:
    """``sigma_w^2 E[phi'(sqrt(q) z)^2]``: the squared-length gain of a perturbation at a layer of variance q."""
    _check_phi(phi)
    return sigma_w**2 * normal_mean(lambda u: _dtanh(u) ** 2, np.sqrt(q))


def _root(f, lo: float, hi: float, tol: float = 1e-13, max_iter: int = 200) -> float:
    """A root of f in [lo, hi] given f(lo) >= 0 >= f(hi), by the Illinois variant of regula falsi.

    Superlinear (a few tens of evaluations rather than bisection's ~45) and never leaves the bracket.
    """
    f_lo, f_hi = f(lo), f(hi)
    side = 0
    for _ in range(max_iter):
        if f_lo == f_hi:
            mid = 0.5 * (lo + hi)
        else:
            mid = hi - f_hi * (hi - lo) / (f_hi - f_lo)
        if not lo < mid < hi:
            mid = 0.5 * (lo + hi)
        f_mid = f(mid)
        if f_mid >= 0:
            lo, f_lo = mid, f_mid
            if side == -1:  # the same end twice: halve the other's weight so it moves too
                f_hi *= 0.5
            side = -1
        else:
            hi, f_hi = mid, f_mid
            if side == 1:
                f_lo *= 0.5
            side = 1
        if hi - lo <= tol * max(1.0, abs(hi)) or f_mid == 0:
            break
    return lo if f_lo == 0 else hi if f_hi == 0 else 0.5 * (lo + hi)


def q_star(sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh") -> float:
    """The length map's stable fixed point q*.

    With ``sigma_b = 0`` and ``sigma_w <= 1`` it is 0 (signals die out). Otherwise the root of
    ``length_map(q) - q`` on (0, sigma_w^2 + sigma_b^2], which is unique for tanh. With
    ``sigma_b = 0`` the root is sought for ``length_map(q) / q - 1``, which is positive near 0 when
    ``sigma_w > 1``, so the search starts above the unstable root q = 0.
    """
    _check_phi(phi)
    if sigma_w <= 0 or sigma_b < 0:
        raise ValueError(f"need sigma_w > 0 and sigma_b >= 0, got sigma_w={sigma_w}, sigma_b={sigma_b}")
    upper = sigma_w**2 + sigma_b**2  # tanh^2 < 1 bounds the map
    if sigma_b == 0:
        if sigma_w <= 1:
            return 0.0
        return _root(lambda q: length_map(q, sigma_w, 0.0, phi) / q - 1.0, 1e-12, upper)
    return _root(lambda q: length_map(q, sigma_w, sigma_b, phi) - q, 0.0, upper)


def chi_1(sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh") -> float:
    """``sigma_w^2 E[phi'(sqrt(q*) z)^2]``; equals sigma_w^2 in the ordered phase when sigma_b = 0."""
    return chi(q_star(sigma_w, sigma_b, phi), sigma_w, phi)


def _pair_means(q1: float, q2: float, c: float) -> tuple[float, float]:
    """``(E[tanh(u1) tanh(u2)], E[tanh'(u1) tanh'(u2)])`` for (u1, u2) Gaussian, variances q1, q2, correlation c.

    Iterated: u1 ~ N(0, q1), then u2 given u1 ~ N(c sqrt(q2/q1) u1, q2 (1 - c^2)), each on its own
    trapezoid grid, so the inner Gaussian narrowing as c -> 1 is resolved (and is a point at c = 1).
    """
    t1, w1 = normal_grid(np.sqrt(q1))
    t2, w2 = normal_grid(np.sqrt(q2 * max(0.0, (1.0 - c) * (1.0 + c))))  # (1-c)(1+c): exact near c = 1
    slope = c * np.sqrt(q2 / q1) if q1 > 0 else 0.0
    th1, th2 = np.tanh(t1), np.tanh(slope * t1[:, None] + t2)
    phi_phi = w1 @ (th1 * (th2 @ w2))
    dphi_dphi = w1 @ ((1.0 - th1**2) * ((1.0 - th2**2) @ w2))
    return float(phi_phi), float(dphi_dphi)


def covariance_map(
    q1: float, q2: float, q12: float, sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh"
) -> tuple[float, float, float]:
    """One layer for a pair of inputs: (q1, q2, q12) -> the next layer's (q1, q2, q12)."""
    _check_phi(phi)
    c = float(np.clip(q12 / np.sqrt(q1 * q2), -1.0, 1.0)) if q1 > 0 and q2 > 0 else 0.0
    q12_next = sigma_w**2 * _pair_means(q1, q2, c)[0] + sigma_b**2
    return length_map(q1, sigma_w, sigma_b, phi), length_map(q2, sigma_w, sigma_b, phi), q12_next


def correlation_iterates(
    q1: float, q2: float, c1: float, sigma_w: float, sigma_b: float, layers: int, phi: str = "tanh"
) -> np.ndarray:
    """(layers,) the correlation c^1, c^2, ... of two inputs' pre-activations, from the first layer's.

    Each input keeps its own length iterate, so the pair need not start at q*.
    """
    state = (q1, q2, c1 * np.sqrt(q1 * q2))
    cs = [float(c1)]
    for _ in range(layers - 1):
        state = covariance_map(*state, sigma_w, sigma_b, phi)
        cs.append(state[2] / np.sqrt(state[0] * state[1]))
    return np.array(cs)


def _c_map_and_slope(c: float, q: float, sigma_w: float, sigma_b: float) -> tuple[float, float]:
    """The C-map at c for inputs at the fixed point q*, and its slope ``sigma_w^2 E[phi'(u1) phi'(u2)]``.

    The slope follows from Price's theorem, d E[phi(u1) phi(u2)] / d q12 = E[phi'(u1) phi'(u2)].
    """
    phi_phi, dphi_dphi = _pair_means(q, q, c)
    return (sigma_w**2 * phi_phi + sigma_b**2) / q, sigma_w**2 * dphi_dphi


def correlation_map(c: float, sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh") -> float:
    """Poole's C-map at the fixed point: ``(sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / q*``."""
    _check_phi(phi)
    q = q_star(sigma_w, sigma_b, phi)
    if q == 0:
        raise ValueError(f"q* = 0 at sigma_w={sigma_w}, sigma_b={sigma_b}: the correlation map is undefined")
    return _c_map_and_slope(c, q, sigma_w, sigma_b)[0]


def _c_star_at(q: float, chi1: float, sigma_w: float, sigma_b: float, tol: float = 1e-13) -> float:
    """c* given q* and chi_1: 1 unless chaotic; then Newton's method on C(c) - c from c = 0.

    C is a power series in c with non-negative coefficients (its Hermite expansion), so C(c) - c is
    convex on [0, 1], positive at 0 and has slope chi_c - 1 < 0 at c*: Newton's iterates from 0
    climb to c* without overshooting. They are clipped to [0, 1) against rounding all the same.
    """
    if q == 0 or chi1 <= 1:
        return 1.0
    c = 0.0
    for _ in range(100):
        value, slope = _c_map_and_slope(c, q, sigma_w, sigma_b)
        g = value - c
        if g <= 1e-15:  # sigma_b = 0: tanh is odd, so c = 0 is the fixed point itself
            return c
        step = g / (1.0 - slope) if slope < 1 else 0.5 * (1.0 - c)
        c_next = min(c + step, 0.5 * (c + 1.0))  # never at or past c = 1, the unstable fixed point
        if c_next - c <= tol:
            return c_next
        c = c_next
    return c


def c_star(sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh") -> float:
    """The stable fixed point of the correlation map: 1 in the ordered phase, below 1 in the chaotic one.

    With ``sigma_b = 0`` and tanh (odd) the chaotic fixed point is c* = 0.
    """
    q = q_star(sigma_w, sigma_b, phi)
    return _c_star_at(q, chi(q, sigma_w, phi), sigma_w, sigma_b)


def _chi_c_at(q: float, chi1: float, c: float, sigma_w: float, sigma_b: float) -> float:
    """The C-map's slope at c* (chi_1 itself when c* = 1)."""
    return chi1 if c == 1.0 else _c_map_and_slope(c, q, sigma_w, sigma_b)[1]


def chi_c(sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh") -> float:
    """``sigma_w^2 E[phi'(u1) phi'(u2)]`` at the correlation fixed point c*: the C-map's slope there."""
    return mean_field(sigma_w, sigma_b, phi).chi_c


def _depth_scale_of(x: float) -> float:
    return float("inf") if np.isclose(x, 1.0, rtol=0, atol=1e-12) else -1.0 / np.log(x)


def depth_scale(sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh") -> float:
    """xi_c = -1 / ln(chi_c): the depth over which correlations reach c*; infinite at the transition."""
    return mean_field(sigma_w, sigma_b, phi).depth_scale


def critical_sigma_w(sigma_b: float = 0.0, phi: str = "tanh") -> float:
    """The sigma_w at which chi_1 = 1 (1 exactly for sigma_b = 0)."""
    if sigma_b == 0:
        return 1.0
    return _root(lambda s: 1.0 - chi_1(s, sigma_b, phi), 1e-3, 10.0, tol=1e-12)


@dataclass(frozen=True)
class MeanField:
    sigma_w: float
    sigma_b: float
    q_star: float
    chi_1: float
    c_star: float
    chi_c: float
    depth_scale: float


def mean_field(sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh") -> MeanField:
    """Every fixed-point quantity at one (sigma_w, sigma_b), each fixed point found once."""
    q = q_star(sigma_w, sigma_b, phi)
    chi1 = chi(q, sigma_w, phi)
    c = _c_star_at(q, chi1, sigma_w, sigma_b)
    x = _chi_c_at(q, chi1, c, sigma_w, sigma_b)
    return MeanField(
        sigma_w=float(sigma_w),
        sigma_b=float(sigma_b),
        q_star=q,
        chi_1=chi1,
        c_star=c,
        chi_c=x,
        depth_scale=_depth_scale_of(x),
    )


def length_growth(sigma_w: float, q1: float, layers: int, phi: str = "tanh") -> np.ndarray:
    """(layers,) mean-field curve length of layer l relative to layer 1, for a bias-free net.

    A small displacement dh of the previous layer's activity becomes phi'(z) (W dh), whose
    squared length is chi(q^l) times |dh|^2 on average, so
    ``L^l / L^1 = prod_{k=2..l} sqrt(chi(q^k))`` along the length iterates from ``q1``.
    At the fixed point this is ``sqrt(chi_1)^(l-1)``.
    """
    qs = length_iterates(q1, sigma_w, 0.0, layers, phi)
    gains = np.sqrt([chi(q, sigma_w, phi) for q in qs[1:]])
    return np.concatenate([[1.0], np.cumprod(gains)])


def circle_lengths(
    sigma_w: float, width: int, layers: int, n_in: int = 2, phi: str = "tanh"
) -> tuple[np.ndarray, np.ndarray]:
    """Mean-field length and normalised length of a unit circle's image in each hidden layer of a bias-free net.

    The circle lies in the input plane (``n_in = 2``, |x| = 1), so ``q^1 = sigma_w^2 / n_in``; its
    tangent gains ``width / n_in * chi(q^1)`` in squared length at the first layer and ``chi(q^l)``
    at each later one. For an odd phi the image stays centred on 0, so its RMS radius is
    ``sqrt(width * E[phi(sqrt(q^l) z)^2])``; the normalised length is length / (2 pi radius).
    Returns two (layers,) arrays.
    """
    qs = length_iterates(sigma_w**2 / n_in, sigma_w, 0.0, layers, phi)
    if qs[-1] <= 0:
        raise ValueError(f"sigma_w={sigma_w}: the length iterates reached 0")
    first = 2 * np.pi * np.sqrt(width / n_in * chi(qs[0], sigma_w, phi))
    length = first * length_growth(sigma_w, qs[0], layers, phi)
    radius = np.sqrt([width * normal_mean(lambda u: np.tanh(u) ** 2, np.sqrt(q)) for q in qs])
    return length, length / (2 * np.pi * radius)
