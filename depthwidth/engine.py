"""Full-batch Adam for the bias-free MLPs of this workflow, with phased learning rates.

Adam follows ``torch.optim.Adam`` exactly (moments, bias correction, eps outside the square
root, a new optimizer — fresh moments and step count — for every phase, as the tutorial makes
one per phase), so a run matches the tutorial's ``optim.Adam`` loop up to rounding. What makes it
fast on a CPU, where these tiny networks are bound by per-operation overhead:

- activations are feature-major, ``(features, N)``: MKL multiplies a 5x5 matrix into a (5, N)
  block several times faster than (N, 5) into a 5x5 one;
- the forward and backward passes are written out by hand, and tanh is ``2 sigmoid(2z) - 1``
  (a few times cheaper than ``torch.tanh`` per element) with the backward ``1 - a^2``;
- every weight matrix is a view into one flat parameter vector, so the Adam update is six
  operations on flat vectors rather than six per layer;
- optionally (``compile``) ``steps_per_call`` whole steps run in one ``torch.compile`` graph,
  where the narrow products are broadcast-and-sum expressions that Inductor fuses with the
  elementwise work around them, called through a C++ wrapper on a CPU.

Step counts and learning rates enter the compiled graph as 0-d tensors, so one graph serves
every phase and step. The loss before every step is written into a preallocated tensor that stays
on the device until the end (no host synchronisation per step on CUDA).

A run can checkpoint its whole state (weights, Adam moments, phase, step within the phase, the
losses so far) every ``checkpoint_every`` steps and resume from it bitwise identically: the
chunking of steps into compiled calls depends only on the position within the phase, and
checkpoints are only taken between calls.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import artifacts

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
CHECKPOINT_FORMAT = 1
COMPILE_MODES = ("auto", "true", "false")
# compile="auto" compiles a run of at least this many steps x points x hidden units: about 10 s of
# eager steps on one core. Shorter runs finish sooner eager than a compile, even a warm one
# (about 3 s, 10-30 s cold), takes. Decided from the run's size alone, so a rerun or a resumed
# run takes the same path.
AUTO_COMPILE_WORK = 5e9

log = logging.getLogger("depthwidth")


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
    seconds: float  # wall time of train(), compilation included
    compile_seconds: float = 0.0  # of it, spent compiling (first call of each graph)
    backend: str = "eager"  # "compiled" or "eager"
    device: str = "cpu"
    resumed_at: int = 0  # steps taken from a checkpoint (0: started afresh)
    notes: list[str] = field(default_factory=list)  # why compilation was not used, etc.


class CheckpointError(ValueError):
    """A checkpoint file exists but cannot be used; the message names the file."""


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device: cuda was asked for, but torch sees no CUDA device")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {device!r}")
    return torch.device(device)


def compile_mode(value: str | bool) -> str:
    """Normalise the ``compile`` option (YAML gives booleans) to auto, true or false."""
    mode = str(value).lower()
    if mode not in COMPILE_MODES:
        raise ValueError(f"compile must be auto, true or false, got {value!r}")
    return mode


# --- the network's loss and gradients -------------------------------------------------------


def _activate_(z: torch.Tensor, phi: str) -> torch.Tensor:
    """Apply the nonlinearity in place (eager path)."""
    if phi == "tanh":  # tanh z = 2 sigmoid(2z) - 1, a few times cheaper than torch.tanh here
        return torch.sigmoid(z.mul_(2), out=z).mul_(2).sub_(1)
    if phi == "relu":
        return z.clamp_(min=0)
    if phi == "linear":
        return z
    raise ValueError(f"unknown nonlinearity {phi!r}")


def _activate(z: torch.Tensor, phi: str) -> torch.Tensor:
    """The nonlinearity as a pure expression (compiled path)."""
    if phi == "tanh":
        return 2 * torch.sigmoid(2 * z) - 1
    if phi == "relu":
        return torch.relu(z)
    if phi == "linear":
        return z
    raise ValueError(f"unknown nonlinearity {phi!r}")


def _slope(a: torch.Tensor, phi: str) -> torch.Tensor:
    """f'(z) from the activation a = f(z)."""
    if phi == "tanh":
        return 1 - a * a
    if phi == "relu":
        return (a > 0).to(a.dtype)
    return torch.ones_like(a)


