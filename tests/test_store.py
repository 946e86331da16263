"""The store of finished students: a rerun batch trains only the students it lacks.

Unit tests of ``depthwidth.jobs.store`` (keys, damaged entries, concurrent writers, list and
prune), then the smoke run extended by a seed: only the new seed's students are trained, the
others copied back byte for byte; and ``--forcerun`` trains past the store.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml
from conftest import files_under

from depthwidth.experiment import paths
from depthwidth.jobs import store

FIELDS = {"student": "deep", "member": {"regime": "chaotic", "seed": -1}, "dtype": "float32", "cpu": "x"}


def student_files(folder: Path, tag: str) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for kind, name in store.ENTRY_FILES.items():
        (folder / name).write_text(f"{tag} {name}\n")
        out[kind] = str(folder / name)
    return out


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_field_changes_the_key():
    key = store.student_key(FIELDS)
    assert key == store.student_key(dict(reversed(FIELDS.items())))  # order does not matter
    for field, other in [("dtype", "float64"), ("cpu", "y"), ("member", {"regime": "chaotic", "seed": 7})]:
        assert store.student_key({**FIELDS, field: other}) != key, field


def test_a_kept_student_is_fetched_and_a_damaged_entry_is_not(in_tmp):
    key = store.student_key(FIELDS)
    assert not store.fetch(key, {k: f"out/{k}" for k in store.ENTRY_FILES})
    store.keep(key, student_files(in_tmp / "trained", "a"), FIELDS)
    got = {k: str(in_tmp / "got" / n) for k, n in store.ENTRY_FILES.items()}
    assert store.fetch(key, got)
    assert Path(got["metrics"]).read_text() == "a metrics.json\n"
    # damage one file of the entry: it counts as absent (the job trains), nothing is copied
    (Path(paths.store_entry(key)) / "loss.npz").write_text("garbage")
    Path(got["loss"]).unlink()
    assert not store.fetch(key, got)
    assert not Path(got["loss"]).exists()


def test_a_second_writer_replaces_the_entry_whole(in_tmp):
    key = store.student_key(FIELDS)
    store.keep(key, student_files(in_tmp / "one", "one"), FIELDS)
    store.keep(key, student_files(in_tmp / "two", "two"), FIELDS)
    entry = Path(paths.store_entry(key))
    assert {p.name for p in entry.iterdir()} == {*store.ENTRY_FILES.values(), "entry.json"}
    assert {(entry / n).read_text().split()[0] for n in store.ENTRY_FILES.values()} == {"two"}
    assert [p.name for p in entry.parent.iterdir()] == [key]  # no temporary or old folder left


def test_list_and_prune_keep_what_a_result_still_uses(in_tmp, capsys):
    used, unused = store.student_key(FIELDS), store.student_key({**FIELDS, "cpu": "y"})
    store.keep(used, student_files(in_tmp / "results" / "a", "a"), FIELDS)
    store.keep(unused, student_files(in_tmp / "results" / "b", "b"), FIELDS)
    (in_tmp / "results" / "b" / "student.pt").write_text("retrained since\n")
    assert store.main(["list"]) == 0
    assert "2 stored student(s), 1 not used by any result" in capsys.readouterr().out
    assert store.main(["prune"]) == 0
    assert [e.name for e, _ in store.entries()] == [used]
    assert store.main(["tidy"]) == 2


def trained(run) -> tuple[int, int]:
    """Students trained and students copied from the store by the training jobs of ``run``'s last run."""
    logs = [p.read_text() for p in (run.results / "logs").rglob("*.log")]
    n_trained = sum(int(n) for text in logs for n in re.findall(r"INFO \S+: (\d+) student\(s\), \d+ steps each", text))
    copied = sum(int(n) for text in logs for n in re.findall(r"(\d+) of \d+ student\(s\) copied from the store", text))
    return n_trained, copied


def test_adding_a_seed_trains_only_that_seed(smoke_clone):
    config = smoke_clone.config()
    students = sum(len(s["shallow_widths"]) + s["deep_student"] for s in config["regimes"].values())
    before = files_under(smoke_clone.results)
    for log in (smoke_clone.results / "logs").rglob("*.log"):
        log.unlink()  # count this run's jobs only
    smoke_clone.configfile.write_text(yaml.safe_dump({**config, "seeds": [*config["seeds"], 3]}))
    smoke_clone.snakemake()
    assert trained(smoke_clone) == (students, students * len(config["seeds"]))
    after = files_under(smoke_clone.results)
    kept = [f for f in before if re.search(r"/seed(-1|7)/(shallow_w\d+|deep)/", f)]
    assert kept and all(after[f] == before[f] for f in kept)  # the old seeds' students, byte for byte
    entries = list((smoke_clone.results / "store").rglob("entry.json"))
    assert len(entries) == students * (len(config["seeds"]) + 1)
    assert all(json.loads(e.read_text())["fields"]["cpu"] == store.cpu_kind() for e in entries)


def test_forcerun_trains_past_the_store(smoke_clone):
    target = paths.student_file("metrics.json", "quasilinear", -1, paths.shallow_student(10))
    for log in (smoke_clone.results / "logs").rglob("*.log"):
        log.unlink()
    smoke_clone.snakemake("--forcerun", target)
    assert trained(smoke_clone) == (len(smoke_clone.config()["seeds"]), 0)
    assert os.environ.get(store.ENV) is None  # the workflow sets it for its jobs only
