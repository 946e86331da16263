"""Architectures as lists of layer widths, input to output: ``[5, 5, 5, 5, 5, 1]`` is the
tutorial's teacher (depth 5 counting the input layer, 105 weights).

Kept apart from ``nets`` so that what only reasons about sizes (the config checks, the study's
names, the figures, Snakemake's planning) does not import torch, which costs a job about 1.5 s.
"""

from __future__ import annotations

from collections.abc import Sequence


def deep_sizes(n_in: int, width: int, depth: int, n_out: int = 1) -> list[int]:
    """Layer sizes of a net of ``depth`` layers counting the input, plus a linear readout."""
    return [n_in] + [width] * (depth - 1) + [n_out]


def shallow_sizes(n_in: int, width: int, n_out: int = 1) -> list[int]:
    """One hidden layer of ``width`` units."""
    return [n_in, width, n_out]


def hidden_width(sizes: Sequence[int]) -> int:
    """A net's width W: its widest hidden layer (the one hidden layer of a shallow net); 0 for a
    linear map (no hidden layer: the linear reference)."""
    return max(sizes[1:-1], default=0)


def n_parameters(sizes: Sequence[int]) -> int:
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


# Weight matrices a net may have at most in the native training loop (MAX_LAYERS of
# depthwidth/training/native/train.c): deeper nets train with torch, and `engine: native` refuses them.
NATIVE_MAX_LAYERS = 64
