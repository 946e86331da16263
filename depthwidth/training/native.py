"""The native training loop: ``native/train.c`` built for this machine, cached, and called.

What it owns: building the C kernel (forward, backward and Adam of K bias-free MLPs, many steps
per call, in float32 or float64) with the machine's C compiler, the build cache, and the call.
``engine`` decides when to use it.

Why native: these nets are tiny, so a step of the torch engine is mostly per-operation and
per-call overhead. The kernel keeps the step loop in C, walks the points in tiles whose
activations stay in the L1 cache (:func:`tile`), and vectorises every inner loop over points
with the CPU's widest vectors, tanh included (glibc's libmvec).

The cache: ``$DEPTHWIDTH_CACHE``, else ``$XDG_CACHE_HOME/depthwidth``, else
``~/.cache/depthwidth``, under ``native/<key>/``. The key hashes everything that changes the
build: the sources, the compiler's path and version, the flags, the machine and the CPU's
instruction-set flags (so nodes of a cluster with different CPUs sharing one home folder each get
their own build). A stale build cannot be loaded: a changed source, compiler or CPU is another
key, hence another folder, and the library's ``dw_abi()`` must match :data:`ABI`. A build is
written to a temporary file and renamed into place, so concurrent jobs never load a half-written
one. Remove the folder to rebuild; nothing else refers to it.

Where no compiler is found, the platform is not Linux (libmvec is glibc's), or the build fails,
:func:`load` raises :class:`Unavailable` with the reason; ``engine`` then falls back to its torch
path with a one-line notice (``engine: auto``) or stops (``engine: native``).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from depthwidth.experiment.sizes import NATIVE_MAX_LAYERS

log = logging.getLogger("depthwidth")

ABI = 1
SOURCES = ("train.c", "step.h")
SOURCE_DIR = Path(__file__).with_name("native")
# -march=native: the CPU's own vector ISA. gcc prefers 256-bit vectors on AVX-512 CPUs; 512-bit
# ones run this kernel 1.6-2.7x faster there (measured in benchmarks/bench_training.py). The
# fast-math subset lets it vectorise reductions and call libmvec's tanh; finite math stays on,
# so NaN and inf propagate as usual.
FLAGS = (
    "-O3",
    "-march=native",
    "-mprefer-vector-width=512",
    "-fno-math-errno",
    "-fno-trapping-math",
    "-fno-signed-zeros",
    "-fassociative-math",
    "-ffp-contract=fast",
    "-fPIC",
    "-shared",
)
ACTIVATIONS = {"linear": 0, "tanh": 1, "relu": 2}
# Points per tile: 1 KiB of each activation row (256 float32, 128 float64). A tile's rows then
# stay in the L1 (the deep student) or L2 cache (width 135) while the inner loops stay long
# enough to amortise their overhead. Measured per step, one core of an Intel Xeon (Sapphire
# Rapids, AVX-512): float32 deep 51 / 52 us at 256 / 512 points, width 135 369 / 387 us; float64
# deep 168 / 164 / 171 us at 128 / 256 / 512, width 135 1166 / 1209 / 1231 us. It depends on the
# dtype alone, never on the CPU, since float32 results depend on it through the order of summation.
TILE_ROW_BYTES = 1024
# Weight matrices a net may have at most (train.c's MAX_LAYERS): deeper nets train with torch.
MAX_LAYERS = NATIVE_MAX_LAYERS


class Unavailable(RuntimeError):
    """The native loop cannot be built or loaded here; the message says why."""


def cache_dir() -> Path:
    root = os.environ.get("DEPTHWIDTH_CACHE")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "depthwidth"


def compiler() -> str:
    """The C compiler: ``$CC``, else ``cc`` or ``gcc`` on the PATH; Unavailable if none."""
    for name in (os.environ.get("CC"), "cc", "gcc"):
        if name and shutil.which(name):
            return shutil.which(name)
    raise Unavailable("no C compiler found (set CC, or install gcc)")


def _cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return " ".join(sorted(line.split(":", 1)[1].split()))
    except OSError:
        pass
    return platform.processor()


def build_key(cc: str) -> str:
    """A hash of all that changes the build: sources, compiler, flags, machine, CPU flags."""
    try:
        version = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as err:
        raise Unavailable(f"the C compiler {cc} does not run: {err}") from None
    h = hashlib.sha256()
    for name in SOURCES:
        h.update((SOURCE_DIR / name).read_bytes())
    for part in (cc, version, " ".join(FLAGS), platform.machine(), _cpu_flags(), str(ABI)):
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:16]


def _build(cc: str, target: Path) -> float:
    """Compile the kernel into ``target`` (atomically); the seconds it took."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".build-", suffix=".so", dir=target.parent)
    os.close(fd)
    cmd = [cc, *FLAGS, "-o", tmp, str(SOURCE_DIR / "train.c"), "-lm", "-Wl,--no-undefined"]
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise Unavailable(f"building the native loop failed: {' '.join(cmd)}\n{done.stderr.strip()[-2000:]}")
        os.replace(tmp, target)
    except (OSError, subprocess.SubprocessError) as err:
        raise Unavailable(f"building the native loop failed: {err}") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return time.perf_counter() - start


