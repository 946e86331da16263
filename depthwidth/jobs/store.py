"""The store of finished students: a trained student kept under a key of everything that made it.

Snakemake deletes a job's declared outputs before it reruns the job, and a training job trains a
batch (a student for every seed of a regime): adding a seed reruns the batch. The store keeps
every student a job trained, so the rerun copies the students it already has back into place and
trains only the new ones (the engine gives each student the numbers it gets alone,
``tests/test_engine.py``).

- **Where**: ``results/store/students/<key[:2]>/<key>/`` (``paths.store_entry``), the four files of
  a student (``ENTRY_FILES``) and ``entry.json`` (the key's fields, each file's SHA-256, and the
  result folders it was written for).
- **Key**: a BLAKE2b hash of the student's name, its plan member (regime, seed, sigma_w, teacher
  shape, init, the students drawn before it from the tutorial's stream, restart), sizes, schedule,
  seeding, data sizes, dtype, device, nonlinearity, engine and compile setting, the SHA-256 of its
  teacher's ``data.npz``, of the job's script and of every package module it imports (its code
  inputs), and the CPU kind (model and instruction-set flags): float32 results differ in their last
  digits between CPU kinds (the native loop is built for the machine), so entries are reused only
  on the kind that made them, for either dtype.
- **Forced reruns**: with ``DEPTHWIDTH_STORE=refresh`` in the environment (set by the workflow for
  any ``--forcerun``/``-R`` or ``--forceall``) a job trains every student and replaces its entries.
- **Concurrency**: an entry is written into a folder of its own and renamed into place, so two
  writers (two runs, Slurm jobs) never leave a half-written entry; a reader checks every file's
  SHA-256 and treats a damaged or partial entry as absent (and trains).
- **Clean-up**: ``python -m depthwidth.jobs.store list`` shows the entries and whether a result uses
  them (a result folder it was written for still holds the same ``student.pt``); ``prune`` removes
  those nothing uses. Deleting ``results/store`` only costs retraining.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import shutil
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from depthwidth.experiment import paths
from depthwidth.jobs.artifacts import atomic_path, file_sha256

ENTRY_FILES = {"weights": "student.pt", "sidecar": "student.pt.json", "metrics": "metrics.json", "loss": "loss.npz"}
ENV = "DEPTHWIDTH_STORE"


@functools.cache
def cpu_kind() -> str:
    """The CPU's model name and instruction-set flags (what the native loop is built for)."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())  # the first processor's
    except OSError:
        pass
    model = fields.get("model name") or platform.processor()
    flags = hashlib.sha256(" ".join(sorted(fields.get("flags", "").split())).encode()).hexdigest()[:16]
    return f"{platform.machine()} {model} {flags if 'flags' in fields else ''}".strip()


def code_digest(files: Iterable[str | os.PathLike]) -> str:
    """SHA-256 over the contents of ``files`` (their names relative to nothing: a moved clone keeps it)."""
    h = hashlib.sha256()
    for data in sorted(Path(f).read_bytes() for f in files):
        h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


def student_key(fields: Mapping[str, Any]) -> str:
    """The key of a student: a hash of ``fields`` (everything that determines it) as canonical JSON."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def refresh() -> bool:
    """Whether this job must train past the store (a forced rerun)."""
    return os.environ.get(ENV, "") == "refresh"


def refresh_for_jobs() -> None:
    """Make the jobs this process starts from now on train past the store (and replace its entries)."""
    os.environ[ENV] = "refresh"


def _copy(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` atomically (``artifacts.atomic_path``)."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def _entry_files_ok(entry: Path) -> bool:
    try:
        record = json.loads((entry / "entry.json").read_text())
        return all(file_sha256(entry / name) == record["sha256"][name] for name in ENTRY_FILES.values())
    except (OSError, ValueError, KeyError, TypeError):
        return False


def fetch(key: str, outputs: Mapping[str, str]) -> bool:
    """Copy the stored student ``key`` to ``outputs`` (``ENTRY_FILES`` keys to paths); False if not stored.

    A damaged or half-removed entry counts as absent: the caller trains the student.
    """
    entry = Path(paths.store_entry(key))
    if not entry.is_dir() or not _entry_files_ok(entry):
        return False
    for kind, name in ENTRY_FILES.items():
        _copy(entry / name, Path(outputs[kind]))
    return True


def keep(key: str, outputs: Mapping[str, str], fields: Mapping[str, Any]) -> None:
    """Store the finished student at ``outputs`` under ``key`` (replacing an entry of the same key)."""
    entry = Path(paths.store_entry(key))
    tmp = entry.with_name(f"{entry.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for kind, name in ENTRY_FILES.items():
        shutil.copyfile(outputs[kind], tmp / name)
    record = {
        "key": key,
        "fields": fields,
        "sha256": {name: file_sha256(tmp / name) for name in ENTRY_FILES.values()},
        "written_for": [str(Path(outputs["weights"]).parent)],
    }
    (tmp / "entry.json").write_text(json.dumps(record, indent=1, sort_keys=True, default=str) + "\n")
    old = entry.with_name(f"{entry.name}.old{os.getpid()}")
    if entry.exists():
        os.rename(entry, old)
    try:
        os.rename(tmp, entry)
    except OSError:  # another writer put the same student in place first: theirs is as good
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)


def entries(root: str | os.PathLike | None = None) -> list[tuple[Path, bool]]:
    """Every entry of the store and whether a result uses it (a folder it was written for holds its weights)."""
    out = []
    for entry in sorted(p for p in Path(root or paths.store_root()).glob("*/*") if p.is_dir() and "." not in p.name):
        try:
            record = json.loads((entry / "entry.json").read_text())
            digest = record["sha256"][ENTRY_FILES["weights"]]
            used = any(
                (w := Path(folder, ENTRY_FILES["weights"])).exists() and file_sha256(w) == digest
                for folder in record["written_for"]
            )
        except (OSError, ValueError, KeyError, TypeError):
            used = False
        out.append((entry, used))
    return out


def main(argv: list[str]) -> int:
    if argv not in (["list"], ["prune"]):
        print("usage: python -m depthwidth.jobs.store list|prune  (from the workflow's folder)", file=sys.stderr)
        return 2
    found = entries()
    for entry, used in found:
        if argv == ["list"]:
            print(f"{'used  ' if used else 'unused'} {entry}")
        elif not used:
            shutil.rmtree(entry)
            print(f"removed {entry}")
    unused = sum(not used for _, used in found)
    print(f"{len(found)} stored student(s), {unused} not used by any result{' (removed)' if argv == ['prune'] else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
