"""Full-batch Adam for K bias-free MLPs of one architecture at once, with phased learning rates.

Each of the K students learns from its own data; nothing couples them but the arrays they share.
Adam follows ``torch.optim.Adam`` (moments, bias correction, eps outside the square root, a new
optimizer — fresh moments and step count — for every phase, as the tutorial makes one per
phase), so every student's run matches the tutorial's ``optim.Adam`` loop up to rounding. What
makes it fast, where these tiny networks are bound by per-operation overhead:

- K students share every operation: weights are stacked ``(K, fan_out, fan_in)`` and
  activations ``(K, features, N)``, feature-major (MKL multiplies a 5x5 matrix into a (5, N)
  block several times faster than (N, 5) into a 5x5 one);
- the forward and backward passes are written out by hand, with the cheap forms of the
  nonlinearity (``nets.Nonlinearity``: tanh as ``2 sigmoid(2z) - 1``, backward ``1 - a^2``);
- every weight matrix is a view into one flat parameter vector, so the Adam update is a few
  operations on flat vectors for all layers and students;
- on a CPU, by default (``engine``), the whole step loop runs natively (``depthwidth.training.native``:
  a C kernel built once per machine), thousands of steps per call, the students one after the
  other, each step in tiles of points that stay in the L1 cache;
- otherwise, optionally (``compile``), ``steps_per_call`` whole steps run in one
  ``torch.compile`` graph, where the narrow products are broadcast-and-sum expressions that
  Inductor fuses with the elementwise work around them, called through a C++ wrapper on a CPU.

Step counts and learning rates enter the compiled graph as 0-d tensors, so one graph serves
every phase and step, and every batch of the same architecture, size and data size. The losses
before every step, ``(steps, K)``, stay on the device until the end (no host synchronisation per
step on CUDA).

A run can checkpoint its whole state every ``checkpoint_every`` steps (``depthwidth.training.checkpoint``)
and resume from it bitwise identically: the chunking of steps into compiled calls depends only
on the position within the phase, and checkpoints are only taken between calls.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from depthwidth.experiment.plan import Phase
from depthwidth.model.nets import Nonlinearity, nonlinearity
from depthwidth.training import checkpoint as ckpt
from depthwidth.training import native

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
COMPILE_MODES = ("auto", "true", "false")
ENGINES = ("auto", "native", "torch")
# Steps per call of the native loop: a call of the deep student takes about 0.1 s per student,
# so progress and checkpoints stay timely while Python's share of a step vanishes.
NATIVE_STEPS_PER_CALL = 1000
# compile="auto" compiles a job of at least this many steps x points x hidden units x students:
# about 17 s of eager float32 steps on one core. A cold compile takes 7-9 s here (2 steps per
# call) and a warm one about 3 s, so a shorter job finishes sooner eager on a job's first run.
# Measured cold, one student of the tutorial's: width 45 (3.6e9) 9.1 s eager against 14.1 s
# compiled (6.6 s of it compiling), width 135 (1.1e10) 30.0 s against 24.2 s; the deep student
# (1.6e10) saves half its 55 s eager time. Decided from the job's size alone, so a rerun or a
# resumed run takes the same path.
AUTO_COMPILE_WORK = 6e9
# Steps per compiled call. Inductor's compile time grows with the unrolled graph (cold, on this
# project's 2-core machine: see the README's performance notes), while the saving per step of a
# longer graph is one call's overhead, which a batch of students shares.
STEPS_PER_CALL = 2

log = logging.getLogger("depthwidth")


@dataclass(frozen=True)
class Options:
    """How a batch is trained; its students' numbers depend on these only at rounding level.

    ``engine``: "native" trains on a CPU with the native loop (``depthwidth.training.native``; an error
    where it cannot be built), "torch" with torch operations (eager or compiled, below), "auto"
    natively on a CPU where the loop builds and with torch elsewhere, saying why in a notice.

    ``compile`` (torch engine): "true" runs ``steps_per_call`` steps per ``torch.compile`` graph (an error if
    compilation fails); "auto" does so for a run of at least ``compile_min_work`` steps x points x
    hidden units x students, and falls back to the eager path with a logged warning where
    compiling fails; "false" runs eager. Products whose inner size is at most ``bsum_max`` are
    broadcast-and-sum in the graph. ``compile_cache`` sets Inductor's cache folder.

    ``checkpoint``: a file to save the full state to every ``checkpoint_every`` steps (at the
    first call boundary at or after each multiple) and to resume from if it holds this run's
    state; a resumed run ends bitwise equal to an uninterrupted one on the same machine, thread
    count and backend. It is left in place: delete it with ``checkpoint.remove`` once the
    outputs are safe.

    ``progress(step, total, losses, seconds)`` is called about every ``progress_every`` seconds
    (the only host synchronisation during training) with the latest loss of every student and
    the seconds spent training so far, compiling excluded; ``runtime.progress_logger`` makes one.
    """

    dtype: torch.dtype = torch.float64
    device: str = "cpu"
    engine: str = "auto"
    compile: str | bool = "false"
    steps_per_call: int = STEPS_PER_CALL
    bsum_max: int = 16
    compile_cache: str | os.PathLike | None = None
    compile_min_work: float = AUTO_COMPILE_WORK
    checkpoint: str | os.PathLike | None = None
    checkpoint_every: int = 0
    progress: Callable[..., None] | None = None
    progress_every: float = 5.0

    def __post_init__(self):
        compile_mode(self.compile)
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.steps_per_call < 1:
            raise ValueError(f"steps_per_call must be at least 1, got {self.steps_per_call}")
        if self.checkpoint_every < 0:
            raise ValueError(f"checkpoint_every must be >= 0, got {self.checkpoint_every}")


@dataclass
class BatchResult:
    weights: list[list[torch.Tensor]]  # per student, trained, on CPU, in the training dtype
    losses: np.ndarray  # (steps, K) training MSE before each update
    seconds: float  # wall time of the training, compilation included
    compile_seconds: float = 0.0  # of it, spent compiling (first call of the graph)
    backend: str = "eager"  # "native", "compiled" or "eager"
    device: str = "cpu"
    resumed_at: int = 0  # steps taken from a checkpoint (0: started afresh)
    notes: list[str] = field(default_factory=list)  # why the native loop or compilation was not used, etc.

    def student(self, k: int) -> TrainResult:
        """Student k's share of the result (the timings and notes are the batch's)."""
        return TrainResult(
            self.weights[k],
            self.losses[:, k],
            self.seconds,
            self.compile_seconds,
            self.backend,
            self.device,
            self.resumed_at,
            self.notes,
        )


@dataclass
class TrainResult:
    """One student's :class:`BatchResult` (see :func:`train`)."""

    weights: list[torch.Tensor]
    losses: np.ndarray  # (steps,)
    seconds: float
    compile_seconds: float = 0.0
    backend: str = "eager"
    device: str = "cpu"
    resumed_at: int = 0
    notes: list[str] = field(default_factory=list)


