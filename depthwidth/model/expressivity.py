"""A circle pushed through deep random nets: how chaotic nets stretch and fold it.

Follows the tutorial's demo: 400 points on the unit circle in the plane, through a
``make_MLP(2, W, D)``-shaped net whose every layer is followed by tanh; the D-1 hidden layers'
activity is kept and projected to 3-D by one fixed random (W, 3) Gaussian matrix. With the
tutorial's seed (42) the nets and the projection are the tutorial's own: the nets are drawn one
after another from one torch generator, as teachers are, and the projection from numpy's legacy
generator.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import torch

from depthwidth.experiment.sizes import deep_sizes
from depthwidth.model.nets import generator, make_teacher, nonlinearity


def unit_circle(points: int) -> np.ndarray:
    """(P, 2) points at angles linspace(0, 2 pi, P), endpoint included as in the tutorial (a closed loop)."""
    theta = np.linspace(0.0, 2.0 * np.pi, points)
    return np.stack([np.cos(theta), np.sin(theta)], axis=1)


def hidden_layers(weights: Sequence[torch.Tensor], circle: np.ndarray, phi: str = "tanh") -> Iterator[np.ndarray]:
    """The activity of each hidden layer of a net applied to the circle, (P, width), one at a time
    (a layer fits in cache; all of them, for measuring lengths only, would not)."""
    act = nonlinearity(phi).exact
    h = torch.as_tensor(circle, dtype=torch.float64)
    for w in weights[:-1]:
        h = act(h @ w.double().T)  # (P, width)
        yield h.numpy()


def hidden_trajectories(weights: Sequence[torch.Tensor], circle: np.ndarray, phi: str = "tanh") -> np.ndarray:
    """(depth-1, P, width) activity of every hidden layer of a net applied to the circle."""
    return np.stack(list(hidden_layers(weights, circle, phi)))


def random_projection(width: int, seed: int) -> np.ndarray:
    """(width, 3) standard normal matrix, shared by every layer and every net (numpy's legacy stream)."""
    return np.random.RandomState(seed).normal(size=(width, 3))


def trajectory_length(traj: np.ndarray) -> np.ndarray:
    """Length of the closed curve traced by each layer: (L, P, W) -> (L,), or (P, W) -> ()."""
    # in torch, which reduces these (L, P, W) arrays several times faster than numpy
    t = torch.from_numpy(np.ascontiguousarray(traj))
    steps = torch.diff(t, dim=-2)  # (L, P-1, W)
    return torch.linalg.vector_norm(steps, dim=-1).sum(dim=-1).numpy()


def normalised_length(traj: np.ndarray, length: np.ndarray | None = None) -> np.ndarray:
    """Length / (2 pi x RMS radius about the curve's centre): ~1 for a curve that stays a circle.
    ``length``: ``trajectory_length(traj)`` where the caller has it already."""
    t = torch.from_numpy(np.ascontiguousarray(traj))
    centred = t - t.mean(dim=-2, keepdim=True)
    radius = centred.square().sum(dim=-1).mean(dim=-1).sqrt().numpy()
    return (trajectory_length(traj) if length is None else length) / (2 * np.pi * radius)


def expressivity(
    sigmas: Sequence[float], width: int, depth: int, points: int, seed: int, phi: str = "tanh"
) -> dict[str, np.ndarray]:
    """Trajectories, their 3-D projections and lengths for each sigma, as arrays for one ``.npz``.

    Keys: ``circle`` (P, 2), ``sigmas`` (S,), ``projection`` (W, 3), ``trajectories``
    (S, D-1, P, W) float32, ``projected`` (S, D-1, P, 3), ``length`` and ``normalised_length`` (S, D-1).
    The nets are drawn in ``sigmas`` order from one torch generator seeded ``seed``.
    """
    circle = unit_circle(points)
    proj = random_projection(width, seed)
    g = generator(seed)
    sizes = deep_sizes(2, width, depth)
    trajs = np.stack([hidden_trajectories(make_teacher(sizes, s, g), circle, phi) for s in sigmas])
    length = trajectory_length(trajs)
    return {
        "circle": circle,
        "sigmas": np.asarray(sigmas, dtype=float),
        "projection": proj,
        "trajectories": trajs.astype(np.float32),
        "projected": trajs @ proj,
        "length": length,
        "normalised_length": normalised_length(trajs, length),
    }


def length_table(arrays: dict[str, np.ndarray], regimes: Sequence[str]) -> pd.DataFrame:
    """One row per regime and hidden layer: length and normalised length of the circle's image."""
    rows = []
    for i, regime in enumerate(regimes):
        for layer, (length, norm) in enumerate(zip(arrays["length"][i], arrays["normalised_length"][i]), start=1):
            rows.append(
                {
                    "regime": regime,
                    "sigma_w": float(arrays["sigmas"][i]),
                    "layer": layer,
                    "length": float(length),
                    "normalised_length": float(norm),
                }
            )
    return pd.DataFrame(rows)
