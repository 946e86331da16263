"""A float64 second-order least-squares stage: Levenberg-Marquardt for bias-free MLPs.

This module owns the polish of a trained (or fresh) student to the float64 floor: it minimises
the sum of squared residuals r = f(X) - y over all weights at once, in float64, by

- the exact Jacobian J (N, P), formed analytically by backpropagating the output per sample
  (:func:`residuals_and_jacobian`),
- Levenberg-Marquardt steps (J^T J + lambda D) delta = -J^T r, solved by Cholesky
  (``torch.linalg.cholesky_ex``; a failed factorisation raises lambda and retries),
- Marquardt's diagonal scaling: D is the running maximum of diag(J^T J), as in MINPACK, with a
  tiny floor so that a dead weight (an all-zero column of J) still gets a positive pivot,
- Nielsen's damping update (H. B. Nielsen, "Damping parameter in Marquardt's method", IMM-REP
  1999-05): after a step with gain ratio rho > 0, lambda *= max(1/3, 1 - (2 rho - 1)^3) and
  nu = 2; otherwise lambda *= nu and nu *= 2,
- geodesic acceleration (M. K. Transtrum and J. P. Sethna, "Improvements to the
  Levenberg-Marquardt algorithm for nonlinear least-squares minimization", arXiv:1201.5885,
  2012): to the step v add a/2, where (J^T J + lambda D) a = -J^T r_vv and r_vv, the residuals'
  second directional derivative along v, is a finite difference, (2/h)((r(theta + h v) - r)/h
  - J v) with h = 0.1; kept where 2|a| <= 0.75 |v|, else the step is v alone. These nets are
  sloppy: near a fit the Gauss-Newton steps (lambda ~1e-6) follow narrow curved valleys, and
  without the second-order term they crawl (a deep student at sigma_w = 0.4 to 0.7: ~1e-9 after
  300 steps, where the accelerated steps reach 1e-12 or 4e-11 at 1.4x the cost per step).

A step that raises the cost is never accepted, so a result is never above its start.

Why float64 targets matter: float32 targets carry rounding errors of about 2^-24 |y|, which no
student can fit, so they put a floor near 1e-15 under every relative error, however good the fit
(7.0e-16 for the tutorial's teacher at its own weights, against 7e-32 with float64 targets).
Callers must therefore evaluate the teacher in float64 on the float64 inputs, e.g.
``forward([w.double() for w in teacher], X.double())``, not cast float32 targets up.

Only smooth nonlinearities are supported (tanh, linear): relu's kinks make the residual
non-smooth, where the Gauss-Newton model is invalid.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from depthwidth.model.nets import nonlinearity

DTYPE = torch.float64
EPS = float(torch.finfo(DTYPE).eps)
# "rounding": a predicted relative decrease, or a step relative to the weights, below this many
# machine epsilons is nothing float64 can resolve (the cost's own rounding is a few eps).
ROUNDING_EPS = 8.0
# ... judged only while the damping leaves the step close to Gauss-Newton's: a tiny step that
# heavy damping makes says nothing about rounding (it ends as "stalled" instead).
ROUNDING_LAMBDA = 1.0
# "stalled" once lambda passes this: the step is then 1e-20 of the scaled gradient step -g/D.
LAMBDA_MAX = 1e20
SMOOTH = ("tanh", "linear")


@dataclass(frozen=True)
class LMOptions:
    """When Levenberg-Marquardt stops, and where lambda starts.

    - ``tolerance`` (1e-26): stop ("tolerance") once MSE/scale is at or below it: eleven orders
      below the float32 floor (~1e-15) and well above float64's (~1e-31), so a student that fits
      its teacher stops here, a few iterations of quadratic convergence after 1e-20.
    - ``max_iterations`` (1000): trial steps, accepted or not ("budget"); at width 135 and
      N = 4000 one step costs about 0.1 s on one core (J^T J 0.065 s, J 0.035 s, Cholesky 0.01 s),
      so the default bounds a polish near 100 s.
    - ``max_seconds`` (inf): wall-clock budget ("budget"). Off by default, so a result depends
      on its inputs only, not on the machine's speed or load.
    - ``stall_iterations`` (50), ``stall_rtol`` (1e-4): stop ("stalled") when the error fell by
      less than a factor (1 - stall_rtol) over the last stall_iterations accepted steps: a
      non-zero-residual minimum approached linearly (where LM's linear tail gains nothing
      visible), or a plateau. Loose enough not to stop a slow but steady descent: a fresh
      width-135 student still gains ~0.4% per 50 steps after 400 and runs to the budget.
    - ``lambda_init`` (1e-3): the first lambda, relative to Marquardt's scaling D (lambda = 1
      weighs the damping like diag(J^T J)); Nielsen's tau = 1e-3, for starts near a minimum.
    - ``geodesic`` (True): add the geodesic acceleration (module docstring); False gives the
      classic steps.
    """

    tolerance: float = 1e-26
    max_iterations: int = 1000
    max_seconds: float = math.inf
    stall_iterations: int = 50
    stall_rtol: float = 1e-4
    lambda_init: float = 1e-3
    geodesic: bool = True


@dataclass
class LMResult:
    """``weights``: float64 tensors of the input's shapes; ``error_start``/``error``: MSE/scale
    before and after; ``iterations``: trial steps (accepted or rejected); ``seconds``: wall time;
    ``reason``: "tolerance", "rounding", "stalled" or "budget"; ``history``: the error after each
    accepted step (``len(history)`` of them)."""

    weights: list[torch.Tensor]
    error_start: float
    error: float
    iterations: int
    seconds: float
    reason: str
    history: np.ndarray = field(repr=False)


def _check_smooth(phi: str) -> None:
    nonlinearity(phi)  # unknown names: nets' own message
    if phi not in SMOOTH:
        raise ValueError(
            f"Levenberg-Marquardt does not support phi={phi!r}: {phi}'s kinks make the residual non-smooth, "
            f"so the Gauss-Newton model (J^T J) is invalid at the kinks; choose one of {SMOOTH}"
        )


def _forward(weights: Sequence[torch.Tensor], X: torch.Tensor, phi: str) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The output (N,) and every layer's input, X first."""
    act = nonlinearity(phi).exact
    hs = [X]
    for w in weights[:-1]:
        hs.append(act(hs[-1] @ w.T))
    return (hs[-1] @ weights[-1].T).reshape(-1), hs