def _loss_and_grads_eager(ws, gs, xT, yT, phi):
    """MSE (0-d) with its gradients written into ``gs`` (views of the flat gradient).

    xT: (n_in, N), yT: (n_out, N); each hidden activity is (fan_out, N).
    """
    hs = [xT]
    for w in ws[:-1]:
        hs.append(_activate_(w @ hs[-1], phi))
    err = (ws[-1] @ hs[-1]).sub_(yT)  # (n_out, N)
    n = err.numel()
    loss = torch.dot(err.view(-1), err.view(-1)).div_(n)
    g = err.mul_(2.0 / n)
    for i in range(len(ws) - 1, -1, -1):
        torch.mm(g, hs[i].T, out=gs[i])
        if i:
            slope = hs[i].mul_(hs[i]).neg_().add_(1) if phi == "tanh" else _slope(hs[i], phi)
            g = (ws[i].T @ g).mul_(slope)
    return loss


def _product(w: torch.Tensor, h: torch.Tensor, bsum: bool) -> torch.Tensor:
    """w @ h for w (out, k), h (k, N); as a broadcast-and-sum that Inductor fuses when k is small."""
    if bsum:
        return (w[:, :, None] * h[None, :, :]).sum(1)  # (out, k, N) -> (out, N)
    return w @ h


def _loss_and_grads_graph(ws, xT, yT, phi, bsum_max):
    """Functional loss and gradients for the compiled graph (same maths as the eager path)."""
    hs = [xT]
    for w in ws[:-1]:
        hs.append(_activate(_product(w, hs[-1], w.shape[1] <= bsum_max), phi))
    err = _product(ws[-1], hs[-1], ws[-1].shape[1] <= bsum_max) - yT
    n = err.numel()
    loss = (err * err).sum() / n
    g = err * (2.0 / n)
    grads = [None] * len(ws)
    for i in range(len(ws) - 1, -1, -1):
        grads[i] = g @ hs[i].T  # a reduction over N: a matmul either way
        if i:
            w = ws[i]
            back = _product(w.T, g, w.shape[0] <= bsum_max)
            g = back * _slope(hs[i], phi)
    return loss, grads


# --- the engine's state ----------------------------------------------------------------------


class _State:
    """Flat parameter, gradient and Adam moment vectors, with per-layer (fan_out, fan_in) views."""

    def __init__(self, weights: Sequence[torch.Tensor], dev: torch.device, dtype: torch.dtype):
        self.shapes = [tuple(w.shape) for w in weights]
        self.numels = [int(w.numel()) for w in weights]
        self.p = torch.cat([torch.as_tensor(w).detach().to(dev, dtype).reshape(-1) for w in weights])
        self.g = torch.zeros_like(self.p)
        self.m = torch.zeros_like(self.p)
        self.v = torch.zeros_like(self.p)
        self.denom = torch.zeros_like(self.p)
        self.ws = self.views(self.p)
        self.gs = self.views(self.g)

    def views(self, flat: torch.Tensor) -> list[torch.Tensor]:
        return [part.view(shape) for part, shape in zip(flat.split(self.numels), self.shapes)]

    def reset_moments(self) -> None:
        self.m.zero_()
        self.v.zero_()


def _adam_step_eager(s: _State, t: int, lr: float) -> None:
    """``torch.optim.Adam``'s single-tensor update, op for op, on the flat vectors."""
    bias_correction1 = 1 - BETA1**t
    bias_correction2 = 1 - BETA2**t
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2**0.5
    s.m.lerp_(s.g, 1 - BETA1)
    s.v.mul_(BETA2).addcmul_(s.g, s.g, value=1 - BETA2)
    torch.sqrt(s.v, out=s.denom).div_(bias_correction2_sqrt).add_(EPS)
    s.p.addcdiv_(s.m, s.denom, value=-step_size)