CheckpointError = ckpt.CheckpointError


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


# --- the networks' losses and gradients ------------------------------------------------------


def _loss_and_grads_eager(ws, gs, xT, yT, act: Nonlinearity) -> torch.Tensor:
    """Every student's MSE (K,), its gradients written into ``gs`` (views of the flat gradient).

    ws[l]: (K, fan_out, fan_in); xT: (K, n_in, N), yT: (K, n_out, N); hidden activity (K, fan_out, N).
    """
    hs = [xT]
    for w in ws[:-1]:
        hs.append(act.fast_(torch.bmm(w, hs[-1])))
    err = torch.bmm(ws[-1], hs[-1]).sub_(yT)  # (K, n_out, N)
    k, n = err.shape[0], err.shape[1] * err.shape[2]
    flat = err.view(k, 1, n)
    losses = torch.bmm(flat, flat.transpose(1, 2)).view(k).div_(n)  # one dot product per student
    g = err.mul_(2.0 / n)
    for i in range(len(ws) - 1, -1, -1):
        torch.bmm(g, hs[i].transpose(1, 2), out=gs[i])
        if i:
            g = torch.bmm(ws[i].transpose(1, 2), g).mul_(act.slope_(hs[i]))
    return losses


def _product(w: torch.Tensor, h: torch.Tensor, bsum: bool) -> torch.Tensor:
    """w @ h for w (K, out, k), h (K, k, N); as a broadcast-and-sum that Inductor fuses when k is small."""
    if bsum:
        return (w[:, :, :, None] * h[:, None, :, :]).sum(2)  # (K, out, k, N) -> (K, out, N)
    return torch.bmm(w, h)


