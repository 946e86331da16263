"""Damaged files give an error naming the file and the problem; writes are atomic and reproducible."""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from conftest import REPO, files_under, job_counts, snakemake_env  # noqa: E402

from depthwidth.analysis.results import load_metrics  # noqa: E402
from depthwidth.experiment.sizes import deep_sizes  # noqa: E402
from depthwidth.jobs import artifacts
from depthwidth.jobs.artifacts import ArtifactError  # noqa: E402
from depthwidth.model.nets import generator, make_teacher  # noqa: E402
from depthwidth.model.teacher import draw_teacher_and_data  # noqa: E402
from depthwidth.presentation import (
    figures,
    style,  # noqa: E402
)

TEACHER_SIZES = deep_sizes(5, 5, 5)


@pytest.fixture
def dataset(tmp_path) -> tuple[Path, dict[str, np.ndarray]]:
    _, data = draw_teacher_and_data(TEACHER_SIZES, 2.0, 7, n_train=60, n_test=20)
    path = tmp_path / "data.npz"
    artifacts.write_npz(path, **data)
    return path, data


@pytest.fixture
def teacher(tmp_path) -> tuple[Path, list[torch.Tensor]]:
    weights = make_teacher(TEACHER_SIZES, 2.0, generator(7))
    path = tmp_path / "teacher.pt"
    artifacts.write_weights(path, weights, {"role": "teacher"})
    return path, weights


# --- reading back what was written ------------------------------------------------------------


def test_round_trips(dataset, teacher):
    path, data = dataset
    back = artifacts.read_dataset(path, n_in=5)
    assert all(np.array_equal(back[k], data[k]) for k in data)
    with np.load(path) as npz:  # still a plain .npz for anyone else
        assert sorted(npz.files) == sorted(data)
    wpath, weights = teacher
    back = artifacts.read_weights(wpath, TEACHER_SIZES)
    assert all(torch.equal(a, b) for a, b in zip(back, weights))
    assert json.loads(artifacts.sidecar_path(wpath).read_text())["shapes"] == [[5, 5]] * 4 + [[1, 5]]


def test_same_content_gives_same_bytes(tmp_path, dataset, teacher):
    """No timestamps or temporary names inside the files: reruns can be compared byte for byte."""
    _, data = dataset
    _, weights = teacher
    for name in ("a", "b"):
        artifacts.write_npz(tmp_path / f"{name}.npz", **data)
        artifacts.write_weights(tmp_path / f"{name}.pt", weights, {"role": "teacher"})
        time.sleep(1.1)  # zip timestamps have a resolution of 2 s; cross at least one boundary
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()


# --- damaged datasets -------------------------------------------------------------------------


def _rewrite(path: Path, **changes) -> None:
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del arrays[key]
    artifacts.write_npz(path, **arrays)


