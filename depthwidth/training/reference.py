"""The baselines the engine is checked and timed against: plain autograd with ``torch.optim.Adam``.

- :func:`adam_reference`: the engine's semantics written the obvious way (autograd through
  :func:`nets.forward`, a new ``torch.optim.Adam`` per phase); the tests and the benchmark
  require the engine's loss curve to equal it within 1e-9 relative in float64.
- :func:`tutorial_train`: the tutorial's loop as written in its notebook (``nn.Sequential`` of
  ``nn.Linear(bias=False)`` and ``nn.Tanh``, ``nn.MSELoss``, batch-major data (N, features),
  the loss read back with ``.item()`` every step), the baseline of the benchmark's speed-ups.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from depthwidth.model import nets
from depthwidth.training.engine import Phase


def adam_reference(
    weights: Sequence[torch.Tensor],
    X: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    schedule: Sequence[Phase],
    dtype: torch.dtype = torch.float64,
    restart: bool = True,
) -> tuple[list[torch.Tensor], np.ndarray]:
    """Train copies of ``weights`` by autograd and ``torch.optim.Adam``: a new optimizer per phase
    (one kept across phases, only its lr changed, if not ``restart``). Returns the trained weights
    and the loss before every step."""
    ws = [w.detach().to(dtype).clone().requires_grad_() for w in weights]
    X, y = torch.as_tensor(X).to(dtype), torch.as_tensor(y).to(dtype)
    losses = []
    opt = None
    for phase in schedule:
        if restart or opt is None:
            opt = torch.optim.Adam(ws, lr=phase.lr)
        opt.param_groups[0]["lr"] = phase.lr
        for _ in range(phase.steps):
            opt.zero_grad()
            loss = ((nets.forward(ws, X) - y) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return [w.detach() for w in ws], np.array(losses)


def tutorial_model(weights: Sequence[torch.Tensor], dtype: torch.dtype) -> nn.Sequential:
    """The tutorial's network holding copies of ``weights`` ((fan_out, fan_in) each)."""
    layers: list[nn.Module] = []
    for i, w in enumerate(weights):
        lin = nn.Linear(w.shape[1], w.shape[0], bias=False).to(dtype)
        with torch.no_grad():
            lin.weight.copy_(w)
        layers.append(lin)
        if i < len(weights) - 1:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


def tutorial_train(
    weights: Sequence[torch.Tensor],
    X: np.ndarray,
    y: np.ndarray,
    schedule: Sequence[Phase],
    dtype: torch.dtype = torch.float64,
) -> tuple[list[torch.Tensor], np.ndarray]:
    """Train like the tutorial; returns the trained weights and the loss before every step."""
    model = tutorial_model(weights, dtype)
    Xt = torch.as_tensor(X).to(dtype)
    yt = torch.as_tensor(y).to(dtype)
    criterion = nn.MSELoss()
    losses = []
    for phase in schedule:
        optimizer = torch.optim.Adam(model.parameters(), lr=phase.lr)
        for _ in range(phase.steps):
            optimizer.zero_grad()
            loss = criterion(model(Xt), yt)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return [m.weight.detach().clone() for m in model if isinstance(m, nn.Linear)], np.array(losses)