def _loss_and_grads_graph(ws, xT, yT, act: Nonlinearity, bsum_max: int):
    """Functional losses (K,) and gradients for the compiled graph (the eager path's maths)."""
    hs = [xT]
    for w in ws[:-1]:
        hs.append(act.fast(_product(w, hs[-1], w.shape[2] <= bsum_max)))
    err = _product(ws[-1], hs[-1], ws[-1].shape[2] <= bsum_max) - yT
    n = err.shape[1] * err.shape[2]
    losses = (err * err).sum((1, 2)) / n
    g = err * (2.0 / n)
    grads = [None] * len(ws)
    for i in range(len(ws) - 1, -1, -1):
        grads[i] = torch.bmm(g, hs[i].transpose(1, 2))  # a reduction over N: a matmul either way
        if i:
            w = ws[i]
            g = _product(w.transpose(1, 2), g, w.shape[1] <= bsum_max) * act.slope(hs[i])
    return losses, grads


def _adam_update(p, m, v, g, step_size, bias_correction2_sqrt) -> None:
    """``torch.optim.Adam``'s update of flat vectors, in place; the two scalars are floats
    (eager) or 0-d tensors (in the graph, so that one graph serves every step)."""
    m.lerp_(g, 1 - BETA1)
    v.mul_(BETA2).addcmul_(g, g, value=1 - BETA2)
    denom = (v.sqrt() / bias_correction2_sqrt).add_(EPS)
    p.sub_(m.div(denom).mul_(step_size))


# --- the batch's state -----------------------------------------------------------------------


class _State:
    """Flat parameter, gradient and Adam moment vectors of K students, with per-layer views.

    The flat vectors are layer-major (layer 0 of every student, then layer 1, ...), so each
    layer's view ``(K, fan_out, fan_in)`` is contiguous.
    """

    def __init__(self, students: Sequence[Sequence[torch.Tensor]], shapes, dev: torch.device, dtype: torch.dtype):
        self.shapes = shapes  # every student's, checked by _shapes
        self.sizes = [shapes[0][1]] + [fan_out for fan_out, _ in shapes]
        self.k = len(students)
        self.numels = [self.k * o * i for o, i in self.shapes]
        layers = [
            torch.stack([torch.as_tensor(w[layer]).detach() for w in students]) for layer in range(len(self.shapes))
        ]
        self.p = torch.cat([t.to(dev, dtype).reshape(-1) for t in layers])
        self.g = torch.zeros_like(self.p)
        self.m = torch.zeros_like(self.p)
        self.v = torch.zeros_like(self.p)
        self.ws = self.views(self.p)
        self.gs = self.views(self.g)

    def views(self, flat: torch.Tensor) -> list[torch.Tensor]:
        return [part.view(self.k, o, i) for part, (o, i) in zip(flat.split(self.numels), self.shapes)]

    def student(self, k: int) -> list[torch.Tensor]:
        return [w[k].detach().cpu().clone() for w in self.ws]

    def reset_moments(self) -> None:
        self.m.zero_()
        self.v.zero_()

    def tensors(self) -> dict[str, torch.Tensor]:
        return {"p": self.p, "m": self.m, "v": self.v}