def _flip_byte_in_member(path: Path, member: str) -> None:
    """Flip one byte of a zip member's stored data (what a bad disk or copy would do)."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    raw = bytearray(path.read_bytes())
    # the local header is 30 bytes plus the name and extra field
    name_len = int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_len = int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    raw[start + info.compress_size // 2] ^= 0x5A
    path.write_bytes(bytes(raw))


DATASET_FAULTS = {
    "truncated to half": (lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), "truncated or corrupt"),
    "truncated to 100 bytes": (lambda p: p.write_bytes(p.read_bytes()[:100]), "truncated or corrupt"),
    "last byte cut": (lambda p: p.write_bytes(p.read_bytes()[:-1]), "truncated or corrupt"),
    "empty file": (lambda p: p.write_bytes(b""), "empty file"),
    "text, not an archive": (lambda p: p.write_text("X_train,y_train\n1,2\n"), "not an .npz archive"),
    "a single .npy": (lambda p: np.save(open(p, "wb"), np.zeros((3, 5))), "a single .npy array"),
    "byte flipped in X_train": (lambda p: _flip_byte_in_member(p, "X_train.npy"), "truncated or corrupt"),
    "missing y_test": (lambda p: _rewrite(p, y_test=None), "missing arrays ['y_test']"),
    "X_train 4 columns": (
        lambda p: _rewrite(p, X_train=np.zeros((60, 4))),
        "X_train has shape (60, 4), expected (N, 5)",
    ),
    "X_test 1-d": (lambda p: _rewrite(p, X_test=np.zeros(20)), "X_test has shape (20,), expected (N, 5)"),
    "y_train 2 outputs": (
        lambda p: _rewrite(p, y_train=np.zeros((60, 2))),
        "y_train has shape (60, 2), expected (60, 1)",
    ),
    "y_test rows off": (lambda p: _rewrite(p, y_test=np.zeros((19, 1))), "y_test has shape (19, 1), expected (20, 1)"),
    "NaN in y_train": (lambda p: _rewrite(p, y_train=np.full((60, 1), np.nan)), "y_train holds non-finite values"),
    "inf in X_test": (lambda p: _rewrite(p, X_test=np.full((20, 5), np.inf)), "X_test holds non-finite values"),
    "integer inputs": (
        lambda p: _rewrite(p, X_train=np.zeros((60, 5), dtype=np.int64)),
        "X_train has dtype int64, expected floating point",
    ),
    "text inputs": (
        lambda p: _rewrite(p, X_test=np.full((20, 5), "a")),
        "X_test has dtype <U1, expected floating point",
    ),
    "one test point": (
        lambda p: _rewrite(p, X_test=np.zeros((1, 5)), y_test=np.zeros((1, 1))),
        "X_test has 1 rows, expected at least 2",
    ),
    "no training points": (
        lambda p: _rewrite(p, X_train=np.zeros((0, 5)), y_train=np.zeros((0, 1))),
        "X_train has 0 rows, expected at least 1",
    ),
}


@pytest.mark.parametrize("fault", DATASET_FAULTS)
def test_damaged_dataset_is_named(fault, dataset):
    path, _ = dataset
    damage, words = DATASET_FAULTS[fault]
    damage(path)
    with pytest.raises(ArtifactError) as err:
        artifacts.read_dataset(path, n_in=5)
    assert str(err.value).startswith(f"{path}: ")
    assert words in str(err.value)


def test_every_truncation_of_a_dataset_is_caught(dataset):
    """Not one prefix of the file loads, or fails with anything but a named ArtifactError."""
    path, _ = dataset
    raw = path.read_bytes()
    cut = path.with_name("cut.npz")
    for n in range(0, len(raw), max(1, len(raw) // 400)):
        cut.write_bytes(raw[:n])
        with pytest.raises(ArtifactError, match=f"^{cut}: "):
            artifacts.read_dataset(cut)


# --- damaged weights --------------------------------------------------------------------------


def _save_state(path: Path, state) -> None:
    with open(path, "wb") as fh:
        torch.save(state, fh)


def _state(path: Path) -> dict:
    return torch.load(path, weights_only=True)


WEIGHT_FAULTS = {
    "truncated to half": (lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), "truncated or corrupt"),
    "last byte cut": (lambda p: p.write_bytes(p.read_bytes()[:-1]), "truncated or corrupt"),
    "empty file": (lambda p: p.write_bytes(b""), "truncated or corrupt"),
    "not a weights file": (lambda p: p.write_text("hello"), "truncated or corrupt"),
    "byte flipped in a layer": (lambda p: _flip_byte_in_member(p, "archive/data/2"), "fails its checksum"),
    "wrong width (another net's weights)": (
        lambda p: artifacts.write_weights(p, make_teacher(deep_sizes(5, 7, 5), 2.0, generator(1)), {}),
        "layer shapes [(7, 5), (7, 7), (7, 7), (7, 7), (1, 7)], expected [(5, 5), (5, 5), (5, 5), (5, 5), (1, 5)]",
    ),
    "a layer missing": (
        lambda p: _save_state(p, {k: v for k, v in _state(p).items() if k != "layers.4.weight"}),
        "layer shapes [(5, 5), (5, 5), (5, 5), (5, 5)], expected",
    ),
    "a stray key": (lambda p: _save_state(p, {**_state(p), "bias": torch.zeros(5)}), "unexpected keys"),
    "a bare tensor": (lambda p: _save_state(p, torch.zeros(5, 5)), "expected a non-empty state dict"),
    "empty dict": (lambda p: _save_state(p, {}), "expected a non-empty state dict"),
    "a list, not a tensor": (
        lambda p: _save_state(p, {**_state(p), "layers.0.weight": [1.0, 2.0]}),
        "layer 0 is list, expected a 2-d floating-point weight matrix",
    ),
    "1-d layer": (
        lambda p: _save_state(p, {**_state(p), "layers.1.weight": torch.zeros(25)}),
        "layer 1 is a 1-d torch.float32 tensor",
    ),
    "integer layer": (
        lambda p: _save_state(p, {**_state(p), "layers.2.weight": torch.zeros(5, 5, dtype=torch.int64)}),
        "layer 2 is a 2-d torch.int64 tensor",
    ),
    "NaN weights": (
        lambda p: _save_state(p, {**_state(p), "layers.3.weight": torch.full((5, 5), float("nan"))}),
        "layer 3 holds non-finite values",
    ),
}


@pytest.mark.parametrize("fault", WEIGHT_FAULTS)
def test_damaged_weights_are_named(fault, teacher):
    path, _ = teacher
    damage, words = WEIGHT_FAULTS[fault]
    damage(path)
    with pytest.raises(ArtifactError) as err:
        artifacts.read_weights(path, TEACHER_SIZES)
    assert str(err.value).startswith(f"{path}: ")
    assert words in str(err.value)


def test_every_truncation_and_flipped_byte_of_weights_is_caught(teacher):
    """A cut file never loads; a flipped byte either fails, named, or leaves the weights as they were."""
    path, weights = teacher
    raw = path.read_bytes()
    bad = path.with_name("bad.pt")
    for n in range(0, len(raw), 5):
        bad.write_bytes(raw[:n])
        with pytest.raises(ArtifactError, match=f"^{bad}: "):
            artifacts.read_weights(bad, TEACHER_SIZES)
    import zipfile

    with zipfile.ZipFile(path) as zf:
        directory = zf.start_dir  # every byte of the zip's directory, where torch and zipfile disagree most
    silent = []
    for n in sorted({*range(0, directory, 4), *range(directory, len(raw))}):
        flipped = bytearray(raw)
        flipped[n] ^= 0x5A
        bad.write_bytes(bytes(flipped))
        try:
            got = artifacts.read_weights(bad, TEACHER_SIZES)
        except ArtifactError as err:
            assert str(err).startswith(f"{bad}: ")
        else:
            if not all(torch.equal(a, b) for a, b in zip(got, weights)):
                silent.append(n)
    # torch itself skips the zip checksums: without read_weights' check most tensor bytes would pass
    assert silent == []


# --- damaged JSON -----------------------------------------------------------------------------


JSON_FAULTS = {
    "truncated": (lambda p: p.write_text(p.read_text()[:-5]), "not valid JSON, truncated or corrupt"),
    "empty": (lambda p: p.write_text(""), "not valid JSON"),
    "binary": (lambda p: p.write_bytes(b"\xff\xfe\x00"), "not valid JSON"),
    "a list": (lambda p: p.write_text("[1, 2]"), "expected a JSON object, got list"),
    "missing key": (lambda p: p.write_text(json.dumps({k: 1 for k in ("name", "regime", "seed")})), "missing keys"),
    "a folder": (lambda p: (p.unlink(), p.mkdir()), "cannot be read"),
    "gone": (lambda p: p.unlink(), "file not found"),
}


@pytest.mark.parametrize("fault", JSON_FAULTS)
def test_damaged_metrics_are_named(fault, tmp_path):
    path = tmp_path / "metrics.json"
    artifacts.write_json(path, {"name": "deep", "test_relative_error": 1e-3})
    damage, words = JSON_FAULTS[fault]
    damage(path)
    with pytest.raises(ArtifactError) as err:
        load_metrics(str(path))
    assert str(err.value).startswith(f"{path}: ")
    assert words in str(err.value)


# --- atomic writes ----------------------------------------------------------------------------


class Boom(RuntimeError):
    pass


def _half_then_boom(path) -> None:
    Path(path).write_bytes(b"half a file")
    raise Boom


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path):
    new = tmp_path / "new.json"
    with pytest.raises(Boom), artifacts.atomic_path(new) as tmp:
        _half_then_boom(tmp)
    assert _leftovers(tmp_path) == []
    old = tmp_path / "old.json"
    artifacts.write_json(old, {"a": 1})
    with pytest.raises(Boom), artifacts.atomic_path(old) as tmp:
        _half_then_boom(tmp)
    assert json.loads(old.read_text()) == {"a": 1}
    assert _leftovers(tmp_path) == ["old.json"]


def test_every_writer_fails_cleanly(tmp_path, monkeypatch, teacher):
    """Each helper the scripts write with, made to fail mid-write, leaves no destination file."""
    _, weights = teacher
    out = tmp_path / "out"
    # an object array cannot be stored without pickles: fails after the first member was written
    with pytest.raises(ValueError):
        artifacts.write_npz(out / "data.npz", X_train=np.zeros((3, 5)), y_train=np.array([object()]))
    monkeypatch.setattr(torch, "save", lambda obj, f: (f.write(b"PK\x03\x04 partial"), _half_then_boom(f.name)))
    with pytest.raises(Boom):
        artifacts.write_weights(out / "student.pt", weights, {})
    monkeypatch.undo()
    import pandas as pd

    monkeypatch.setattr(pd.DataFrame, "to_csv", lambda self, path, **kw: _half_then_boom(path))
    with pytest.raises(Boom):
        artifacts.write_tsv(out / "summary.tsv", pd.DataFrame({"a": [1]}))
    monkeypatch.undo()
    fig = plt.figure()
    monkeypatch.setattr(fig, "savefig", lambda path, **kw: _half_then_boom(path))
    with pytest.raises(Boom):
        style.save(fig, [out / "figure.png", out / "figure.pdf"])
    monkeypatch.undo()
    from matplotlib import animation

    def frames_then_boom(self, *args, **kwargs):
        raise Boom

    monkeypatch.setattr(animation.PillowWriter, "finish", frames_then_boom)
    projected = np.random.default_rng(0).normal(size=(2, 3, 10, 3))  # (nets, layers, points, xyz)
    with pytest.raises(Boom):
        figures.expressivity_animation(projected, ["a", "b"], out / "expressivity.gif")
    assert _leftovers(out) == []


def test_killed_writer_never_leaves_a_partial_file(tmp_path):
    """SIGKILL during a write (no cleanup runs): the destination is absent, or the previous whole file."""
    dest = tmp_path / "big.npz"
    writer = textwrap.dedent(f"""
        import numpy as np, sys
        from depthwidth.jobs.artifacts import write_npz
        big = np.random.default_rng(0).normal(size=(4_000_000,))
        write_npz({str(dest)!r}, x=np.arange(3.0))
        print("first", flush=True)
        while True:
            write_npz({str(dest)!r}, x=big)
    """)
    proc = subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE, text=True, env=snakemake_env(REPO))
    try:
        assert proc.stdout.readline().strip() == "first"
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(".big.npz.") for p in tmp_path.iterdir()):  # a rewrite is under way
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    x = artifacts.read_npz(dest, ("x",))["x"]
    assert x.shape in ((3,), (4_000_000,))  # the old file, or a whole new one: never a partial one


# --- every write in the workflow goes through atomic_path -------------------------------------

WRITE_CALLS = {
    "save",
    "savefig",
    "savez",
    "savez_compressed",
    "to_csv",
    "write_text",
    "write_bytes",
    "dump",
    "write_array",
    "imwrite",
    "to_parquet",
}
OWN_WRITERS = {"artifacts", "style", "ckpt"}  # modules whose writers are the atomic ones (checked themselves)


def _unguarded_writes(source: str) -> list[int]:
    """Line numbers of write calls not lexically inside ``with atomic_path(...)``."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def guarded(node) -> bool:
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.With) and any(
                isinstance(item.context_expr, ast.Call)
                and getattr(item.context_expr.func, "attr", getattr(item.context_expr.func, "id", None))
                == "atomic_path"
                for item in node.items
            ):
                return True
        return False

    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", None))
        owner = getattr(getattr(node.func, "value", None), "id", None)
        writes = name in WRITE_CALLS and owner not in OWN_WRITERS
        if name == "open":  # open(path, "w"...) or Path.open("w")
            modes = [
                a.value
                for a in node.args + [k.value for k in node.keywords if k.arg == "mode"]
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
            writes = any(set(m) & set("wax") for m in modes)
        if writes and not guarded(node):
            lines.append(node.lineno)
    return lines


def test_unguarded_write_detector_works():
    assert _unguarded_writes("import numpy as np\nnp.save('x.npy', 1)\n") == [2]
    assert _unguarded_writes("with atomic_path(p) as t:\n    fig.savefig(t)\n") == []
    assert _unguarded_writes("with open(p, 'w') as fh:\n    pass\n") == [1]
    assert _unguarded_writes("style.save(fig, paths)\nanim.save(path)\n") == [2]


@pytest.mark.parametrize(
    "path", sorted(str(p.relative_to(REPO)) for p in [*REPO.glob("scripts/*.py"), *REPO.glob("depthwidth/*.py")])
)
def test_scripts_and_package_write_only_atomically(path):
    assert _unguarded_writes((REPO / path).read_text()) == [], f"{path} writes a file without atomic_path"


# --- the workflow surfaces a damaged file as a failed job whose log names it ------------------


def test_truncated_dataset_fails_the_student_job_naming_the_file(smoke_clone):
    data = smoke_clone.results / "chaotic" / "seed7" / "data.npz"
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    later = time.time() + 5
    os.utime(data, (later, later))  # newer than the student's outputs: Snakemake reruns it
    metrics = smoke_clone.results / "chaotic" / "seed7" / "shallow_w5" / "metrics.json"
    target = str(metrics.relative_to(smoke_clone.workdir))
    # a plain run stops before any job, naming the damaged file ...
    proc = smoke_clone.snakemake(target, cores=1, check=False)
    assert proc.returncode != 0 and "results/chaotic/seed7/data.npz: not readable" in proc.stdout + proc.stderr
    # ... and a forced one, past that check, fails the student job, whose log names it
    proc = smoke_clone.snakemake(target, "--forcerun", target, cores=1, check=False)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    log = (smoke_clone.results / "logs" / "chaotic" / "shallow_w5.log").read_text()
    assert "ArtifactError: results/chaotic/seed7/data.npz: not a readable .npz archive, truncated or corrupt" in log
    assert "results/logs/chaotic/shallow_w5.log" in proc.stdout + proc.stderr  # pointed at
    assert not metrics.exists()  # the stale result is not left looking current


def test_wrong_shape_student_fails_the_figure_naming_the_file(smoke_clone):
    weights = smoke_clone.results / "chaotic" / "seed-1" / "shallow_w45" / "student.pt"
    artifacts.write_weights(weights, make_teacher([5, 44, 1], 1.0, generator(0)), {})
    later = time.time() + 5
    os.utime(weights, (later, later))
    figure = smoke_clone.results / "figures" / "predictions.png"
    proc = smoke_clone.snakemake(str(figure.relative_to(smoke_clone.workdir)), cores=1, check=False)
    assert proc.returncode != 0
    log = (smoke_clone.results / "logs" / "figures" / "predictions.log").read_text()
    assert (
        "ArtifactError: results/chaotic/seed-1/shallow_w45/student.pt: layer shapes [(44, 5), (1, 44)], "
        "expected [(45, 5), (1, 45)]"
    ) in log
    assert not figure.exists()


def test_outputs_get_the_usual_file_mode(tmp_path):
    """Results are shared on clusters: a written file has the umask's mode, not mkstemp's 0600."""
    umask = os.umask(0o022)
    os.umask(umask)
    artifacts.write_json(tmp_path / "a.json", {"x": 1})
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o666 & ~umask


# --- artifacts that say what they are ---------------------------------------------------------


def _metrics(tmp_path: Path, regime="chaotic", seed=-1, name="shallow_w45", **changes) -> Path:
    path = tmp_path / "results" / regime / f"seed{seed}" / name / "metrics.json"
    m = {
        "name": name,
        "regime": regime,
        "seed": seed,
        "sizes": [5, 45, 1],
        "n_parameters": 270,
        "points_per_parameter": 14.8,
        "var_y_test": 2.0,
        "train_relative_error": 1e-3,
        "test_relative_error": 2e-3,
    }
    artifacts.write_json(path, {**m, **changes})
    return path


def test_metrics_copied_over_another_students_are_refused(tmp_path):
    good = _metrics(tmp_path)
    assert load_metrics(str(good))["name"] == "shallow_w45"
    other = tmp_path / "results" / "chaotic" / "seed-1" / "shallow_w15" / "metrics.json"
    other.parent.mkdir(parents=True)
    other.write_bytes(good.read_bytes())
    with pytest.raises(ArtifactError) as err:
        load_metrics(str(other))
    assert str(err.value) == (
        f"{other}: records name 'shallow_w45', but is read as that of name 'shallow_w15': a copied "
        f"or misplaced file; remake it with snakemake --cores all --forcerun {other}"
    )
    seven = tmp_path / "results" / "chaotic" / "seed7" / "shallow_w45" / "metrics.json"
    seven.parent.mkdir(parents=True)
    seven.write_bytes(good.read_bytes())
    with pytest.raises(ArtifactError, match="records seed -1, but is read as that of seed 7"):
        load_metrics(str(seven))
    with pytest.raises(ArtifactError, match="records regime 'chaotic', but is read as that of regime 'quasilinear'"):
        load_metrics(str(good), expected={"regime": "quasilinear"})


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("test_relative_error", -0.5, "test_relative_error is -0.5, expected at least 0"),
        ("train_relative_error", None, "train_relative_error is None, expected a finite number"),  # NaN is written null
        ("test_relative_error", float("inf"), "test_relative_error is 'inf', expected a finite number"),
        ("var_y_test", 0.0, "var_y_test is 0.0, expected above 0"),
        ("n_parameters", "270", "n_parameters is '270', expected a finite number"),
        ("sizes", [5, 0, 1], "sizes is [5, 0, 1], expected a list of at least two positive layer widths"),
    ],
)
def test_metrics_out_of_range_are_refused(tmp_path, key, value, words):
    path = _metrics(tmp_path, **{key: value})
    with pytest.raises(ArtifactError) as err:
        load_metrics(str(path))
    assert str(err.value) == f"{path}: {words}"