def residuals(weights: Sequence[torch.Tensor], X: torch.Tensor, y: torch.Tensor, phi: str = "tanh") -> torch.Tensor:
    """r = f(X) - y, (N,)."""
    _check_smooth(phi)
    with torch.no_grad():
        return _forward(weights, X, phi)[0] - y.reshape(-1)


def residuals_and_jacobian(
    weights: Sequence[torch.Tensor], X: torch.Tensor, y: torch.Tensor, phi: str = "tanh"
) -> tuple[torch.Tensor, torch.Tensor]:
    """r = f(X) - y (N,) and its exact Jacobian J (N, P) with respect to the flattened weights.

    Columns in the order of ``torch.cat([w.reshape(-1) for w in weights])``. Backpropagating the
    output per sample: delta (N, fan_out) is df/dz for a layer's pre-activations z, and that
    layer's block of J is delta[n, i] * h[n, j] for its input h.
    """
    _check_smooth(phi)
    slope = nonlinearity(phi).slope
    with torch.no_grad():
        f, hs = _forward(weights, X, phi)
        delta = torch.ones(X.shape[0], 1, dtype=X.dtype, device=X.device)
        blocks = []
        for layer in reversed(range(len(weights))):
            h = hs[layer]
            blocks.append((delta[:, :, None] * h[:, None, :]).reshape(X.shape[0], -1))
            if layer:
                delta = (delta @ weights[layer]) * slope(h)
        return f - y.reshape(-1), torch.cat(blocks[::-1], dim=1)


def flatten(weights: Sequence[torch.Tensor]) -> torch.Tensor:
    return torch.cat([w.reshape(-1) for w in weights])