def _make_chunk(shapes, k: int, act: Nonlinearity, steps: int, bsum_max: int):
    """``steps`` Adam steps as one function of (p, m, v, xT, yT, t, lr) -> losses (steps, K).

    ``t`` (0-d, float64) is the number of steps already taken in the phase and ``lr`` (0-d,
    float64) the phase's learning rate; p, m and v are updated in place.
    """
    numels = [k * o * i for o, i in shapes]

    def chunk(p, m, v, xT, yT, t, lr):
        losses = []
        for j in range(steps):
            ws = [part.view(k, o, i) for part, (o, i) in zip(p.split(numels), shapes)]
            loss, grads = _loss_and_grads_graph(ws, xT, yT, act, bsum_max)
            losses.append(loss)
            g = torch.cat([gr.reshape(-1) for gr in grads])
            tj = t + (j + 1)
            _adam_update(p, m, v, g, lr / (1 - BETA1**tj), torch.sqrt(1 - BETA2**tj))
        return torch.stack(losses)

    return chunk


# --- compilation -----------------------------------------------------------------------------


def configure_compile_cache(cache_dir: str | os.PathLike | None) -> None:
    """Point Inductor's on-disk cache at ``cache_dir`` (shared by jobs, so later ones start warm)."""
    if cache_dir:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(Path(cache_dir).resolve())


_COMPILED: dict[tuple, Callable] = {}

# Inductor's options on a CPU, each measured here (the deep student's graph, one student):
# - cpp_wrapper: the kernels are called from compiled C++ rather than Python. They take
#   microseconds, so Python's call overhead was a fifth of a step (1.15-1.25x faster).
# - cpp.vec_isa_ok: trust the vector ISA the CPU reports instead of compiling a test program
#   with ATen's vector headers for every candidate ISA into an empty cache (7 s of a 16 s cold
#   compile). The ISA and flags picked are the same, so are the kernels and every number
#   (checked bitwise); a compiler that cannot build for the ISA fails the compile, and
#   ``compile: auto`` trains eager.
# - cpp_cache_precompile_headers off: a precompiled header is built once per machine and venv,
#   outside the compile cache (in /tmp/torchinductor_<user>, 100s of MB each), and took 3.6 s of
#   a first compile (13.3 s against 9.7 s); without it a compile costs 0.8 s more (9.7 s against
#   8.9 s with the header at hand).
CPU_COMPILE_OPTIONS = {"cpp_wrapper": True, "cpp.vec_isa_ok": True, "cpp_cache_precompile_headers": False}


def _compiled_chunk(shapes, k, act, steps, bsum_max, dev):
    """A compiled ``_make_chunk``, one per (shapes, students, nonlinearity, steps, device) in a
    process, or raise if torch.compile is unavailable here.

    On a CPU with :data:`CPU_COMPILE_OPTIONS`.
    """
    if not hasattr(torch, "compile"):
        raise RuntimeError("this torch has no torch.compile")
    key = (tuple(map(tuple, shapes)), k, act.name, steps, bsum_max, str(dev))
    if key not in _COMPILED:
        # every graph is a recompilation of one code object (the chunk's); a process that trains
        # several architectures or batch sizes (tests, the benchmark) needs more than dynamo's 8
        torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 256)
        options = CPU_COMPILE_OPTIONS if dev.type == "cpu" else None
        fn = _make_chunk(shapes, k, act, steps, bsum_max)
        _COMPILED[key] = torch.compile(fn, fullgraph=True, dynamic=False, options=options)
    return _COMPILED[key]


# --- training --------------------------------------------------------------------------------


