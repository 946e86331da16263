"""Bias-free MLPs as plain lists of weight matrices.

A network is ``list[Tensor]``: one ``(fan_out, fan_in)`` matrix per layer, the layout of
``nn.Linear.weight``. Every layer but the last is followed by the nonlinearity; the readout is
linear. ``sizes`` lists the layer widths from input to output, so ``sizes = [5, 5, 5, 5, 5, 1]``
is the tutorial's teacher: depth 5 counting the input layer, 105 weights (see ``sizes``).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

@dataclass(frozen=True)
class Nonlinearity:
    """A nonlinearity phi and the forms training needs of it.

    ``exact`` is what teachers and evaluation use (``torch.tanh``: the tutorial's numbers);
    ``fast`` and ``fast_`` (in place) compute the same function more cheaply for the engine, and
    ``slope``/``slope_`` give phi'(z) from the activation a = phi(z), as the backward pass has it.
    """

    name: str
    exact: Callable[[torch.Tensor], torch.Tensor]
    fast: Callable[[torch.Tensor], torch.Tensor]
    fast_: Callable[[torch.Tensor], torch.Tensor]
    slope: Callable[[torch.Tensor], torch.Tensor]
    slope_: Callable[[torch.Tensor], torch.Tensor]


NONLINEARITIES: dict[str, Nonlinearity] = {
    # tanh z = 2 sigmoid(2z) - 1: a few times cheaper than torch.tanh per element on a CPU
    "tanh": Nonlinearity(
        "tanh",
        exact=torch.tanh,
        fast=lambda z: 2 * torch.sigmoid(2 * z) - 1,
        fast_=lambda z: torch.sigmoid(z.mul_(2), out=z).mul_(2).sub_(1),
        slope=lambda a: 1 - a * a,
        slope_=lambda a: a.mul_(a).neg_().add_(1),
    ),
    "relu": Nonlinearity(
        "relu",
        exact=torch.relu,
        fast=torch.relu,
        fast_=lambda z: z.clamp_(min=0),
        slope=lambda a: (a > 0).to(a.dtype),
        slope_=lambda a: a.gt_(0),
    ),
    "linear": Nonlinearity(
        "linear",
        exact=lambda z: z,
        fast=lambda z: z,
        fast_=lambda z: z,
        slope=torch.ones_like,
        slope_=lambda a: a.fill_(1),
    ),
}
STUDENT_INITS = ("default", "teacher")


def nonlinearity(name: str) -> Nonlinearity:
    try:
        return NONLINEARITIES[name]
    except KeyError:
        raise ValueError(f"unknown nonlinearity {name!r}; choose one of {sorted(NONLINEARITIES)}") from None


def forward(weights: Sequence[torch.Tensor], x: torch.Tensor, phi: str = "tanh") -> torch.Tensor:
    """(N, sizes[0]) -> (N, sizes[-1])."""
    act = nonlinearity(phi).exact
    h = x
    for w in weights[:-1]:
        h = act(h @ w.T)
    return h @ weights[-1].T


def activations(weights: Sequence[torch.Tensor], x: torch.Tensor, phi: str = "tanh") -> list[torch.Tensor]:
    """Every hidden layer's activity, input first: ``len(weights)`` tensors of (N, width)."""
    act = nonlinearity(phi).exact
    hs = [x]
    for w in weights[:-1]:
        hs.append(act(hs[-1] @ w.T))
    return hs


def default_init_(weights: Sequence[torch.Tensor], generator: torch.Generator) -> None:
    """PyTorch's ``nn.Linear`` default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), in layer order.

    Draws exactly what ``nn.Linear(bias=False)`` construction draws from the same generator.
    """
    for w in weights:
        bound = 1.0 / math.sqrt(w.shape[1])
        w.uniform_(-bound, bound, generator=generator)


def normal_init_(weights: Sequence[torch.Tensor], sigma: float, generator: torch.Generator) -> None:
    """W ~ N(0, sigma^2 / fan_in), in layer order."""
    for w in weights:
        w.normal_(0.0, sigma / math.sqrt(w.shape[1]), generator=generator)


def empty_weights(sizes: Sequence[int], dtype: torch.dtype = torch.float32) -> list[torch.Tensor]:
    return [torch.empty(b, a, dtype=dtype) for a, b in zip(sizes[:-1], sizes[1:])]


def make_teacher(sizes: Sequence[int], sigma: float, generator: torch.Generator) -> list[torch.Tensor]:
    """The tutorial's teacher, drawn in float32 so that a given seed gives the tutorial's numbers.

    The tutorial builds ``nn.Linear(bias=False)`` layers (whose default init consumes the
    generator) and then redraws every weight from N(0, sigma^2/fan_in); both draws are kept.
    """
    weights = empty_weights(sizes)
    default_init_(weights, generator)
    normal_init_(weights, sigma, generator)
    return weights


def make_student(
    sizes: Sequence[int], init: str, sigma: float, generator: torch.Generator
) -> list[torch.Tensor]:
    """A student: ``init="default"`` is PyTorch's default, ``"teacher"`` the teacher's N(0, sigma^2/fan_in)."""
    if init not in STUDENT_INITS:
        raise ValueError(f"unknown student init {init!r}; choose one of {STUDENT_INITS}")
    weights = empty_weights(sizes)
    default_init_(weights, generator)
    if init == "teacher":
        normal_init_(weights, sigma, generator)
    return weights


def derived_seed(seed: int, *names: object) -> int:
    """A stable 63-bit seed for one job, from the teacher seed and the job's name.

    Each job seeds its own generator, so its numbers do not depend on what ran before it.
    """
    key = "/".join(str(n) for n in (seed, *names)).encode()
    return (zlib.crc32(key) << 31) ^ (seed & 0x7FFFFFFF)


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)
