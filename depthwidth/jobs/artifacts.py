"""Reading and writing the workflow's files: atomically, and with errors that name the file.

Every writer goes through :func:`atomic_path`, which hands out a temporary name in the
destination's folder and renames it over the destination only once the write finished, so a
killed job never leaves a file that looks complete. Writers are byte-for-byte reproducible (no
timestamps or temporary names inside the files), so two runs of the same config can be compared
with ``cmp``. Every reader checks what it loaded (keys, shapes, dtypes, finiteness) and raises
:class:`ArtifactError` naming the file and the problem, instead of a traceback from numpy or torch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

DATASET_KEYS = ("X_train", "y_train", "X_test", "y_test")
# Zip members get this fixed time instead of "now", so identical arrays give identical files.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


_UMASK = os.umask(0o022)
os.umask(_UMASK)


class ArtifactError(ValueError):
    """A file the workflow made or needs is missing, truncated or not what it should be."""


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    The temporary name keeps the destination's suffix, for writers that pick a format from it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        # mkstemp makes the file owner-only; results get the mode any new file gets (umask)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def write_json(path: str | os.PathLike, data: Mapping[str, Any]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_jsonable(data), indent=2, sort_keys=True) + "\n")


def read_json(path: str | os.PathLike, required: Sequence[str] = ()) -> dict[str, Any]:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ArtifactError(f"{path}: file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ArtifactError(f"{path}: not valid JSON, truncated or corrupt ({err})") from None
    except OSError as err:
        raise ArtifactError(f"{path}: cannot be read ({err.strerror or err})") from None
    if not isinstance(data, dict):
        raise ArtifactError(f"{path}: expected a JSON object, got {type(data).__name__}")
    missing = [k for k in required if k not in data]
    if missing:
        raise ArtifactError(f"{path}: missing keys {missing}")
    return data


def write_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """Write arrays as a compressed ``.npz`` that ``np.load`` reads, with no timestamps inside.

    ``np.savez_compressed`` stamps each member with the current time, so the same arrays written
    twice differ; this writes the same format with a fixed member time.
    """
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            for name, value in arrays.items():
                info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                with zf.open(info, "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)


def read_npz(path: str | os.PathLike, required: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Load every array of an ``.npz`` archive (no pickles) and check ``required`` names are there."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(6)
    except FileNotFoundError:
        raise ArtifactError(f"{path}: file not found") from None
    except OSError as err:
        raise ArtifactError(f"{path}: cannot be read ({err.strerror or err})") from None
    if not head:
        raise ArtifactError(f"{path}: empty file, expected an .npz archive")
    if head == b"\x93NUMPY":
        raise ArtifactError(f"{path}: a single .npy array, not an .npz archive of named arrays")
    if not head.startswith(b"PK"):
        raise ArtifactError(f"{path}: not an .npz archive (no zip header), corrupt or of another format")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    # A cut-short archive fails to open, a damaged member while it is decompressed or its header
    # parsed; zipfile, zlib, numpy and tokenize each raise their own types.
    except Exception as err:
        raise ArtifactError(f"{path}: not a readable .npz archive, truncated or corrupt ({err})") from None
    missing = [k for k in required if k not in arrays]
    if missing:
        raise ArtifactError(f"{path}: missing arrays {missing} (has {sorted(arrays)})")
    return arrays


def read_dataset(path: str | os.PathLike, n_in: int | None = None) -> dict[str, np.ndarray]:
    """Load a dataset ``.npz`` and check that inputs are (N, n_in), targets (N, 1), all finite floats.

    The test split needs two points at least: errors are normalised by its unbiased variance.
    """
    data = read_npz(path, DATASET_KEYS)
    for key in DATASET_KEYS:
        if not np.issubdtype(data[key].dtype, np.floating):
            raise ArtifactError(f"{path}: {key} has dtype {data[key].dtype}, expected floating point")
    for split, least in (("train", 1), ("test", 2)):
        X, y = data[f"X_{split}"], data[f"y_{split}"]
        if X.ndim == 2 and X.shape[0] < least:
            raise ArtifactError(f"{path}: X_{split} has {X.shape[0]} rows, expected at least {least}")
        if X.ndim != 2 or (n_in is not None and X.shape[1] != n_in):
            raise ArtifactError(f"{path}: X_{split} has shape {X.shape}, expected (N, {n_in or 'n_in'})")
        if y.ndim != 2 or y.shape != (X.shape[0], 1):
            raise ArtifactError(f"{path}: y_{split} has shape {y.shape}, expected ({X.shape[0]}, 1)")
        for name, arr in ((f"X_{split}", X), (f"y_{split}", y)):
            if not np.isfinite(arr).all():
                raise ArtifactError(f"{path}: {name} holds non-finite values")
    return data


def write_weights(path: str | os.PathLike, weights: Sequence[torch.Tensor], meta: Mapping[str, Any]) -> None:
    """Save weights as a state dict ``{"layers.0.weight": ...}`` plus a JSON sidecar ``<path>.json``."""
    import torch  # only the weight files need it; jobs that read tables alone skip its 1.5 s import

    state = {f"layers.{i}.weight": w.detach().cpu().clone() for i, w in enumerate(weights)}
    with atomic_path(path) as tmp:
        # Through a file object torch names the archive "archive"; given a path it would use
        # the (random) temporary name, and identical weights would give different files.
        with open(tmp, "wb") as fh:
            torch.save(state, fh)
        digest = file_sha256(tmp)
    write_json(sidecar_path(path), {**meta, "shapes": [list(w.shape) for w in weights], "sha256": digest})


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_weights(path: str | os.PathLike) -> None:
    """Check a weights file against the SHA-256 its sidecar records (files written before sidecars
    recorded one are checked for being readable weights instead)."""
    path = Path(path)
    side = read_json(sidecar_path(path))
    if "sha256" not in side:
        read_weights(path)
        return
    try:
        digest = file_sha256(path)
    except FileNotFoundError:
        raise ArtifactError(f"{path}: file not found") from None
    except OSError as err:
        raise ArtifactError(f"{path}: cannot be read ({err.strerror or err})") from None
    if digest != side["sha256"]:
        raise ArtifactError(
            f"{path}: its SHA-256 {digest[:16]}... is not the {side['sha256'][:16]}... its sidecar "
            f"{sidecar_path(path).name} recorded when it was written: damaged or replaced; remake it with "
            f"snakemake --cores all --forcerun {path}"
        )


def sidecar_path(path: str | os.PathLike) -> Path:
    return Path(f"{path}.json")


def read_weights(path: str | os.PathLike, sizes: Sequence[int] | None = None) -> list[torch.Tensor]:
    """Load a weights file; with ``sizes`` check the layer shapes ``(sizes[i+1], sizes[i])``."""
    import torch

    path = Path(path)
    # torch does not check the zip's CRCs, so a flipped bit in a tensor would load silently
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            # torch's reader skips a member flagged as a DOS folder (attribute bit 0x10) and loads
            # something else in its place; zipfile ignores the flag
            bad = bad or next((i.filename for i in zf.infolist() if i.external_attr & 0x10), None)
    except FileNotFoundError:
        raise ArtifactError(f"{path}: file not found") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error, NotImplementedError) as err:
        raise ArtifactError(f"{path}: not a readable weights file, truncated or corrupt ({err})") from None
    if bad is not None:
        raise ArtifactError(f"{path}: corrupt, {bad} inside it fails its checksum or attributes")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises a zoo of types for a truncated zip or pickle
        raise ArtifactError(f"{path}: not a readable weights file, truncated or corrupt ({err})") from None
    if not isinstance(state, dict) or not state:
        raise ArtifactError(f"{path}: expected a non-empty state dict")
    keys = [f"layers.{i}.weight" for i in range(len(state))]
    if sorted(state) != sorted(keys):
        raise ArtifactError(f"{path}: unexpected keys {sorted(state)}, expected {keys}")
    weights = [state[k] for k in keys]
    for i, w in enumerate(weights):
        if not isinstance(w, torch.Tensor) or w.ndim != 2 or not w.is_floating_point():
            what = f"a {w.ndim}-d {w.dtype} tensor" if isinstance(w, torch.Tensor) else type(w).__name__
            raise ArtifactError(f"{path}: layer {i} is {what}, expected a 2-d floating-point weight matrix")
    if sizes is not None:
        expected = [(sizes[i + 1], sizes[i]) for i in range(len(sizes) - 1)]
        got = [tuple(w.shape) for w in weights]
        if got != expected:
            raise ArtifactError(f"{path}: layer shapes {got}, expected {expected}")
    for i, w in enumerate(weights):
        if not torch.isfinite(w).all():
            raise ArtifactError(f"{path}: layer {i} holds non-finite values")
    return weights


def missing_upstream(output: str | os.PathLike, inputs: Sequence[str | os.PathLike]) -> list[str]:
    """The ``inputs`` that are gone while ``output``, made from them, is still there ([] if it is not)."""
    if not Path(output).exists():
        return []
    return [str(p) for p in inputs if not Path(p).exists()]


def write_marker(path: str | os.PathLike, why: str, files: Sequence[str]) -> None:
    """Rewrite a marker file naming ``files``, with new content every time: Snakemake 9 ignores an
    input with a newer mtime whose checksum it recorded."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{time.time_ns()}: {why}\n" + "\n".join(files) + "\n")


