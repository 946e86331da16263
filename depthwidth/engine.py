"""Full-batch Adam for the bias-free MLPs of this workflow, with phased learning rates.

The forward and backward passes are written out by hand, feature-major: activations are
(features, N), which MKL multiplies several times faster than the (N, features) layout for these
5-wide layers. Adam follows ``torch.optim.Adam`` exactly (moments, bias correction, eps outside
the square root), so a run matches the tutorial's ``optim.Adam`` loop up to rounding. As in the tutorial, which
makes a new optimizer for each phase, Adam's moments and step count restart with every phase.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


@dataclass(frozen=True)
class Phase:
    steps: int
    lr: float


def phased_schedule(phases: int, steps_per_phase: int, lr: float, lr_decay: float) -> tuple[Phase, ...]:
    """``phases`` phases of ``steps_per_phase`` steps, the learning rate divided by ``lr_decay`` each phase."""
    return tuple(Phase(steps_per_phase, lr / lr_decay**k) for k in range(phases))


@dataclass
class TrainResult:
    weights: list[torch.Tensor]  # trained, on CPU, in the training dtype
    losses: np.ndarray  # (steps,) training MSE before each update
    seconds: float


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device: cuda was asked for, but torch sees no CUDA device")
    return torch.device(device)


def _activation(phi: str) -> tuple[Callable, Callable]:
    """(f, f' expressed through the output a = f(z))."""
    if phi == "tanh":
        return torch.tanh, lambda a: 1 - a * a
    if phi == "relu":
        return torch.relu, lambda a: (a > 0).to(a.dtype)
    if phi == "linear":
        return (lambda z: z), (lambda a: torch.ones_like(a))
    raise ValueError(f"unknown nonlinearity {phi!r}")


def _loss_and_grads(ws, xT, yT, f, df):
    """Mean squared error and its gradients. xT: (n_in, N), yT: (n_out, N)."""
    hs = [xT]
    for w in ws[:-1]:
        hs.append(f(w @ hs[-1]))  # (fan_out, N)
    err = ws[-1] @ hs[-1] - yT  # (n_out, N)
    n = err.numel()
    loss = (err * err).sum() / n
    g = err * (2.0 / n)
    grads = [None] * len(ws)
    for i in range(len(ws) - 1, -1, -1):
        grads[i] = g @ hs[i].T
        if i:
            g = (ws[i].T @ g) * df(hs[i])
    return loss, grads


def train(
    weights: Sequence[torch.Tensor],
    X: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    schedule: Sequence[Phase],
    phi: str = "tanh",
    dtype: torch.dtype = torch.float64,
    device: str = "cpu",
    progress: Callable[[int, int, float], None] | None = None,
    progress_every: float = 5.0,
) -> TrainResult:
    """Train ``weights`` (copies) on (X, y) with full-batch Adam over the phases of ``schedule``.

    ``progress(step, total, loss)`` is called about every ``progress_every`` seconds.
    """
    dev = resolve_device(device)
    f, df = _activation(phi)
    ws = [torch.as_tensor(w).to(dev, dtype).clone() for w in weights]
    xT = torch.as_tensor(X).to(dev, dtype).T.contiguous()  # (n_in, N)
    yT = torch.as_tensor(y).to(dev, dtype).T.contiguous()  # (n_out, N)
    total = sum(p.steps for p in schedule)
    losses = torch.empty(total, dtype=dtype, device=dev)
    done = 0
    start = last = time.perf_counter()
    for phase in schedule:
        ms = [torch.zeros_like(w) for w in ws]
        vs = [torch.zeros_like(w) for w in ws]
        for t in range(1, phase.steps + 1):
            loss, grads = _loss_and_grads(ws, xT, yT, f, df)
            losses[done] = loss
            done += 1
            bc1 = 1 - BETA1**t
            bc2_sqrt = math.sqrt(1 - BETA2**t)
            for w, g, m, v in zip(ws, grads, ms, vs):
                m.lerp_(g, 1 - BETA1)
                v.mul_(BETA2).addcmul_(g, g, value=1 - BETA2)
                denom = (v.sqrt() / bc2_sqrt).add_(EPS)
                w.addcdiv_(m, denom, value=-phase.lr / bc1)
            if progress is not None and time.perf_counter() - last > progress_every:
                last = time.perf_counter()
                progress(done, total, float(loss))
    return TrainResult([w.cpu() for w in ws], losses.cpu().numpy(), time.perf_counter() - start)
