"""Bias-free MLPs as plain lists of weight matrices.

A network is ``list[Tensor]``: one ``(fan_out, fan_in)`` matrix per layer, the layout of
``nn.Linear.weight``. Every layer but the last is followed by the nonlinearity; the readout is
linear. ``sizes`` lists the layer widths from input to output, so ``sizes = [5, 5, 5, 5, 5, 1]``
is the tutorial's teacher: depth 5 counting the input layer, 105 weights (see ``sizes``).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
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


def make_student(sizes: Sequence[int], init: str, sigma: float, generator: torch.Generator) -> list[torch.Tensor]:
    """A student: ``init="default"`` is PyTorch's default, ``"teacher"`` the teacher's N(0, sigma^2/fan_in)."""
    if init not in STUDENT_INITS:
        raise ValueError(f"unknown student init {init!r}; choose one of {STUDENT_INITS}")
    weights = empty_weights(sizes)
    default_init_(weights, generator)
    if init == "teacher":
        normal_init_(weights, sigma, generator)
    return weights


# torch's CPU generator (mt19937) seeds from the low 32 bits of manual_seed's value alone: seeds
# 2**32 apart (-1 and 2**64 - 1, 5 and 5 + 2**32) give one stream. Teacher seeds are therefore
# 32-bit signed integers (the schema's range), which manual_seed keeps apart.
SEED_MIN, SEED_MAX = -(2**31), 2**31 - 1
# derived_seed's values lie in [2**62, 2**63): above any teacher or expressivity seed, so
# ``generator`` tells them apart and seeds them from all their bits.
DERIVED_MIN = 2**62


def derived_seed(seed: int, *names: object) -> int:
    """A stable seed in [2**62, 2**63) for one job: 62 bits of a BLAKE2b hash of the whole key.

    The key is the teacher seed and every name (``derived_seed(seed, name)`` for a student,
    ``derived_seed(seed, name, "restart", k)`` for a restart), so any two keys differ in all the
    generator sees, unlike a CRC of the name above the seed's bits, of which torch kept one bit.
    Each job seeds its own generator, so its numbers do not depend on what ran before it.
    """
    key = json.dumps([seed, *names], default=str, separators=(",", ":")).encode()
    digest = hashlib.blake2b(key, digest_size=8, person=b"depthwidth").digest()
    return DERIVED_MIN | (int.from_bytes(digest, "big") >> 2)


def generator(seed: int) -> torch.Generator:
    """A CPU generator seeded ``seed``.

    Seeds of up to 32 bits (-2**31 .. 2**32 - 1: teachers, the expressivity nets) go to
    ``manual_seed`` as they always did, so -1 still gives the tutorial's numbers. The larger seeds
    of :func:`derived_seed` would lose all but their low 32 bits there; their generator starts
    instead from the mt19937 state that seeding with all 64 bits gives (MT's ``init_by_array``,
    as numpy's ``RandomState`` does), so distinct derived seeds give distinct streams.
    """
    if SEED_MIN <= seed < 2**32:
        return torch.Generator().manual_seed(seed)
    if not 2**32 <= seed < 2**64:
        raise ValueError(f"seed {seed} is out of range: expected -2**31 .. 2**64 - 1")
    words = np.array([seed & 0xFFFFFFFF, seed >> 32], dtype=np.uint32)
    state = np.random.RandomState(words).get_state()[1]  # 624 words of mt19937 state
    g = torch.Generator()
    g.set_state(_torch_state(seed, state))
    return g


def _torch_state(seed: int, mt_state: np.ndarray) -> torch.Tensor:
    """torch's CPU generator state for a freshly seeded mt19937 ``mt_state`` (layout checked once)."""
    _check_state_layout()
    raw = bytearray(torch.Generator().manual_seed(0).get_state().numpy().tobytes())
    raw[0:8] = np.array([seed], dtype="<u8").tobytes()  # what initial_seed() reports
    raw[_MT_OFFSET : _MT_OFFSET + 624 * 8] = mt_state.astype("<u8").tobytes()
    return torch.frombuffer(raw, dtype=torch.uint8).clone()


# torch's CPU generator state: initial seed (u64), left, seeded (int32), next (u64), then the
# 624 words of mt19937 state as u64 (at byte 24), then the cached normal samples.
_MT_OFFSET = 24
_LAYOUT_CHECKED = False


def _check_state_layout() -> None:
    """Check that the state layout above is torch's: rebuild manual_seed(12345)'s state from
    numpy's mt19937 seeded alike and compare byte for byte."""
    global _LAYOUT_CHECKED
    if _LAYOUT_CHECKED:
        return
    want = torch.Generator().manual_seed(12345).get_state().numpy().tobytes()
    raw = bytearray(torch.Generator().manual_seed(0).get_state().numpy().tobytes())
    raw[0:8] = np.array([12345], dtype="<u8").tobytes()
    raw[_MT_OFFSET : _MT_OFFSET + 624 * 8] = np.random.RandomState(12345).get_state()[1].astype("<u8").tobytes()
    if bytes(raw) != want:
        raise RuntimeError(
            f"torch {torch.__version__}'s CPU generator state has an unknown layout; "
            "depthwidth.model.nets.generator cannot seed derived streams"
        )
    _LAYOUT_CHECKED = True