@pytest.mark.parametrize(
    "sigma, words",
    [
        (
            1e-8,
            "teacher sigma=1e-08: its targets have standard deviation 7.36e-41, not above the float64 resolution 2.22e-16",
        ),
        (1e300, "teacher sigma=1e+300: layer 0's weights are non-finite"),
    ],
)
def test_teacher_refuses_degenerate_or_non_finite_data(sigma, words):
    from depthwidth.model.teacher import TeacherError

    with pytest.raises(TeacherError) as err:
        draw_teacher_and_data(TEACHER_SIZES, sigma, -1, n_train=100, n_test=20)
    assert str(err.value).startswith(words)
    assert "config key regimes.<name>.sigma (or sweep.sigmas)" in str(err.value)


def test_teacher_at_the_quasilinear_scale_in_float32_is_kept():
    _, data = draw_teacher_and_data(TEACHER_SIZES, 0.4, -1, n_train=100, n_test=20, dtype=torch.float32)
    assert data["y_test"].std() > np.finfo(np.float32).eps


def test_weights_sidecar_records_the_files_checksum(teacher):
    path, _ = teacher
    artifacts.verify_weights(path)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 3] ^= 0xFF  # random damage anywhere, also where torch would not look
    path.write_bytes(bytes(raw))
    with pytest.raises(
        ArtifactError, match=f"^{path}: its SHA-256 .* is not the .* its sidecar teacher.pt.json recorded"
    ):
        artifacts.verify_weights(path)


