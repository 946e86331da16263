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

Gaussian expectations use Gauss-Hermite quadrature (probabilists' weight ``exp(-z^2/2)``).
Only tanh is implemented: the fixed-point search relies on phi being odd, bounded and concave
on the positive axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

QUADRATURE_NODES = 201


def _check_phi(phi: str) -> None:
    if phi != "tanh":
        raise ValueError(f"the mean-field theory here is implemented for tanh only, got nonlinearity {phi!r}")


def _dtanh(u: np.ndarray) -> np.ndarray:
    return 1.0 / np.cosh(u) ** 2


@lru_cache(maxsize=4)
def gauss_normal(n: int = QUADRATURE_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights with ``sum(w * f(z)) ~ E[f(z)]`` for ``z ~ N(0, 1)``."""
    z, w = hermegauss(n)
    return z, w / w.sum()


def gauss_mean(f, sqrt_q: float, n: int = QUADRATURE_NODES) -> float:
    """E[f(sqrt(q) z)], z ~ N(0, 1)."""
    z, w = gauss_normal(n)
    return float(w @ f(sqrt_q * z))


def length_map(q: float, sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh") -> float:
    """One layer of the length map: ``sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2``."""
    _check_phi(phi)
    return sigma_w**2 * gauss_mean(lambda u: np.tanh(u) ** 2, np.sqrt(q)) + sigma_b**2


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
    return sigma_w**2 * gauss_mean(lambda u: _dtanh(u) ** 2, np.sqrt(q))


def _bisect(f, lo: float, hi: float, tol: float = 1e-13, max_iter: int = 200) -> float:
    """A root of f in [lo, hi] given f(lo) >= 0 >= f(hi)."""
    for _ in range(max_iter):
        mid = 0.5 * (lo + hi)
        if f(mid) >= 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= tol * max(1.0, abs(hi)):
            break
    return 0.5 * (lo + hi)


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
        return _bisect(lambda q: length_map(q, sigma_w, 0.0, phi) / q - 1.0, 1e-12, upper)
    return _bisect(lambda q: length_map(q, sigma_w, sigma_b, phi) - q, 0.0, upper)


def chi_1(sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh") -> float:
    """``sigma_w^2 E[phi'(sqrt(q*) z)^2]``; equals sigma_w^2 in the ordered phase when sigma_b = 0."""
    return chi(q_star(sigma_w, sigma_b, phi), sigma_w, phi)


def _pair_nodes(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n*n,) product-grid nodes z1, z2 and weights for E over two independent N(0, 1)."""
    z, w = gauss_normal(n)
    z1, z2 = np.meshgrid(z, z, indexing="ij")
    return z1.ravel(), z2.ravel(), np.outer(w, w).ravel()


def _pair_mean(f, q1: float, q2: float, c: float, n: int) -> float:
    """E[f(u1) f(u2)] for (u1, u2) Gaussian with variances q1, q2 and correlation c."""
    z1, z2, w = _pair_nodes(n)
    u1 = np.sqrt(q1) * z1
    u2 = np.sqrt(q2) * (c * z1 + np.sqrt(max(0.0, 1.0 - c * c)) * z2)
    return float(w @ (f(u1) * f(u2)))


def covariance_map(
    q1: float, q2: float, q12: float, sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh", n: int = 101
) -> tuple[float, float, float]:
    """One layer for a pair of inputs: (q1, q2, q12) -> the next layer's (q1, q2, q12)."""
    _check_phi(phi)
    c = float(np.clip(q12 / np.sqrt(q1 * q2), -1.0, 1.0)) if q1 > 0 and q2 > 0 else 0.0
    q12_next = sigma_w**2 * _pair_mean(np.tanh, q1, q2, c, n) + sigma_b**2
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


def correlation_map(c: float, sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh", n: int = 101) -> float:
    """Poole's C-map at the fixed point: ``(sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / q*``."""
    q = q_star(sigma_w, sigma_b, phi)
    if q == 0:
        raise ValueError(f"q* = 0 at sigma_w={sigma_w}, sigma_b={sigma_b}: the correlation map is undefined")
    return (sigma_w**2 * _pair_mean(np.tanh, q, q, c, n) + sigma_b**2) / q


def c_star(sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh") -> float:
    """The stable fixed point of the correlation map: 1 in the ordered phase, below 1 in the chaotic one.

    With ``sigma_b = 0`` and tanh (odd) the chaotic fixed point is c* = 0.
    """
    if q_star(sigma_w, sigma_b, phi) == 0 or chi_1(sigma_w, sigma_b, phi) <= 1:
        return 1.0
    f = lambda c: correlation_map(c, sigma_w, sigma_b, phi) - c  # noqa: E731
    if f(0.0) <= 1e-12:  # sigma_b = 0: tanh is odd, so c = 0 is the fixed point itself
        return 0.0
    return _bisect(f, 0.0, 1.0 - 1e-9, tol=1e-12)


def chi_c(sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh", n: int = 101) -> float:
    """``sigma_w^2 E[phi'(u1) phi'(u2)]`` at the correlation fixed point c* (equal to chi_1 when c* = 1)."""
    c = c_star(sigma_w, sigma_b, phi)
    if c == 1.0:
        return chi_1(sigma_w, sigma_b, phi)
    q = q_star(sigma_w, sigma_b, phi)
    return sigma_w**2 * _pair_mean(_dtanh, q, q, c, n)


def depth_scale(sigma_w: float, sigma_b: float = 0.0, phi: str = "tanh") -> float:
    """xi_c = -1 / ln(chi_c): the depth over which correlations reach c*; infinite at the transition."""
    x = chi_c(sigma_w, sigma_b, phi)
    return float("inf") if np.isclose(x, 1.0, rtol=0, atol=1e-12) else -1.0 / np.log(x)


def critical_sigma_w(sigma_b: float = 0.0, phi: str = "tanh") -> float:
    """The sigma_w at which chi_1 = 1 (1 exactly for sigma_b = 0)."""
    if sigma_b == 0:
        return 1.0
    return _bisect(lambda s: 1.0 - chi_1(s, sigma_b, phi), 1e-3, 10.0, tol=1e-10)


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
    """Every fixed-point quantity at one (sigma_w, sigma_b)."""
    return MeanField(
        sigma_w=float(sigma_w), sigma_b=float(sigma_b), q_star=q_star(sigma_w, sigma_b, phi),
        chi_1=chi_1(sigma_w, sigma_b, phi), c_star=c_star(sigma_w, sigma_b, phi),
        chi_c=chi_c(sigma_w, sigma_b, phi), depth_scale=depth_scale(sigma_w, sigma_b, phi),
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


def circle_lengths(sigma_w: float, width: int, layers: int, n_in: int = 2, phi: str = "tanh") -> tuple[np.ndarray, np.ndarray]:
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
    radius = np.sqrt([width * gauss_mean(lambda u: np.tanh(u) ** 2, np.sqrt(q)) for q in qs])
    return length, length / (2 * np.pi * radius)