def unflatten(theta: torch.Tensor, shapes: Sequence[torch.Size]) -> list[torch.Tensor]:
    sizes = [math.prod(s) for s in shapes]
    return [t.reshape(s) for t, s in zip(torch.split(theta, sizes), shapes)]


def _stalled(history: list[float], options: LMOptions) -> bool:
    k = options.stall_iterations
    return len(history) > k and history[-1] > (1 - options.stall_rtol) * history[-1 - k]


def _budget_spent(iterations: int, start: float, options: LMOptions) -> bool:
    return iterations >= options.max_iterations or time.perf_counter() - start >= options.max_seconds


def _factor(A: torch.Tensor, D: torch.Tensor, lam: float) -> torch.Tensor | None:
    """The Cholesky factor of A + lam D, or None when it fails."""
    L, info = torch.linalg.cholesky_ex(A + torch.diag(lam * D))
    return None if int(info) != 0 else L


def _solve(L: torch.Tensor, rhs: torch.Tensor) -> torch.Tensor:
    return torch.cholesky_solve(rhs[:, None], L)[:, 0]


# geodesic acceleration (Transtrum and Sethna 2012): the finite-difference step, relative to the
# velocity, and the largest acceleration kept, relative to the velocity
GEODESIC_H = 0.1
GEODESIC_ALPHA = 0.75