def test_summary_fails_on_a_damaged_student_file_nothing_else_reads(smoke_clone):
    from depthwidth.analysis.results import summary_table

    results = smoke_clone.results
    metrics = sorted(str(p) for p in results.glob("*/seed*/*/metrics.json"))
    weights = [m.replace("metrics.json", "student.pt") for m in metrics]
    fits = [str(results / "chaotic" / "scaling_fit.json")]
    sigmas = {"chaotic": 2.0, "quasilinear": 0.4}
    assert len(summary_table(metrics, fits, sigmas, weights)) == 10 + 1
    damaged = Path(weights[0])
    damaged.write_bytes(np.random.default_rng(0).bytes(damaged.stat().st_size))
    with pytest.raises(ArtifactError, match=f"^{damaged}: its SHA-256"):
        summary_table(metrics, fits, sigmas, weights)


# --- repairs that repair ----------------------------------------------------------------------


def _science(results: Path) -> dict[str, bytes]:

    return {k: v for k, v in files_under(results).items() if not k.startswith(("logs/", "benchmarks/", "figures/"))}


def _fail_students_on_a_truncated_dataset(run) -> Path:
    data = run.results / "chaotic" / "seed7" / "data.npz"
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    later = time.time() + 5
    os.utime(data, (later, later))
    # a plain run refuses the damaged file before any job; forced, the student job fails on it
    target = "results/chaotic/seed7/shallow_w5/metrics.json"
    proc = run.snakemake(target, "--forcerun", target, cores=1, check=False)
    assert proc.returncode != 0
    assert not (run.results / "chaotic" / "seed7" / "shallow_w5" / "metrics.json").exists()
    return data


