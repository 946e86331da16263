"""How much faster the engine trains than the tutorial's loop, after checking they compute the same.

    python benchmarks/bench_training.py                 # per-step times, in config.yaml's dtype
    python benchmarks/bench_training.py --dtype float64
    python benchmarks/bench_training.py --float32-deep  # can float32 reach ~1e-7 for the deep student?
    python benchmarks/bench_training.py --workflow      # the default config's training, end to end
    python benchmarks/bench_training.py --batch         # the study's students: one process each vs batched

Per-step mode, in one run: (1) on the tutorial's teacher data in float64, the native loop and
the torch engine (with the options being timed) each against ``torch.optim.Adam`` with autograd
(``reference.adam_reference``) from the same weights; unless their loss curves agree within 1e-9
relative over ``--check-steps`` steps, no speed-up is printed and the exit status is 1. (2) The
tutorial's loop (``nn.Sequential`` of ``nn.Linear(bias=False)`` + ``nn.Tanh``,
``torch.optim.Adam``, ``nn.MSELoss``, ``loss.item()`` every step), the torch engine and the
native loop are timed in alternating rounds, one thread, N = 4000; the median round of each gives
the per-step time. The torch engine with ``compile: true`` and 2 steps per call is a936f1d's
engine unchanged (this commit only put the native loop in front of it), so its column is the
baseline the native loop's ratio is taken against. Compilation happens in step (1).

The floor of a shape is what one core needs at its measured peaks, with nothing but arithmetic:
the multiply-adds of a step (forward ``N * P``, the weight gradients ``N * P``, the backward
products of every layer but the first, P its weights) at the single-thread float32 or float64
matmul rate this run measures (``torch.mm`` of 512 x 512 matrices), plus ``N x hidden units``
tanh at the per-element rate of ``torch.tanh`` on an L1-resident vector of 4096 elements. The
native loop's ratio to it says how much is left.

Workflow mode runs the tutorial's procedure for every student of ``config.yaml`` (draw the
teacher and data, the initial weights from the same random stream as the workflow, the
tutorial's loop, in the config's dtype) as 2 parallel jobs, then the whole default workflow
(``snakemake --cores 2`` in a temporary folder: every rule, figures included) with a cold
compile cache and again with it warm. It prints the wall times and ratios, and each student's
test error both ways, which must agree within ``BANDS`` (for a student whose error still spikes
at the end, the lowest training error of its last steps: see ``SPIKY``).

Batch mode trains the study's students of one architecture (``--student``, default ``deep``:
the first 40 teachers of ``configs/study.yaml``'s sweep, its schedule divided by ``--shorten``)
as the workflow did before batching, one process per student (``--solo`` of them, timed and
scaled to 40), and as batches of K = 5 and K = 40 in one process each, every process started
afresh with a warm compile cache. It first checks, in float64, that every student of a K = 5
batch equals that student trained alone (1e-9 relative, over ``--check-steps`` steps), and
prints the students per minute of each way and their ratios, and the time per student step.

Reads ``config.yaml`` (and ``configs/study.yaml`` in batch mode), validated and with the
schema's defaults, as the workflow does; writes only to a temporary folder (batch mode: the
compile cache, ``--compile-cache``).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from depthwidth.experiment import config as configuration  # noqa: E402
from depthwidth.experiment import paths, plan  # noqa: E402
from depthwidth.experiment.plan import Phase  # noqa: E402
from depthwidth.model import nets, teacher  # noqa: E402
from depthwidth.training import engine, students  # noqa: E402
from depthwidth.training.reference import adam_reference, tutorial_train  # noqa: E402

CONFIG = configuration.load(ROOT / "config.yaml")
STUDY_FILES = (ROOT / "config.yaml", ROOT / "configs" / "study.yaml")
TEACHER = plan.teacher_sizes(CONFIG["teacher"])
SHAPES = {"shallow w5": [TEACHER[0], 5, 1], "shallow w135": [TEACHER[0], 135, 1], "deep 5x5": TEACHER}
# per-step speed-ups asked of the native loop over the torch engine (a936f1d's), in float32
NATIVE_TARGETS = {"shallow w5": 2.3, "shallow w135": 2.0, "deep 5x5": 2.3}
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def tutorial_data(n_train: int, n_test: int = 1000) -> dict[str, np.ndarray]:
    _, data = teacher.draw_teacher_and_data(TEACHER, 2.0, -1, n_train, n_test)
    return data


def check_cases(steps: int) -> list[tuple[str, list[int], list[Phase]]]:
    """(label, sizes, schedule) of the equivalence check.

    Each shape over ``steps`` steps in one phase, and the deep one again over four short phases
    (Adam restarting each). Long phased runs are not compared: at a restart Adam's first step is
    about lr * sign(gradient), which turns rounding-level differences in near-zero gradient
    components into lr-sized ones, so two exact implementations drift apart (1e-8 to 1e-3 after
    2000 steps here, depending on the seed).
    """
    cases = [(name, sizes, [Phase(steps, 3e-3 if name.startswith("deep") else 1e-3)]) for name, sizes in SHAPES.items()]
    cases.append(("deep, 4 phases", TEACHER, [Phase(150, 3e-3 / 3**k) for k in range(4)]))
    return cases


def student(sizes):
    return nets.make_student(sizes, "default", 1.0, nets.generator(nets.derived_seed(-1, "bench")))


def per_step(args) -> int:
    torch.set_num_threads(1)
    ways = {
        "torch": dict(
            engine="torch", compile=args.compile, steps_per_call=args.steps_per_call, compile_cache=args.compile_cache
        ),
        "native": dict(engine="native"),
    }
    data = tutorial_data(args.n)
    X, y = data["X_train"], data["y_train"]
    print(f"torch {torch.__version__}, 1 thread, N={args.n}, CPU {cpu_name()}; torch engine options {ways['torch']}")

    print("\n1. equivalence in float64 (against torch.optim.Adam):")
    ok = True
    for name, sizes, schedule in check_cases(args.check_steps):
        _, ref = adam_reference(student(sizes), X, y, schedule)
        for way, opts in ways.items():
            res = engine.train(student(sizes), X, y, schedule, dtype=torch.float64, **opts)
            rel = float(np.max(np.abs(res.losses - ref) / np.abs(ref)))
            ok &= rel <= 1e-9
            print(
                f"   {name:14s} {way:6s} max relative loss difference {rel:.2e} ({res.backend}, compiled in "
                f"{res.compile_seconds:.1f} s) {'ok' if rel <= 1e-9 else 'FAILED'}"
            )
            for note in res.notes:
                print(f"   note: {note}")
    if not ok:
        print("\nThe engine does not reproduce torch.optim.Adam: no speed-up reported.")
        return 1

    dtype = DTYPES[args.dtype]
    mac_s, tanh_s = machine_rates(dtype)
    print(
        f"\n2. time per step in {args.dtype}, median of {args.rounds} alternating rounds "
        f"(floor: {mac_s / 1e9:.1f} G multiply-adds/s, {tanh_s * 1e9:.2f} ns per tanh):"
    )
    print(
        f"   {'shape':13s} {'tutorial':>10s} {'torch eng.':>10s} {'native':>10s} {'floor':>8s} "
        f"{'vs tutorial':>11s} {'vs torch':>8s} {'target':>7s} {'/ floor':>7s}"
    )
    for name, sizes in SHAPES.items():
        times = _time_shape(args, sizes, X, y, dtype, ways)
        t, e, n = (times[k] for k in ("tutorial", "torch", "native"))
        floor = step_floor(sizes, args.n, mac_s, tanh_s)
        target = NATIVE_TARGETS[name]
        print(
            f"   {name:13s} {t * 1e6:7.0f} us {e * 1e6:7.0f} us {n * 1e6:7.0f} us {floor * 1e6:5.0f} us "
            f"{t / n:10.1f}x {e / n:7.2f}x {target:6.1f}x {n / floor:6.2f}x  "
            f"{'met' if e / n >= target else 'NOT met'}"
        )
    return 0


def _time_shape(args, sizes, X, y, dtype, ways) -> dict[str, float]:
    """Median seconds per step of the tutorial's loop and each way of the engine, alternating."""
    steps = args.steps if max(sizes) < 100 else max(args.steps // 5, 20)
    schedule = [Phase(steps, 1e-3)]
    w0 = student(sizes)
    for opts in ways.values():  # first calls, the compiled graph for this dtype, the native build
        engine.train(w0, X, y, [Phase(2 * args.steps_per_call, 1e-3)], dtype=dtype, **opts)
    tutorial_train(w0, X, y, [Phase(5, 1e-3)], dtype)
    times: dict[str, list[float]] = {"tutorial": [], **{way: [] for way in ways}}
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        tutorial_train(w0, X, y, schedule, dtype)
        times["tutorial"].append((time.perf_counter() - t0) / steps)
        for way, opts in ways.items():
            t0 = time.perf_counter()
            res = engine.train(w0, X, y, schedule, dtype=dtype, **opts)
            times[way].append((time.perf_counter() - t0 - res.compile_seconds) / steps)
    return {way: statistics.median(ts) for way, ts in times.items()}


def cpu_name() -> str:
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    isa = "AVX-512" if " avx512f" in info else "AVX2" if " avx2" in info else "no AVX2"
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    return f"{model} ({isa})"


def machine_rates(dtype) -> tuple[float, float]:
    """(multiply-adds per second of one thread's matmul, seconds per tanh) in ``dtype``."""
    a = torch.randn(512, 512, dtype=dtype)
    v = torch.randn(4096, dtype=dtype)
    out = torch.empty_like(v)
    rates = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(4):
            torch.mm(a, a)
        rates.append(4 * 512**3 / (time.perf_counter() - t0))
    tanhs = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(200):
            torch.tanh(v, out=out)
        tanhs.append((time.perf_counter() - t0) / (200 * 4096))
    return max(rates), min(tanhs)


def step_floor(sizes, n: int, mac_s: float, tanh_s: float) -> float:
    """Seconds per step at the machine's peak rates (see the module docstring)."""
    layers = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    macs = n * (2 * sum(layers) + sum(layers[1:]))
    return macs / mac_s + n * sum(sizes[1:-1]) * tanh_s


def float32_deep(args) -> int:
    """Train the deep student with config.yaml's schedule in float32 and float64; print its errors."""
    torch.set_num_threads(1)
    cfg = CONFIG
    d = cfg["deep"]
    schedule = plan.phased_schedule(d["phases"], d["steps_per_phase"] // args.shorten, d["lr"], d["lr_decay"])
    data = tutorial_data(cfg["data"]["n_train"], cfg["data"]["n_test"])
    print(f"deep student, schedule {[(p.steps, p.lr) for p in schedule]}")
    for dt in ("float32", "float64"):
        res = engine.train(
            student(TEACHER),
            data["X_train"],
            data["y_train"],
            schedule,
            dtype=DTYPES[dt],
            compile=args.compile,
            steps_per_call=args.steps_per_call,
            compile_cache=args.compile_cache,
        )
        err = students.relative_errors([w.double() for w in res.weights], data)
        print(
            f"  {dt}: relative train error {err['train_relative_error']:.3g}, test "
            f"{err['test_relative_error']:.3g} ({res.seconds:.0f} s, {res.backend})",
            flush=True,
        )
    return 0


# Bands for a full-length run of the same student by two implementations: rounding-level
# differences grow over 20000 steps (about 1% at width 135) and more over the deep student's
# phases, whose Adam restarts turn them into lr-sized steps.
BANDS = {"shallow": 0.05, "deep": 1.0}  # largest |log(a / b)| accepted: 5%, a factor e
# A student whose training error spans more than this factor over its last TAIL steps (Adam
# spiking near the minimum: the quasi-linear student at lr 1e-3) stops at a point that rounding
# decides; for it the lowest training error of those steps is compared instead of its last error.
SPIKY, TAIL = 2.0, 1000


def _tail(train_mse: np.ndarray, var_y_test: float) -> np.ndarray:
    """The relative training error over the last TAIL steps."""
    return train_mse[-TAIL:] / var_y_test


def _spiky(tail: np.ndarray) -> bool:
    return bool(tail.max() > SPIKY * tail.min())


def _tutorial_job(job: tuple) -> tuple[str, float, float, np.ndarray, float]:
    """One section of the tutorial's procedure: draw the teacher and its data, the student's initial
    weights from the same stream as the workflow, train with the tutorial's loop. Returns (the
    workflow's metrics file for this student, seconds, relative test error, losses, Var(y_test))."""
    torch.set_num_threads(1)
    target, regime, seed, name = job
    spec, cfg = CONFIG["regimes"][regime], CONFIG
    dtype = DTYPES[cfg["dtype"]]
    t0 = time.perf_counter()
    sizes_teacher = plan.teacher_sizes(cfg["teacher"])
    n_train, n_test = cfg["data"]["n_train"], cfg["data"]["n_test"]
    _, data = teacher.draw_teacher_and_data(sizes_teacher, spec["sigma"], seed, n_train, n_test, dtype)
    if cfg["data"]["standardise_targets"]:
        data = teacher.standardise_targets(data)
    stream = plan.teacher_stream(cfg, regime)
    preceding = plan.member(cfg, regime, seed, name).preceding
    g = students.student_generator(cfg["student_seeding"], seed, name, stream, preceding)
    sizes = plan.student_sizes(name, cfg["teacher"])
    w0 = nets.make_student(sizes, spec["student_init"], spec["sigma"], g)
    weights, losses = tutorial_train(w0, data["X_train"], data["y_train"], plan.schedule(name, cfg), dtype)
    errors = students.relative_errors(weights, data)
    return target, time.perf_counter() - t0, errors["test_relative_error"], losses, errors["var_y_test"]


def workflow(args) -> int:
    """The default workflow against the tutorial's procedure, 2 parallel jobs each, same numbers."""
    jobs = [
        (paths.student_file("metrics.json", regime, seed, name), regime, seed, name)
        for regime, spec in CONFIG["regimes"].items()
        for seed in CONFIG["seeds"]
        for name in plan.regime_students(spec)
    ]
    # longest first, which favours the tutorial: its deep student alone sets its wall time
    jobs.sort(key=lambda j: -plan.total_steps(j[3], CONFIG) * max(plan.student_sizes(j[3], CONFIG["teacher"])))
    print(
        f"config.yaml: {len(jobs)} students in {CONFIG['dtype']}; the tutorial's procedure (teacher, data and "
        "the tutorial's loop per student) as 2 parallel jobs ...",
        flush=True,
    )
    t0 = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        tutorial = {target: rest for target, *rest in pool.map(_tutorial_job, jobs, chunksize=1)}
    tutorial_wall = time.perf_counter() - t0
    print(f"  tutorial's procedure: {tutorial_wall:.0f} s", flush=True)

    walls = {}
    with tempfile.TemporaryDirectory(prefix="bench_workflow_") as tmp:
        cache = Path(tmp, "inductor")
        env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        for label in ("cold cache", "warm cache"):
            shutil.rmtree(Path(tmp, "results"), ignore_errors=True)
            # this interpreter's snakemake: the benchmark runs from a venv that is not activated
            cmd = [
                sys.executable,
                "-m",
                "snakemake",
                "-s",
                str(ROOT / "Snakefile"),
                "--configfile",
                str(ROOT / "config.yaml"),
                "--cores",
                "2",
                "--config",
                f"compile_cache={cache}",
                "--quiet",
            ]
            t0 = time.perf_counter()
            run = subprocess.run(cmd, cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            walls[label] = time.perf_counter() - t0
            if run.returncode:
                print(run.stdout[-5000:])
                raise SystemExit(f"the workflow failed ({label}); its output is above")
            print(f"  the whole workflow (every rule and figure), {label}: {walls[label]:.0f} s", flush=True)
        workflow_runs = {}
        for target in tutorial:
            metrics = json.loads(Path(tmp, target).read_text())
            train_mse = np.load(Path(tmp, target).with_name("loss.npz"))["train_mse"]
            workflow_runs[target] = (metrics["test_relative_error"], train_mse, metrics["var_y_test"])

    print(f"\n{'student':28s} {'tutorial s':>10s} {'compared':>15s} {'tutorial':>10s} {'workflow':>10s}  band")
    in_bands = True
    for target, (seconds, error, losses, var) in tutorial.items():
        our_error, our_mse, our_var = workflow_runs[target]
        tails = _tail(losses, var), _tail(our_mse, our_var)
        if any(map(_spiky, tails)):  # in either run: compare the lowest training error of both
            label, theirs, ours = "lowest train E", float(tails[0].min()), float(tails[1].min())
        else:
            label, theirs, ours = "test E", error, our_error
        where = paths.parse_student_file(target)
        band = BANDS["deep" if where["student"] == paths.DEEP else "shallow"]
        ok = abs(math.log(theirs / ours)) <= band
        in_bands &= ok
        print(
            f"{where['regime'] + '/seed' + str(where['seed']) + '/' + where['student']:28s} {seconds:10.0f} {label:>15s} {theirs:10.4g} "
            f"{ours:10.4g}  {'ok' if ok else 'OUTSIDE'} (|ln ratio| <= {band})"
        )
    ratio = tutorial_wall / walls["warm cache"]
    print(
        f"\nwall time: tutorial's procedure {tutorial_wall:.0f} s; the whole workflow {walls['warm cache']:.0f} s "
        f"with a warm compile cache ({ratio:.1f}x, target >= 4x {'met' if ratio >= 4 else 'NOT met'}), "
        f"{walls['cold cache']:.0f} s cold ({tutorial_wall / walls['cold cache']:.1f}x); "
        f"errors {'all within' if in_bands else 'NOT all within'} their bands"
    )
    return 0 if in_bands else 1


# --- batch mode: the study's students of one architecture, one process each against batched -------


def _study_members(student: str, k: int) -> tuple[dict, list[plan.Member]]:
    config = configuration.load(*STUDY_FILES)
    members = plan.batch(config, student, list(plan.sweep_regimes(config, config["teacher"]["depth"]))).members
    if len(members) < k:
        raise SystemExit(f"configs/study.yaml has {len(members)} teachers for {student}, fewer than {k}")
    return config, list(members[:k])


def _batch_inputs(config: dict, student: str, members: list[plan.Member], dtype: torch.dtype):
    """The teachers' data and the students' initial weights, as the workflow's jobs make them."""
    sizes = plan.student_sizes(student, plan.regime_teacher(config, members[0].regime))
    n = {k: config["data"][k] for k in ("n_train", "n_test")}
    datas, inits = [], []
    for m in members:
        _, data = teacher.draw_teacher_and_data(m.teacher_sizes, m.sigma, m.seed, n["n_train"], n["n_test"], dtype)
        datas.append(teacher.standardise_targets(data) if config["data"]["standardise_targets"] else data)
        inits.append(students.initial_weights(sizes, student, vars(m), config["student_seeding"], n))
    return sizes, datas, inits


def _shortened(config: dict, student: str, shorten: int) -> list[Phase]:
    """The student's schedule with every phase ``shorten`` times shorter; 0: one compiled call per
    phase (what warming the compile cache needs)."""
    if shorten == 0:
        return [Phase(engine.STEPS_PER_CALL, p.lr) for p in plan.schedule(student, config)]
    return [Phase(max(1, p.steps // shorten), p.lr) for p in plan.schedule(student, config)]


def batch_worker(args) -> int:
    """One job's work (a fresh process): train ``--worker`` students from member ``--first`` on; print JSON."""
    torch.set_num_threads(1)
    config, members = _study_members(args.student, args.first + args.worker)
    members = members[args.first :]
    dtype = DTYPES[config["dtype"]]
    sizes, datas, inits = _batch_inputs(config, args.student, members, dtype)
    schedule = _shortened(config, args.student, args.shorten)
    result, _ = students.train_students(
        sizes,
        datas,
        schedule,
        inits,
        dtype=dtype,
        device=args.device,
        compile=config["compile"],
        compile_cache=args.compile_cache,
    )
    steps = sum(p.steps for p in schedule)
    print(
        json.dumps(
            {
                "k": len(members),
                "steps": steps,
                "seconds": result.seconds,
                "backend": result.backend,
                "compile_seconds": result.compile_seconds,
            }
        )
    )
    return 0


def _worker(args, k: int, first: int = 0, warm_only: bool = False) -> tuple[float, dict]:
    """A fresh process training k students from member ``first`` on: (wall seconds, its JSON)."""
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        str(k),
        "--first",
        str(first),
        "--student",
        args.student,
        "--shorten",
        "0" if warm_only else str(args.shorten),
        "--compile-cache",
        args.compile_cache,
        "--device",
        args.device,
    ]
    t0 = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if run.returncode:
        raise SystemExit(f"worker {cmd} failed:\n{run.stderr[-3000:]}")
    return wall, json.loads(run.stdout.strip().splitlines()[-1])


def batch_equivalence(args) -> bool:
    """float64: every student of a K = 5 batch of the study's teachers against that student alone."""
    torch.set_num_threads(1)
    config, members = _study_members(args.student, 5)
    sizes, datas, inits = _batch_inputs(config, args.student, members, torch.float64)
    schedule = [Phase(args.check_steps, plan.schedule(args.student, config)[0].lr)]
    opts = dict(dtype=torch.float64, compile=config["compile"], compile_cache=args.compile_cache)
    batch, _ = students.train_students(sizes, datas, schedule, inits, **opts)
    ok, bitwise = True, True
    for k, (data, init) in enumerate(zip(datas, inits)):
        alone = engine.train(init, data["X_train"], data["y_train"], schedule, **opts)
        rel = float(np.max(np.abs(batch.losses[:, k] - alone.losses) / np.abs(alone.losses)))
        bitwise &= bool(np.array_equal(batch.losses[:, k], alone.losses))
        ok &= rel <= 1e-9
        print(
            f"   {members[k].regime} seed {members[k].seed}: max relative difference {rel:.2e} "
            f"({batch.backend}) {'ok' if rel <= 1e-9 else 'FAILED'}"
        )
    print(f"   {'bitwise identical' if bitwise else 'not bitwise identical'} to training alone")
    return ok


def batch_mode(args) -> int:
    print(
        f"torch {torch.__version__}, 1 thread per process; the study's {args.student} students, schedule / "
        f"{args.shorten}, device {args.device}"
    )
    print(f"\n1. equivalence in float64 over {args.check_steps} steps (a K = 5 batch against each student alone):")
    if not batch_equivalence(args):
        print("\nA batch does not reproduce its students trained alone: no speed-up reported.")
        return 1
    print("\n2. warming the compile cache (one process per batch size, not timed) ...", flush=True)
    for k in (1, 5, 40):
        _worker(args, k, warm_only=True)
    print("\n3. students per minute, each process started afresh:")
    solo_walls, solo = [], None
    for j in range(args.solo):
        wall, solo = _worker(args, 1, first=j)
        solo_walls.append(wall)
    rows = [("one process each", args.solo, sum(solo_walls), solo)]
    for k in (5, 40):
        wall, info = _worker(args, k)
        rows.append((f"batch of {k}", k, wall, info))
    base = args.solo / sum(solo_walls)
    print(
        f"   {'way':18s} {'students':>8s} {'wall s':>8s} {'per min':>8s} {'ratio':>6s} {'us/student-step':>16s} "
        f"{'fixed s/process':>16s}"
    )
    for label, n, wall, info in rows:
        per_step = (info["seconds"] - info["compile_seconds"]) / (info["k"] * info["steps"]) * 1e6
        processes = n if label == "one process each" else 1
        fixed = (wall - info["k"] * info["steps"] * per_step / 1e6 * (n / info["k"])) / processes
        print(
            f"   {label:18s} {n:8d} {wall:8.1f} {60 * n / wall:8.1f} {n / wall / base:5.2f}x {per_step:16.1f} "
            f"{fixed:16.1f}  ({info['backend']})"
        )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workflow", action="store_true", help="time the default config's training end to end")
    parser.add_argument("--float32-deep", action="store_true", help="deep student's error in float32 vs float64")
    parser.add_argument("--batch", action="store_true", help="the study's students: one process each vs batched")
    parser.add_argument("--student", default="deep", help="--batch: the architecture (a student name)")
    parser.add_argument("--solo", type=int, default=5, help="--batch: how many one-student processes to time")
    parser.add_argument("--device", default="cpu", help="--batch: cpu or cuda")
    parser.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--shorten", type=int, default=1, help="--float32-deep, --batch: divide the phases' steps by this"
    )
    parser.add_argument(
        "--dtype", choices=sorted(DTYPES), default=CONFIG["dtype"], help="dtype of the timing (default: config.yaml's)"
    )
    parser.add_argument("--compile", default="true", help="engine option: auto, true or false")
    parser.add_argument("--steps-per-call", type=int, default=engine.STEPS_PER_CALL, help="engine option")
    parser.add_argument(
        "--compile-cache",
        default=str(ROOT / "results" / ".cache" / "inductor"),
        help="Inductor cache folder (default: the workflow's)",
    )
    parser.add_argument("--n", type=int, default=4000, help="training points")
    parser.add_argument("--check-steps", type=int, default=2000, help="steps of the equivalence check")
    parser.add_argument("--steps", type=int, default=500, help="steps per timing round (width 135: a fifth)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating timing rounds")
    args = parser.parse_args()
    if args.worker:
        return batch_worker(args)
    if args.batch:
        return batch_mode(args)
    if args.workflow:
        return workflow(args)
    if args.float32_deep:
        return float32_deep(args)
    return per_step(args)


if __name__ == "__main__":
    sys.exit(main())