class _Problem:
    """The data, the current point and its residuals, Jacobian and scaled normal equations."""

    def __init__(self, weights, X, y, phi, scale):
        # a fresh copy: the BLAS then sees the same alignment however X was allocated or sliced
        self.X = torch.as_tensor(X).to(DTYPE, copy=True)
        self.y = torch.as_tensor(y).to(DTYPE, copy=True).to(self.X.device).reshape(-1)
        self.phi, self.scale = phi, float(scale)
        self.shapes = [w.shape for w in weights]
        self.theta = flatten([torch.as_tensor(w).detach().to(DTYPE) for w in weights]).to(self.X.device)
        self.D = torch.zeros_like(self.theta)
        self.linearise()

    def weights(self, theta=None) -> list[torch.Tensor]:
        return unflatten(self.theta if theta is None else theta, self.shapes)

    def cost(self, r: torch.Tensor) -> float:
        return 0.5 * float(r @ r)

    def error(self, cost: float) -> float:
        return 2 * cost / self.y.numel() / self.scale

    def linearise(self) -> None:
        r, J = residuals_and_jacobian(self.weights(), self.X, self.y, self.phi)
        self.r, self.J = r, J
        self.F = self.cost(r)
        self.A = J.T @ J
        self.g = J.T @ r
        self.D = torch.maximum(self.D, torch.diagonal(self.A))
        self.D.clamp_(min=max(EPS * float(self.D.max()), torch.finfo(DTYPE).tiny))

    def step(self, L: torch.Tensor, geodesic: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """The velocity v, (A + lam D) v = -g, and the step: v + a/2 with the geodesic
        acceleration a where it is small next to v, else v."""
        v = _solve(L, -self.g)
        if not geodesic:
            return v, v
        r_h = residuals(self.weights(self.theta + GEODESIC_H * v), self.X, self.y, self.phi)
        r_vv = (2 / GEODESIC_H) * ((r_h - self.r) / GEODESIC_H - self.J @ v)
        a = _solve(L, -(self.J.T @ r_vv))
        if torch.isfinite(a).all() and 2 * float(a.norm()) <= GEODESIC_ALPHA * float(v.norm()):
            return v, v + 0.5 * a
        return v, v

    def trial(self, delta: torch.Tensor) -> tuple[torch.Tensor, float]:
        theta = self.theta + delta
        return theta, self.cost(residuals(self.weights(theta), self.X, self.y, self.phi))


def levenberg_marquardt(
    weights: Sequence[torch.Tensor],
    X: torch.Tensor,
    y: torch.Tensor,
    phi: str = "tanh",
    scale: float = 1.0,
    options: LMOptions = LMOptions(),
) -> LMResult:
    """Minimise sum((f(X) - y)^2) over ``weights`` by Levenberg-Marquardt, in float64.

    ``scale`` divides the MSE to give the reported errors (pass Var(y_test) for relative errors).
    ``y`` should be float64 targets computed in float64 (see the module docstring).
    """
    _check_smooth(phi)
    start = time.perf_counter()
    p = _Problem(weights, X, y, phi, scale)
    error_start = p.error(p.F)
    lam, nu, iterations, history = options.lambda_init, 2.0, 0, []
    reason = _stop_reason(p.error(p.F), history, iterations, lam, start, options)
    while reason is None:
        iterations += 1
        L, rho = _factor(p.A, p.D, lam), -math.inf  # a failed Cholesky counts as a rejection
        if L is not None:
            v, delta = p.step(L, options.geodesic)
            predicted = 0.5 * float(v @ (lam * p.D * v - p.g))  # L(0) - L(v), Nielsen's form
            if lam <= ROUNDING_LAMBDA and _below_rounding(predicted, p.F, v, p.theta):
                reason = "rounding"
                break
            theta, F = p.trial(delta)
            if F < p.F:  # never a step that raises the cost (nor a non-finite one)
                rho = (p.F - F) / predicted
                p.theta = theta
                p.linearise()
                history.append(p.error(p.F))
        lam, nu = _nielsen(lam, nu, rho)
        reason = _stop_reason(p.error(p.F), history, iterations, lam, start, options)
    return LMResult(
        weights=[w.clone() for w in p.weights()],
        error_start=error_start,
        error=p.error(p.F),
        iterations=iterations,
        seconds=time.perf_counter() - start,
        reason=reason,
        history=np.array(history, dtype=np.float64),
    )


def _nielsen(lam: float, nu: float, rho: float) -> tuple[float, float]:
    """Nielsen's damping update: after a gain (rho > 0) shrink lambda by up to 3, else raise it
    by nu, doubling nu at each consecutive rejection."""
    if rho > 0:
        return lam * max(1 / 3, 1 - (2 * rho - 1) ** 3), 2.0
    return lam * nu, 2 * nu


def _below_rounding(predicted: float, F: float, delta: torch.Tensor, theta: torch.Tensor) -> bool:
    """The model's predicted decrease, or the step, is within a few eps of the cost or weights."""
    if not predicted > ROUNDING_EPS * EPS * F:
        return True
    return float(delta.norm()) <= ROUNDING_EPS * EPS * float(theta.norm())


def _stop_reason(error, history, iterations, lam, start, options) -> str | None:
    if error <= options.tolerance:
        return "tolerance"
    if _stalled(history, options) or lam > LAMBDA_MAX:
        return "stalled"
    if _budget_spent(iterations, start, options):
        return "budget"
    return None


def polish_batch(
    students: Sequence[Sequence[torch.Tensor]],
    X: torch.Tensor,
    y: torch.Tensor,
    phi: str,
    scale: Sequence[float],
    options: LMOptions = LMOptions(),
) -> list[LMResult]:
    """Polish K students, student k on X[k] (N, n_in), y[k] (N, 1), reported relative to scale[k].

    A loop over students, each on its own copy of its data, so that each result is bitwise the
    one :func:`levenberg_marquardt` gives it alone, whatever batch it is in (a view into the
    batch could sit at another alignment, which can change a BLAS kernel's rounding).

    A batched CUDA version (not written: it cannot be tested here) would stack the K problems:
    J (K, N, P) by one batched backward pass, A = J^T J by one ``torch.bmm``, one batched
    ``cholesky_ex`` and ``cholesky_solve``, with per-student lambda, nu, D, F and acceptance as
    device tensors and ``torch.where`` in place of the branches. Each student's stop flag would
    be computed on the device every iteration and freeze it (a stopped student's step masked to
    zero), but read back to the host only every few iterations (say 10), to leave the loop once
    all have stopped without a host sync per iteration. Batched kernels round differently from
    single ones, so its results would match this loop's closely but not bitwise.
    """
    if not len(students) == len(X) == len(y) == len(scale):
        raise ValueError(f"polish_batch: {len(students)} students, {len(X)} X, {len(y)} y, {len(scale)} scales")
    return [levenberg_marquardt(w, X[k], y[k], phi, scale[k], options) for k, w in enumerate(students)]