def _make_chunk(shapes, phi: str, steps: int, bsum_max: int):
    """``steps`` Adam steps as one function of (p, m, v, xT, yT, t, lr) -> losses (steps,).

    ``t`` (0-d, float64) is the number of steps already taken in the phase and ``lr`` (0-d,
    float64) the phase's learning rate; p, m and v are updated in place.
    """
    numels = [a * b for a, b in shapes]

    def chunk(p, m, v, xT, yT, t, lr):
        losses = []
        for k in range(steps):
            ws = [part.view(shape) for part, shape in zip(p.split(numels), shapes)]
            loss, grads = _loss_and_grads_graph(ws, xT, yT, phi, bsum_max)
            losses.append(loss)
            g = torch.cat([gr.reshape(-1) for gr in grads])
            tk = t + (k + 1)
            step_size = lr / (1 - BETA1**tk)
            bias_correction2_sqrt = torch.sqrt(1 - BETA2**tk)
            m.lerp_(g, 1 - BETA1)
            v.mul_(BETA2).addcmul_(g, g, value=1 - BETA2)
            denom = v.sqrt() / bias_correction2_sqrt + EPS
            p.sub_(step_size * (m / denom))
        return torch.stack(losses)

    return chunk


# --- checkpoints -----------------------------------------------------------------------------


def _fingerprint(*tensors: torch.Tensor) -> str:
    h = hashlib.sha256()
    for t in tensors:
        h.update(str((tuple(t.shape), str(t.dtype))).encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def _run_key(shapes, schedule, dtype, phi, init_print, data_print) -> dict:
    """What a checkpoint must agree on to be resumed."""
    return {
        "format": CHECKPOINT_FORMAT,
        "shapes": [list(s) for s in shapes],
        "schedule": [[p.steps, float(p.lr)] for p in schedule],
        "dtype": str(dtype),
        "phi": phi,
        "init": init_print,
        "data": data_print,
    }


def save_checkpoint(path: str | os.PathLike, key: dict, s: _State, phase: int, step_in_phase: int,
                    done: int, losses: torch.Tensor, backend: str, steps_per_call: int) -> None:
    state = {
        "key": key,
        "backend": backend,
        "steps_per_call": steps_per_call,
        "phase": phase,
        "step_in_phase": step_in_phase,
        "done": done,
        "p": s.p.detach().cpu().clone(),
        "m": s.m.detach().cpu().clone(),
        "v": s.v.detach().cpu().clone(),
        "losses": losses[:done].detach().cpu().clone(),
    }
    with artifacts.atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: str | os.PathLike, key: dict) -> dict | None:
    """The checkpoint at ``path`` if it exists and belongs to this run (``key``), else None.

    A checkpoint of another run (other sizes, schedule, dtype, nonlinearity, initial weights or
    data) is stale, not wrong: it is ignored, with a warning, and overwritten as the run goes.
    One that cannot be read raises :class:`CheckpointError`: atomic writes mean it was damaged
    after the fact, which a person should look at.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises a zoo of types for a truncated zip or pickle
        raise CheckpointError(f"{path}: unreadable checkpoint ({err}); delete it to start over") from None
    if not isinstance(state, dict) or "key" not in state:
        raise CheckpointError(f"{path}: not a training checkpoint; delete it to start over")
    if state["key"] != key:
        diff = sorted(k for k in key if state["key"].get(k) != key[k])
        log.warning("%s: checkpoint of a different run (differs in %s); starting over", path, diff)
        return None
    return state


def remove_checkpoint(path: str | os.PathLike | None) -> None:
    """Delete a finished run's checkpoint (call once the run's outputs are written)."""
    if path is not None:
        Path(path).unlink(missing_ok=True)


# --- compilation -----------------------------------------------------------------------------


def configure_compile_cache(cache_dir: str | os.PathLike | None) -> None:
    """Point Inductor's on-disk cache at ``cache_dir`` (shared by jobs, so later ones start warm)."""
    if cache_dir:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(Path(cache_dir).resolve())