def test_deleting_a_damaged_file_and_rerunning_rebuilds_it_and_everything_downstream(smoke_run, smoke_clone):
    """Snakemake 9 alone would say "Nothing to be done" here: the summary, made from the deleted
    student, is present. The summary takes every file it is made from as an input, so a plain run
    remakes them."""
    data = _fail_students_on_a_truncated_dataset(smoke_clone)
    data.unlink()
    summary = smoke_clone.results / "summary.tsv"
    before = summary.stat().st_mtime
    proc = smoke_clone.snakemake(cores=1)
    # the data, and the files of the failed student job (both seeds': one job trains both)
    gone = re.search(r"results/summary.tsv is there, but (\d+) file\(s\) it is made from are missing", proc.stderr)
    assert gone and int(gone[1]) >= 5, proc.stderr[-3000:]
    assert _science(smoke_clone.results) == _science(smoke_run.results)
    assert summary.stat().st_mtime > before
    for figure in ("error_vs_width.png", "deep_loss.png"):
        assert (smoke_clone.results / "figures" / figure).stat().st_mtime > before
    again = smoke_clone.snakemake("-n", cores=1)
    assert "Nothing to be done" in again.stdout + again.stderr


def test_forcerun_repairs_a_damaged_file_in_place(smoke_run, smoke_clone):
    """The README's repair command for a file that is damaged but still there."""
    _fail_students_on_a_truncated_dataset(smoke_clone)
    smoke_clone.snakemake("--forcerun", "results/chaotic/seed7/data.npz", cores=1)
    assert _science(smoke_clone.results) == _science(smoke_run.results)