def _hidden_units(shapes) -> int:
    return sum(fan_out for fan_out, _ in shapes[:-1])


def group_size(shapes, n_points: int, dtype: torch.dtype, dev: torch.device, k: int) -> int:
    """Students trained side by side in one pass: all K on a GPU; on a CPU the fewest groups
    that keep a pass's activations within ``GROUP_BYTES``, as even as they go (the last group is
    padded to the size of the others). Decided from the config alone."""
    if dev.type == "cuda":
        return k
    per_student = n_points * _hidden_units(shapes) * torch.finfo(dtype).bits // 8
    most = max(1, min(k, GROUP_BYTES // max(per_student, 1)))
    groups = math.ceil(k / most)
    return math.ceil(k / groups)


# A pass's working set is a few times its activations; this keeps it within a core's L2 cache
# (2 MB on this project's machine). Measured per student step, N = 4000, float32, compiled: the
# deep student 161 us alone, 115 us 3 at a time, 108 us 4 (1.3 MB) and 113 us 5 at a time, 138 us
# 40 at a time; width 45 (720 kB of activations) 320 us alone, 308 us 2 and 493 us 6 at a time.
# Evening the groups out matters as much: 40 students in groups of 3 train 42 (5% more).
GROUP_BYTES = 5 << 18  # 1.25 MiB


class _Backend:
    """The native loop, the compiled graph or the eager path that every pass of a job shares,
    and its notes."""

    def __init__(self, opts: Options, dev: torch.device):
        self.opts, self.dev = opts, dev
        self.notes: list[str] = []
        self.chunk = None
        self.compiled_ok = False
        self.compile_seconds = 0.0
        self.native = self._native(dev)

    def prepare_compile(self, shapes, k: int, act: Nonlinearity) -> None:
        """Make the compiled graph of k students side by side (compiled on its first call)."""
        opts, dev = self.opts, self.dev
        configure_compile_cache(opts.compile_cache)
        try:
            self.chunk = _compiled_chunk(shapes, k, act, opts.steps_per_call, opts.bsum_max, dev)
        except Exception as err:
            if compile_mode(opts.compile) == "true":
                raise
            self.note(f"torch.compile unavailable ({type(err).__name__}: {err}); eager path")

    def _native(self, dev: torch.device):
        """The native library where the ``engine`` option asks for it and it builds, else None."""
        engine = self.opts.engine
        if engine == "torch" or (engine == "auto" and dev.type != "cpu"):
            return None
        try:
            if dev.type != "cpu":
                raise native.Unavailable(f"the native loop runs on a CPU, not {dev.type}")
            return native.load()
        except native.Unavailable as err:
            if engine == "native":
                raise
            self.note(f"native training loop unavailable ({str(err).splitlines()[0]}); torch engine")
            return None

    @property
    def name(self) -> str:
        if self.native is not None:
            return "native"
        return "compiled" if self.chunk is not None else "eager"

    def note(self, text: str) -> None:
        self.notes.append(text)
        log.warning(text)

    def call(self, s: _State, xT, yT, t_dev, lr_dev):
        """One compiled call's losses (steps_per_call, K), or None (and eager from now on) where
        the first call fails to compile."""
        if self.compiled_ok:
            return self.chunk(s.p, s.m, s.v, xT, yT, t_dev, lr_dev)
        log.info(
            "compiling %d step(s) per call for %d student(s) of %s (cache: %s)",
            self.opts.steps_per_call,
            s.k,
            [list(x) for x in s.shapes],
            os.environ.get("TORCHINDUCTOR_CACHE_DIR", "torch's default"),
        )
        c0 = time.perf_counter()
        try:
            out = self.chunk(s.p, s.m, s.v, xT, yT, t_dev, lr_dev)
        except Exception as err:
            if compile_mode(self.opts.compile) == "true":
                raise
            # a failed compile leaves p, m, v untouched: the error comes before the graph runs
            self.note(f"torch.compile failed ({type(err).__name__}: {str(err)[:300]}); eager path")
            self.chunk = None
            return None
        if self.dev.type == "cuda":
            torch.cuda.synchronize(self.dev)
        self.compile_seconds = time.perf_counter() - c0
        self.compiled_ok = True
        log.info("compiled in %.1f s", self.compile_seconds)
        return out


class _Pass:
    """One pass: a group of students trained over the whole schedule, checkpointed and resumable."""

    def __init__(
        self,
        s: _State,
        xT,
        yT,
        schedule: list[Phase],
        act: Nonlinearity,
        opts: Options,
        backend: _Backend,
        checkpoint: str | os.PathLike | None,
        report: Callable | None,
    ):
        self.s, self.xT, self.yT, self.schedule, self.act, self.opts = s, xT, yT, schedule, act, opts
        self.backend, self.checkpoint, self.report = backend, checkpoint, report
        self.total = sum(p.steps for p in schedule)
        self.losses = torch.empty(self.total, s.k, dtype=opts.dtype, device=xT.device)
        self.at = ckpt.Position()
        self.t_dev = torch.zeros((), dtype=torch.float64, device=xT.device)
        self.lr_dev = torch.zeros((), dtype=torch.float64, device=xT.device)
        self.key = None
        self.next_save = None
        self.last_report = time.perf_counter()

    def resume(self) -> int:
        """Load this pass's checkpoint if there is one of this run; the steps it holds."""
        if self.checkpoint is None or self.opts.checkpoint_every <= 0:
            return 0
        s = self.s
        self.key = ckpt.run_key(
            s.shapes,
            s.k,
            self.schedule,
            self.opts.dtype,
            self.act.name,
            ckpt.fingerprint(s.p),
            ckpt.fingerprint(self.xT, self.yT),
        )
        state = ckpt.load(self.checkpoint, self.key)
        if state is not None:
            self.at = ckpt.position(state)
            for name, tensor in s.tensors().items():
                tensor.copy_(state[name])
            self.losses[: self.at.done].copy_(state["losses"])
            log.info("%s: resumed at step %d/%d", self.checkpoint, self.at.done, self.total)
            if state["backend"] != self.backend.name or state["steps_per_call"] != self.opts.steps_per_call:
                self.backend.note(
                    f"checkpoint written by the {state['backend']} backend with steps_per_call="
                    f"{state['steps_per_call']}; the result may differ at rounding level from "
                    "an uninterrupted run"
                )
        every = self.opts.checkpoint_every
        self.next_save = (self.at.done // every + 1) * every
        return self.at.done

    def run(self) -> None:
        start = self.at.phase
        for k in range(start, len(self.schedule)):
            if k > start:
                self.at.phase, self.at.step = k, 0
            self.run_phase(self.schedule[k])
        # a finished pass keeps its final state, so that a job stopped before its outputs are
        # written (later passes, Ctrl-C) loses no training
        if self.key is not None and self.total:
            self.write_checkpoint()

    def run_phase(self, phase: Phase) -> None:
        if self.at.step == 0:
            self.s.reset_moments()  # the tutorial's new optimizer for every phase
        self.lr_dev.fill_(phase.lr)
        while self.at.step < phase.steps:
            left = phase.steps - self.at.step
            if self.backend.native is not None:
                self.native_call(left, phase.lr)
            elif not (self.backend.chunk is not None and left >= self.opts.steps_per_call and self.compiled_call()):
                self.eager_step(phase.lr)
            self.after_call()

    def compiled_call(self) -> bool:
        self.t_dev.fill_(self.at.step)
        out = self.backend.call(self.s, self.xT, self.yT, self.t_dev, self.lr_dev)
        if out is None:
            return False
        n = self.opts.steps_per_call
        self.losses[self.at.done : self.at.done + n].copy_(out)
        self.at.step += n
        self.at.done += n
        return True

    def native_call(self, left: int, lr: float) -> None:
        """Up to NATIVE_STEPS_PER_CALL steps natively, ending at the next checkpoint if due.

        A step's numbers do not depend on how steps are split into calls, so a resumed run is
        bitwise equal to an uninterrupted one whatever the split."""
        n = min(left, NATIVE_STEPS_PER_CALL)
        if self.next_save is not None and self.next_save > self.at.done:
            n = min(n, self.next_save - self.at.done)
        s, out = self.s, self.losses[self.at.done : self.at.done + n]
        native.train(
            self.backend.native, s.sizes, self.act.name, s.p, s.m, s.v, self.xT, self.yT, self.at.step, n, lr, out
        )
        self.at.step += n
        self.at.done += n

    def eager_step(self, lr: float) -> None:
        s = self.s
        self.losses[self.at.done] = _loss_and_grads_eager(s.ws, s.gs, self.xT, self.yT, self.act)
        self.at.step += 1
        self.at.done += 1
        t = self.at.step
        _adam_update(s.p, s.m, s.v, s.g, lr / (1 - BETA1**t), (1 - BETA2**t) ** 0.5)

    def write_checkpoint(self) -> None:
        ckpt.save(
            self.checkpoint,
            self.key,
            self.s.tensors(),
            self.at,
            self.losses,
            self.backend.name,
            self.opts.steps_per_call,
        )

    def after_call(self) -> None:
        """Checkpoint and report progress where due."""
        done = self.at.done
        if self.next_save is not None and done >= self.next_save and done < self.total:
            self.write_checkpoint()
            self.next_save = (done // self.opts.checkpoint_every + 1) * self.opts.checkpoint_every
        now = time.perf_counter()
        if self.report is not None and now - self.last_report > self.opts.progress_every:
            self.report(done, self.losses[done - 1].cpu().numpy())
            self.last_report = now


def _stacked(data, k: int, what: str) -> torch.Tensor:
    t = torch.as_tensor(data)
    if t.dim() != 3 or t.shape[0] != k:
        raise ValueError(f"{what} must be (students, points, features) with {k} students, got {tuple(t.shape)}")
    return t


def _shapes(students: Sequence[Sequence[torch.Tensor]]) -> list[tuple[int, int]]:
    if not students:
        raise ValueError("a batch needs at least one student")
    shapes = [tuple(w.shape) for w in students[0]]
    for k, weights in enumerate(students):
        if [tuple(w.shape) for w in weights] != shapes:
            raise ValueError(
                f"student {k} has layer shapes {[tuple(w.shape) for w in weights]}, "
                f"student 0 {shapes}: a batch shares one architecture"
            )
    return shapes


def train_batch(
    students: Sequence[Sequence[torch.Tensor]],
    X: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    schedule: Sequence[Phase],
    phi: str = "tanh",
    group: int | None = None,
    **options,
) -> BatchResult:
    """Train copies of K students' weights, student k on (X[k], y[k]), with full-batch Adam over
    the phases of ``schedule``; ``options`` are :class:`Options`' fields.

    ``students[k]`` is one net's weights, ``(fan_out, fan_in)`` per layer, the same shapes for
    all; X is (K, N, n_in) and y (K, N, n_out). Students train ``group`` at a time (default
    :func:`group_size`), each group over the whole schedule, the last one padded with copies
    of its last student so that one compiled graph serves every group. A student's numbers do
    not depend on its group or its place in it (``tests/test_engine.py`` checks it bitwise).
    With a checkpoint, group i > 0 of several keeps its own file (``checkpoint.group_path``).
    """
    start = time.perf_counter()
    opts = Options(**options)
    dev = resolve_device(opts.device)
    schedule = [Phase(int(p.steps), float(p.lr)) for p in schedule]
    if any(p.steps < 0 for p in schedule):
        raise ValueError(f"phases need a non-negative number of steps, got {schedule}")
    shapes = _shapes(students)
    k = len(students)
    X, y = _stacked(X, k, "X"), _stacked(y, k, "y")
    if X.shape[2] != shapes[0][1] or y.shape[2] != shapes[-1][0] or X.shape[1] != y.shape[1]:
        raise ValueError(f"data X {tuple(X.shape)}, y {tuple(y.shape)} do not fit layer shapes {shapes}")
    act = nonlinearity(phi)
    total = sum(p.steps for p in schedule)
    work = total * X.shape[1] * _hidden_units(shapes) * k
    backend = _Backend(opts, dev)
    if backend.native is not None and len(shapes) > native.MAX_LAYERS:
        if opts.engine == "native":
            raise ValueError(
                f"engine native: the native loop trains nets of at most {native.MAX_LAYERS} weight layers, these "
                f"have {len(shapes)}; config key engine: auto or torch"
            )
        backend.note(f"native training loop: {len(shapes)} weight layers, above its {native.MAX_LAYERS}; torch engine")
        backend.native = None
    if backend.native is not None:  # it trains its students one after the other: one pass holds them all
        size = min(group or k, k)
    else:
        size = min(group or group_size(shapes, X.shape[1], opts.dtype, dev, k), k)
        if _wants_compile(opts, work, k):
            backend.prepare_compile(shapes, size, act)
    groups = [list(range(i, min(i + size, k))) for i in range(0, k, size)]

    weights, losses, resumed = [], [], 0
    for index, members in enumerate(groups):
        padded = members + [members[-1]] * (size - len(members))
        s = _State([students[i] for i in padded], shapes, dev, opts.dtype)
        xT = X[padded].to(dev, opts.dtype).transpose(1, 2).contiguous()  # (G, n_in, N)
        yT = y[padded].to(dev, opts.dtype).transpose(1, 2).contiguous()  # (G, n_out, N)
        run = _Pass(
            s,
            xT,
            yT,
            schedule,
            act,
            opts,
            backend,
            ckpt.group_path(opts.checkpoint, index),
            _group_report(opts.progress, index, len(groups), total, backend, start),
        )
        resumed += run.resume()
        run.run()
        weights += [s.student(j) for j in range(len(members))]
        losses.append(run.losses[:, : len(members)].cpu())
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    return BatchResult(
        weights=weights,
        losses=torch.cat(losses, dim=1).numpy(),
        seconds=time.perf_counter() - start,
        compile_seconds=backend.compile_seconds,
        backend="native" if backend.native is not None else "compiled" if backend.compiled_ok else "eager",
        device=str(dev),
        resumed_at=resumed,
        notes=backend.notes,
    )


def _wants_compile(opts: Options, work: float, k: int) -> bool:
    """Whether to compile: the ``compile`` option, with "auto" judged by the job's work
    (steps x points x hidden units x students)."""
    mode = compile_mode(opts.compile)
    if mode != "auto":
        return mode == "true"
    if work < opts.compile_min_work:
        log.info(
            "%.2g steps x points x hidden units x students (%d students): too little to repay compiling; eager", work, k
        )
        return False
    return True


def _group_report(progress, index: int, groups: int, total: int, backend: _Backend, start: float):
    """A pass's ``report(done, losses)``: the job's progress over all groups, compiling excluded."""
    if progress is None:
        return None

    def report(done: int, losses) -> None:
        seconds = time.perf_counter() - start - backend.compile_seconds
        progress(index * total + done, groups * total, losses, seconds)

    return report


def train(
    weights: Sequence[torch.Tensor],
    X: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    schedule: Sequence[Phase],
    phi: str = "tanh",
    **options,
) -> TrainResult:
    """Train one student, a batch of one: X is (N, n_in), y (N, n_out); see :func:`train_batch`."""
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    return train_batch([weights], X[None], y[None], schedule, phi, **options).student(0)
