"""The (sigma_w, sigma_b) phase diagram of deep random tanh nets: mean-field theory and simulation.

The theory (``depthwidth.theory.meanfield``) gives chi_1, the order-to-chaos line chi_1 = 1 and the depth
scale xi_c over a grid of the plane. The simulation measures chi_1 directly, as the per-layer growth
of a tiny perturbation's squared length in wide random nets whose pre-activations start at q*.

Everything goes into one tidy table, a row per point of the plane, ``kind`` saying which:
``grid`` (the heatmap), ``critical`` (the line chi_1 = 1, at each sigma_b of the grid; its
depth_scale is infinite, or above 10^7 where chi_1 = 1 holds only to rounding) and
``simulation`` (the measured points, with ``chi_1_simulated``, its standard error and its relative
deviation from the theory; NaN in the other rows).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from depthwidth.theory import meanfield

THEORY_COLUMNS = ["q_star", "chi_1", "c_star", "chi_c", "depth_scale"]
SIMULATION_COLUMNS = ["chi_1_simulated", "chi_1_simulated_se", "relative_deviation"]


def _theory_row(kind: str, sigma_w: float, sigma_b: float) -> dict:
    mf = meanfield.mean_field(sigma_w, sigma_b)
    return {
        "kind": kind,
        "sigma_w": float(sigma_w),
        "sigma_b": float(sigma_b),
        **{k: float(getattr(mf, k)) for k in THEORY_COLUMNS},
    }


def theory_grid(sigma_ws: Sequence[float], sigma_bs: Sequence[float]) -> pd.DataFrame:
    """The mean-field quantities at every (sigma_w, sigma_b) of the grid, kind ``grid``."""
    return pd.DataFrame([_theory_row("grid", w, b) for b in sigma_bs for w in sigma_ws])


def critical_line(sigma_bs: Sequence[float]) -> pd.DataFrame:
    """The critical sigma_w (chi_1 = 1) at each sigma_b, with the theory there, kind ``critical``."""
    return pd.DataFrame([_theory_row("critical", meanfield.critical_sigma_w(b), b) for b in sigma_bs])


def perturbation_growth(
    sigma_w: float, sigma_b: float, width: int, layers: int, burn_in: int, inputs: int, seed: int, eps: float = 1e-6
) -> np.ndarray:
    """(layers - burn_in,) per layer after the burn-in, the mean over ``inputs`` of |d'|^2 / |d|^2.

    d is a perturbation of the pre-activations z (N(0, q*) per unit, so the net starts at the
    length map's fixed point), d' its image one layer on: ``W tanh(z + d) - W tanh(z)``. It is
    rescaled to ``eps`` per unit every layer to stay in the linear regime (the theory's chi_1 is the
    limit of tiny perturbations). The burn-in lets its direction forget the start.
    """
    if not 0 <= burn_in <= layers - 2:
        raise ValueError(
            f"need 0 <= burn_in <= layers - 2 (two measured layers for a standard error), "
            f"got burn_in={burn_in}, layers={layers}"
        )
    rng = np.random.default_rng(seed)
    z = np.sqrt(meanfield.q_star(sigma_w, sigma_b)) * rng.standard_normal((inputs, width))
    d = rng.standard_normal((inputs, width))
    size = eps * np.sqrt(width)
    d *= size / np.linalg.norm(d, axis=1, keepdims=True)
    ratios = []
    for _ in range(layers):
        w = rng.standard_normal((width, width))  # scaled after the product: width^2 fewer multiplications
        b = rng.standard_normal(width) * sigma_b
        both = (np.tanh(np.concatenate([z, z + d])) @ w) * (sigma_w / np.sqrt(width)) + b
        z_next, d_next = both[:inputs], both[inputs:] - both[:inputs]
        norm = np.linalg.norm(d_next, axis=1)
        ratios.append(np.mean((norm / size) ** 2))
        # a perturbation that vanished (every unit saturated, its change below rounding) measured a
        # growth of 0 and cannot be rescaled: it restarts from a fresh direction
        dead = ~(norm > 0)
        if dead.any():
            d_next[dead] = rng.standard_normal((int(dead.sum()), width))
            norm[dead] = np.linalg.norm(d_next[dead], axis=1)
        z, d = z_next, d_next * (size / norm[:, None])
    return np.array(ratios[burn_in:])


def simulated_points(
    points: Sequence[Sequence[float]], width: int, layers: int, burn_in: int, inputs: int, seed: int
) -> pd.DataFrame:
    """Measured chi_1 (mean over layers after the burn-in; standard error from the layers' spread)
    beside the theory at each (sigma_w, sigma_b), kind ``simulation``."""
    rows = []
    for i, (sigma_w, sigma_b) in enumerate(points):
        growth = perturbation_growth(sigma_w, sigma_b, width, layers, burn_in, inputs, seed + i)
        row = _theory_row("simulation", sigma_w, sigma_b)
        measured = float(growth.mean())
        rows.append(
            {
                **row,
                "chi_1_simulated": measured,
                "chi_1_simulated_se": float(growth.std(ddof=1) / np.sqrt(len(growth))),
                "relative_deviation": measured / row["chi_1"] - 1.0,
            }
        )
    return pd.DataFrame(rows)


def phase_diagram_table(
    sigma_ws: Sequence[float],
    sigma_bs: Sequence[float],
    points: Sequence[Sequence[float]],
    width: int,
    layers: int,
    burn_in: int,
    inputs: int,
    seed: int,
) -> pd.DataFrame:
    """The grid, the critical line and the simulated points in one table (see the module's docstring)."""
    parts = [
        theory_grid(sigma_ws, sigma_bs),
        critical_line(sigma_bs),
        simulated_points(points, width, layers, burn_in, inputs, seed),
    ]
    return pd.concat(parts, ignore_index=True).reindex(
        columns=["kind", "sigma_w", "sigma_b", *THEORY_COLUMNS, *SIMULATION_COLUMNS]
    )