_LIBRARY: ctypes.CDLL | None = None


def load() -> ctypes.CDLL:
    """The native library, built on first use on this machine and cached (see the module docs)."""
    global _LIBRARY
    if _LIBRARY is not None:
        return _LIBRARY
    if not sys.platform.startswith("linux"):
        raise Unavailable(f"the native loop needs Linux with glibc, not {sys.platform}")
    cc = compiler()
    path = cache_dir() / "native" / build_key(cc) / "libdwtrain.so"
    if not path.exists():
        seconds = _build(cc, path)
        log.info("built the native training loop in %.1f s: %s", seconds, path)
    try:
        lib = ctypes.CDLL(str(path), mode=os.RTLD_NOW)
    except OSError as err:
        raise Unavailable(f"the native loop {path} does not load: {err}") from None
    if lib.dw_abi() != ABI:
        raise Unavailable(f"{path} is a build of another interface ({lib.dw_abi()}, expected {ABI}): remove it")
    for suffix in ("f32", "f64"):
        fn = getattr(lib, f"dw_train_{suffix}")
        fn.restype = ctypes.c_int
        ints = [ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.c_int, ctypes.c_int, ctypes.c_int]
        fn.argtypes = [*ints, *[ctypes.c_void_p] * 5, ctypes.c_longlong, ctypes.c_int, ctypes.c_double, ctypes.c_void_p]
    _LIBRARY = lib
    return lib


def tile(itemsize: int) -> int:
    """Points per tile for elements of ``itemsize`` bytes (see :data:`TILE_ROW_BYTES`)."""
    return TILE_ROW_BYTES // itemsize


def train(lib, sizes, phi: str, p, m, v, x, y, t0: int, steps: int, lr: float, losses) -> None:
    """``steps`` Adam steps of a phase, from its step ``t0``, for every student, in place.

    p, m, v: the flat layer-major weights and moments (the engine's ``_State``); x (K, n_in, N)
    and y (K, n_out, N) contiguous; losses (steps, K) receives the MSE before each step. All on
    the CPU in one dtype, float32 or float64.
    """
    k, n = x.shape[0], x.shape[2]
    fn = lib.dw_train_f32 if p.element_size() == 4 else lib.dw_train_f64
    arr = (ctypes.c_int * len(sizes))(*sizes)
    for t in (p, m, v, x, y, losses):
        if not t.is_contiguous() or t.dtype != p.dtype or t.device.type != "cpu":
            raise ValueError("native.train needs contiguous CPU tensors of one dtype")
    status = fn(
        k,
        len(sizes) - 1,
        arr,
        n,
        ACTIVATIONS[phi],
        tile(p.element_size()),
        p.data_ptr(),
        m.data_ptr(),
        v.data_ptr(),
        x.data_ptr(),
        y.data_ptr(),
        t0,
        steps,
        lr,
        losses.data_ptr(),
    )
    if status != 0:
        raise MemoryError(f"the native training loop failed (status {status})")