def _compiled_chunk(shapes, phi, steps, bsum_max, dev):
    """A compiled ``_make_chunk``, or raise if torch.compile is unavailable here.

    On a CPU the graph's kernels are called from a compiled C++ wrapper rather than Python: these
    kernels take microseconds, so Python's call overhead was a fifth of a step (1.15-1.25x faster).
    """
    if not hasattr(torch, "compile"):
        raise RuntimeError("this torch has no torch.compile")
    fn = _make_chunk(shapes, phi, steps, bsum_max)
    options = {"cpp_wrapper": True} if dev.type == "cpu" else None
    return torch.compile(fn, fullgraph=True, dynamic=False, options=options)


# --- training --------------------------------------------------------------------------------


def train(
    weights: Sequence[torch.Tensor],
    X: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    schedule: Sequence[Phase],
    phi: str = "tanh",
    dtype: torch.dtype = torch.float64,
    device: str = "cpu",
    progress: Callable[..., None] | None = None,
    progress_every: float = 5.0,
    compile: str | bool = "false",
    steps_per_call: int = 10,
    bsum_max: int = 16,
    compile_cache: str | os.PathLike | None = None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 0,
    compile_min_work: float = AUTO_COMPILE_WORK,
) -> TrainResult:
    """Train ``weights`` (copies) on (X, y) with full-batch Adam over the phases of ``schedule``.

    ``compile``: "true" runs ``steps_per_call`` steps per ``torch.compile`` graph (an error if
    compilation fails); "auto" does so for a run of at least ``compile_min_work`` steps x points x
    hidden units, and falls back to the eager path with a logged warning where compiling fails;
    "false" runs eager. Products whose inner size is at most ``bsum_max`` are broadcast-and-sum in
    the graph. ``compile_cache`` sets Inductor's cache folder.

    ``checkpoint``: a file to save the full state to every ``checkpoint_every`` steps (at the
    first call boundary at or after each multiple) and to resume from if it holds this run's
    state; a resumed run ends bitwise equal to an uninterrupted one on the same machine, thread
    count and backend. It is left in place: delete it with :func:`remove_checkpoint` once the
    outputs are safe.

    ``progress(step, total, loss)`` is called about every ``progress_every`` seconds (the only
    host synchronisation during training); ``runtime.progress_logger`` makes one that logs.
    """
    start = time.perf_counter()
    mode = compile_mode(compile)
    dev = resolve_device(device)
    if steps_per_call < 1:
        raise ValueError(f"steps_per_call must be at least 1, got {steps_per_call}")
    if checkpoint_every < 0:
        raise ValueError(f"checkpoint_every must be >= 0, got {checkpoint_every}")
    schedule = [Phase(int(p.steps), float(p.lr)) for p in schedule]
    if any(p.steps < 0 for p in schedule):
        raise ValueError(f"phases need a non-negative number of steps, got {schedule}")
    s = _State(weights, dev, dtype)
    xT = torch.as_tensor(X).to(dev, dtype).T.contiguous()  # (n_in, N)
    yT = torch.as_tensor(y).to(dev, dtype).T.contiguous()  # (n_out, N)
    if xT.shape[0] != s.shapes[0][1] or yT.shape[0] != s.shapes[-1][0] or xT.shape[1] != yT.shape[1]:
        raise ValueError(f"data X {tuple(X.shape)}, y {tuple(y.shape)} do not fit layer shapes {s.shapes}")
    total = sum(p.steps for p in schedule)
    losses = torch.empty(total, dtype=dtype, device=dev)
    notes: list[str] = []

    hidden = sum(fan_out for fan_out, _ in s.shapes[:-1])
    if mode == "auto" and total * xT.shape[1] * hidden < compile_min_work:
        mode = "false"
        log.info("%d steps x %d points x %d hidden units: too short to repay compiling; eager",
                 total, xT.shape[1], hidden)

    chunk = None
    if mode != "false":
        configure_compile_cache(compile_cache)
        try:
            chunk = _compiled_chunk(s.shapes, phi, steps_per_call, bsum_max, dev)
        except Exception as err:
            if mode == "true":
                raise
            notes.append(f"torch.compile unavailable ({type(err).__name__}: {err}); eager path")
            log.warning(notes[-1])
    t_dev = torch.zeros((), dtype=torch.float64, device=dev)
    lr_dev = torch.zeros((), dtype=torch.float64, device=dev)
    compile_seconds = 0.0
    compiled_ok = False

    key = None
    phase0, step0, done = 0, 0, 0
    if checkpoint is not None and checkpoint_every > 0:
        key = _run_key(s.shapes, schedule, dtype, phi, _fingerprint(s.p), _fingerprint(xT, yT))
        state = load_checkpoint(checkpoint, key)
        if state is not None:
            phase0, step0, done = state["phase"], state["step_in_phase"], state["done"]
            s.p.copy_(state["p"])
            s.m.copy_(state["m"])
            s.v.copy_(state["v"])
            losses[:done].copy_(state["losses"])
            log.info("%s: resumed at step %d/%d", checkpoint, done, total)
            wanted = "compiled" if chunk is not None else "eager"
            if state["backend"] != wanted or state["steps_per_call"] != steps_per_call:
                notes.append(f"checkpoint written by the {state['backend']} backend with steps_per_call="
                             f"{state['steps_per_call']}; the result may differ at rounding level from "
                             "an uninterrupted run")
                log.warning(notes[-1])
    resumed_at = done
    next_save = (done // checkpoint_every + 1) * checkpoint_every if key is not None else None

    last_report = time.perf_counter()
    for k in range(phase0, len(schedule)):
        phase = schedule[k]
        t = step0 if k == phase0 else 0
        if t == 0:
            s.reset_moments()  # the tutorial's new optimizer for every phase
        lr_dev.fill_(phase.lr)
        while t < phase.steps:
            if chunk is not None and phase.steps - t >= steps_per_call:
                t_dev.fill_(t)
                if not compiled_ok:
                    c0 = time.perf_counter()
                    try:
                        out = chunk(s.p, s.m, s.v, xT, yT, t_dev, lr_dev)
                    except Exception as err:
                        if mode == "true":
                            raise
                        # a failed compile leaves p, m, v untouched: the error comes before the graph runs
                        notes.append(f"torch.compile failed ({type(err).__name__}: {str(err)[:300]}); eager path")
                        log.warning(notes[-1])
                        chunk = None
                        continue
                    compile_seconds += time.perf_counter() - c0
                    compiled_ok = True
                else:
                    out = chunk(s.p, s.m, s.v, xT, yT, t_dev, lr_dev)
                losses[done:done + steps_per_call].copy_(out)
                t += steps_per_call
                done += steps_per_call
            else:
                losses[done] = _loss_and_grads_eager(s.ws, s.gs, xT, yT, phi)
                t += 1
                done += 1
                _adam_step_eager(s, t, phase.lr)
            if next_save is not None and done >= next_save and done < total:
                save_checkpoint(checkpoint, key, s, k, t, done, losses,
                                "compiled" if chunk is not None else "eager", steps_per_call)
                next_save = (done // checkpoint_every + 1) * checkpoint_every
            if progress is not None and time.perf_counter() - last_report > progress_every:
                progress(done, total, float(losses[done - 1]))
                last_report = time.perf_counter()
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    return TrainResult(
        weights=[w.detach().cpu().clone() for w in s.ws],
        losses=losses.cpu().numpy(),
        seconds=time.perf_counter() - start,
        compile_seconds=compile_seconds,
        backend="compiled" if compiled_ok else "eager",
        device=str(dev),
        resumed_at=resumed_at,
        notes=notes,
    )
