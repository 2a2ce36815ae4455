"""Local stores: atomic blob writes, content addressing, SQLite across processes, root lookup."""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest

from runtime.stores import (
    ArtifactStore, AttemptRecord, BlobStore, LocalBlobStore, RunRecord, SqliteMetadataStore, resolve_local_root,
)
from runtime.stores.blobs import LOCAL_DIR_NAME


def test_local_blob_store_satisfies_the_protocol(tmp_path):
    # The metadata stores' contract is tests/contract/test_metadata_store.py (SQLite and DynamoDB).
    assert isinstance(LocalBlobStore(str(tmp_path)), BlobStore)


def test_blob_put_get_list(tmp_path):
    blobs = LocalBlobStore(str(tmp_path))
    blobs.put("F/r/s/0/index.json", b"{}")
    blobs.put("F/r/s/1/index.json", b"[]")
    blobs.put("G/x", b"1")
    assert blobs.get("F/r/s/1/index.json") == b"[]"
    assert blobs.exists("G/x") and not blobs.exists("G/y")
    assert blobs.list("F/r/") == ["F/r/s/0/index.json", "F/r/s/1/index.json"]
    assert blobs.list("F/r/s/0") == ["F/r/s/0/index.json"]
    with pytest.raises(KeyError):
        blobs.get("nope")
    with pytest.raises(ValueError):
        blobs.put("../escape", b"")


_WRITER = """
import sys
from runtime.stores import LocalBlobStore
blobs = LocalBlobStore(sys.argv[1])
big = 40 * 1024 * 1024
blobs.put("k", b"a" * big)
print("ready", flush=True)
i = 0
while True:
    i += 1
    blobs.put("k", (b"b" if i % 2 else b"a") * big)
"""


def test_killed_writer_never_leaves_half_a_blob(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(0.15)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    blobs = LocalBlobStore(str(tmp_path))
    data = blobs.get("k")
    assert len(data) == 40 * 1024 * 1024 and data.count(data[:1]) == len(data)
    assert blobs.list("") == ["k"]  # a temporary file the kill left behind is never listed


def test_same_value_is_one_blob_and_not_rewritten(tmp_path):
    blobs = LocalBlobStore(str(tmp_path))
    store = ArtifactStore(blobs)
    first = store.save("F", {"a": list(range(500)), "b": list(range(500))})
    assert first["a"] == first["b"]
    key = store.data_key("F", first["a"])
    mtime = os.stat(blobs.path(key)).st_mtime_ns
    fresh = ArtifactStore(blobs)  # another process: no in-memory knowledge of what exists
    assert fresh.save("F", {"c": list(range(500))}) == {"c": first["a"]}
    assert blobs.list("F/data/") == [key]
    assert os.stat(blobs.path(key)).st_mtime_ns == mtime
    assert fresh.load("F", first["a"]) == list(range(500))


def test_index_log_and_json_round_trip(tmp_path):
    store = ArtifactStore(LocalBlobStore(str(tmp_path)))
    assert store.get_index("F", "r", "s", "0") is None
    store.put_index("F", "r", "s", "0", {"x": "ab" * 32}, {"foreach_n": 3})
    index = ArtifactStore(LocalBlobStore(str(tmp_path))).get_index("F", "r", "s", "0")
    assert index.artifacts == {"x": "ab" * 32} and index.meta == {"foreach_n": 3}
    store.put_log("F", "r", "s", "0", 1, "stdout", b"hi\n")
    assert store.get_log("F", "r", "s", "0", 1, "stdout") == b"hi\n"
    assert store.get_log("F", "r", "s", "0", 0, "stderr") == b""
    store.put_json("F/r/s/0/foreach.json", ["0", "1"])
    assert store.get_json("F/r/s/0/foreach.json") == ["0", "1"]


def _hammer(root: str, worker: int, count: int) -> None:
    meta = SqliteMetadataStore(root)
    for i in range(count):
        meta.start_attempt(AttemptRecord("F", "r", "body", f"{worker}.{i}", 0))
        meta.finish_attempt("F", "r", "body", f"{worker}.{i}", 0, "SUCCEEDED")


def test_sqlite_from_several_processes_at_once(tmp_path):
    root = str(tmp_path)
    SqliteMetadataStore(root).create_run(RunRecord("F", "r"))
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_hammer, args=(root, w, 150)) for w in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(30)
        assert proc.exitcode == 0
    tasks = SqliteMetadataStore(root).list_tasks("F", "r", "body")
    assert len(tasks) == 600 and {t.status for t in tasks} == {"SUCCEEDED"}


def test_resolve_local_root_one_rule_for_writers_and_readers(tmp_path, monkeypatch):
    monkeypatch.delenv("SFNFLOW_ROOT", raising=False)
    project = tmp_path / "proj"
    (project / "sub" / "deeper").mkdir(parents=True)
    # The nearest .sfnflow/ from the current folder upward, like git; else one in that folder.
    assert resolve_local_root(start=str(project / "sub" / "deeper")) == str(project / "sub" / "deeper" / LOCAL_DIR_NAME)
    (project / LOCAL_DIR_NAME).mkdir()
    assert resolve_local_root(start=str(project / "sub" / "deeper")) == str(project / LOCAL_DIR_NAME)
    monkeypatch.chdir(project / "sub")
    assert resolve_local_root() == str(project / LOCAL_DIR_NAME)
    assert resolve_local_root(root=str(tmp_path / "x")) == str(tmp_path / "x")
    monkeypatch.setenv("SFNFLOW_ROOT", str(tmp_path / "env"))
    assert resolve_local_root() == str(tmp_path / "env")
    assert resolve_local_root(root=str(tmp_path / "arg")) == str(tmp_path / "arg")


def test_task_counts_tally_each_tasks_latest_attempt_as_list_tasks_does(tmp_path):
    from runtime.stores.base import ATTEMPT_CAUGHT, ATTEMPT_FAILED, ATTEMPT_SUCCEEDED, RunRecord

    meta = SqliteMetadataStore(str(tmp_path))
    meta.create_run(RunRecord(flow="F", run_id="r", status="RUNNING", created_at=time.time()))
    meta.create_run(RunRecord(flow="F", run_id="other", status="RUNNING", created_at=time.time()))
    attempts = [("a", "0", 0, ATTEMPT_FAILED), ("a", "0", 1, ATTEMPT_FAILED), ("a", "0", 2, ATTEMPT_SUCCEEDED),
                ("b", "0", 0, ATTEMPT_SUCCEEDED), ("b", "1", 0, ATTEMPT_FAILED), ("c", "0", 0, ATTEMPT_FAILED),
                ("c", "0", 1, ATTEMPT_CAUGHT)]
    for step, task, attempt, status in attempts:
        meta.start_attempt(AttemptRecord("F", "r", step, task, attempt))
        meta.finish_attempt("F", "r", step, task, attempt, status)
    meta.start_attempt(AttemptRecord("F", "other", "a", "0", 0))  # another run: not counted
    counts, retries = meta.task_counts("F", "r")
    assert counts == {ATTEMPT_SUCCEEDED: 2, ATTEMPT_FAILED: 1, ATTEMPT_CAUGHT: 1}
    assert retries == 2  # a's two retries; the caught task's attempt number is not a retry
    tasks = meta.list_tasks("F", "r")
    assert sum(counts.values()) == len(tasks)
    assert retries == sum(t.attempt for t in tasks if t.status != ATTEMPT_CAUGHT)
