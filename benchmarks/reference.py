"""The tutorial's training loop, as the baseline the engine is checked and timed against.

``nn.Sequential`` of ``nn.Linear(bias=False)`` and ``nn.Tanh``, autograd, ``torch.optim.Adam``
(a new optimizer per phase, as the tutorial makes one per phase) and ``nn.MSELoss``, one model
at a time, batch-major data (N, features), the loss of every step read back with ``.item()``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from depthwidth.engine import Phase


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
    weights: Sequence[torch.Tensor], X: np.ndarray, y: np.ndarray, schedule: Sequence[Phase],
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