# Each kind of stored file, deleted alone after a finished run: the plain run's plan remakes it
# (with its producer) and what is made from it, never "Nothing to be done".
DELETED = {
    "chaotic/seed7/data.npz": {"teacher": 1, "student": 4, "summary": 1},
    "chaotic/seed7/teacher.pt": {"teacher": 1, "student": 4, "summary": 1},
    "chaotic/seed7/teacher.pt.json": {"teacher": 1, "student": 4, "summary": 1},
    "chaotic/seed7/shallow_w15/loss.npz": {"student": 1, "summary": 1},
    "chaotic/seed-1/deep/student.pt.json": {"student": 1, "summary": 1},
    "chaotic/scaling_fit.json": {"scaling_fit": 1, "summary": 1},
    "figures/mean_field.tsv": {"mean_field": 1},
    "figures/error_vs_width.png": {"figure_error_vs_width": 1},
}


@pytest.mark.parametrize("name", DELETED)
def test_a_deleted_file_is_remade_by_a_plain_run(name, smoke_clone):
    (smoke_clone.results / name).unlink()
    proc = smoke_clone.snakemake("-n", cores=1)
    counts = job_counts(proc.stdout)
    assert {rule: counts.get(rule) for rule in DELETED[name]} == DELETED[name], counts


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stat = path.stat()
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # damage that keeps the mtime