def write_tsv(path: str | os.PathLike, frame) -> None:
    """Write a pandas DataFrame as TSV with full float precision."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, sep="\t", index=False, float_format="%.10g")


# What a whole file of each kind ends with (a truncated one does not).
_ENDS = {".png": (b"\x89PNG", b"IEND\xaeB`\x82"), ".gif": (b"GIF8", b";"), ".pdf": (b"%PDF", b"%%EOF")}


def damage(path: str | os.PathLike) -> str | None:
    """Why the finished file ``path`` cannot be used, or None: a ``.pt`` against its sidecar's
    SHA-256, an ``.npz`` against its zip checksums, a ``.json`` for being a JSON object, a table
    (``.tsv``) for a header and a row, a PNG, GIF or PDF for being whole, an ``.html`` page for its
    end. Reads the bytes but needs no torch, so the main process can check every stored file before
    a run."""
    path = Path(path)
    try:
        if path.suffix == ".pt" and sidecar_path(path).exists():
            verify_weights(path)
        elif path.suffix == ".npz":
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
            if bad is not None:
                return f"{bad} inside it fails its checksum"
        elif path.suffix == ".json":
            read_json(path)
        elif path.suffix == ".tsv":
            lines = path.read_text().splitlines()
            if len(lines) < 2 or any(line.count("\t") != lines[0].count("\t") for line in lines):
                return "not a table: no rows, or rows of another length than its header"
        elif path.suffix in _ENDS:
            head, tail = _ENDS[path.suffix]
            data = path.read_bytes()
            if not data.startswith(head) or not data.rstrip().endswith(tail):
                return f"not a whole {path.suffix[1:].upper()} file (truncated or overwritten)"
        elif path.suffix == ".html" and "</html>" not in path.read_text(errors="replace")[-200:].lower():
            return "not a whole HTML page (truncated or overwritten)"
    except ArtifactError as err:
        return str(err).removeprefix(f"{path}: ")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error, NotImplementedError) as err:
        return f"not readable, truncated or corrupt ({err})"
    return None


def damaged(paths: Sequence[str | os.PathLike]) -> list[str]:
    """``path: why`` for each existing file of ``paths`` that :func:`damage` finds unusable."""
    found = []
    for path in paths:
        if Path(path).exists():
            why = damage(path)
            if why is not None:
                found.append(f"{path}: {why}")
    return found