def _cut_short(path: Path) -> None:
    """A truncated file, its mtime kept; a table loses the end of its last row (fewer columns)."""
    stat = path.stat()
    if path.suffix == ".tsv":
        rows = path.read_text().rstrip("\n").split("\n")
        path.write_text("\n".join([*rows[:-1], rows[-1].rsplit("\t", 2)[0]]) + "\n")
    else:
        path.write_bytes(path.read_bytes()[: stat.st_size // 2])
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


# Files with a checksum (weights against their sidecar, .npz archives) and JSON get a flipped
# byte; final outputs, which have none, are cut short: a table must have whole rows, a PNG, PDF or
# GIF its end marker, a page its closing tag.
DAMAGED = [
    ("chaotic/seed7/teacher.pt", _flip_a_byte),
    ("chaotic/seed7/data.npz", _flip_a_byte),
    ("chaotic/seed-1/deep/student.pt", _flip_a_byte),
    ("chaotic/seed-1/shallow_w5/loss.npz", _flip_a_byte),
    ("chaotic/seed7/deep/metrics.json", _flip_a_byte),
    ("summary.tsv", _cut_short),
    ("summary.html", _cut_short),
    ("figures/mean_field.tsv", _cut_short),
    ("figures/error_vs_width.png", _cut_short),
    ("figures/deep_loss.pdf", _cut_short),
]


@pytest.mark.parametrize("name, fault", DAMAGED, ids=[name for name, _ in DAMAGED])
def test_a_damaged_file_stops_a_plain_run_naming_it(name, fault, smoke_clone):
    fault(smoke_clone.results / name)
    before = _science(smoke_clone.results)
    proc = smoke_clone.snakemake(cores=1, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "1 damaged finished file(s), named above; nothing was run" in output, output
    assert f"results/{name}: " in output and "--forcerun <file>" in output
    assert _science(smoke_clone.results) == before  # nothing ran (logs/ holds the summary's marker)
