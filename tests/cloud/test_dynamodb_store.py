"""DynamoMetadataStore under moto: every protocol method, ordering, tags, conditional writes."""
from __future__ import annotations

import pickle
from typing import Any

import pytest

from runtime.stores.base import (
    ATTEMPT_CAUGHT, ATTEMPT_FAILED, ATTEMPT_RUNNING, ATTEMPT_SUCCEEDED, AttemptRecord, MetadataStore, RunRecord,
)
from sfn_compiler.contract.table_layout import attempt_sk, created_key, iso_ms, parse_iso, table_definition
from runtime.stores.dynamodb import DynamoMetadataStore, RunExistsError

T0 = 1_714_564_800.0  # 2024-05-01T12:00:00Z


def run(run_id: str, created: float, **kw: Any) -> RunRecord:
    return RunRecord("TrainFlow", run_id, created_at=created, **kw)


def test_is_a_metadata_store(meta: DynamoMetadataStore) -> None:
    assert isinstance(meta, MetadataStore)


def test_create_and_get_run_round_trip(meta: DynamoMetadataStore) -> None:
    record = RunRecord("TrainFlow", "r1", created_at=T0 + 0.25, parameters={"alpha": "0.2", "n": [1, 2]},
                       tags=["exp:1", "team"], origin_run_id="r0", resume_steps=["start"], trigger="cli",
                       code_version="abc123")
    meta.create_run(record)
    assert meta.get_run("TrainFlow", "r1") == record
    assert meta.get_run("TrainFlow", "nope") is None
    assert meta.get_run("OtherFlow", "r1") is None


def test_create_run_fills_created_at(meta: DynamoMetadataStore) -> None:
    meta.create_run(RunRecord("TrainFlow", "r1"))
    got = meta.get_run("TrainFlow", "r1")
    assert got is not None and got.created_at > T0 and got.status == "RUNNING"


def test_create_run_never_overwrites(meta: DynamoMetadataStore) -> None:
    meta.create_run(run("r1", T0, parameters={"alpha": "1"}, tags=["a"]))
    with pytest.raises(RunExistsError, match="TrainFlow/r1"):
        meta.create_run(run("r1", T0 + 5, parameters={"alpha": "2"}, tags=["b"]))
    got = meta.get_run("TrainFlow", "r1")
    assert got is not None and got.parameters == {"alpha": "1"} and got.tags == ["a"]
    assert [r.run_id for r in meta.list_runs_by_tag("TrainFlow", "b")] == []  # the loser wrote nothing


def test_list_runs_newest_first_with_random_ids(meta: DynamoMetadataStore) -> None:
    # EventBridge names executions with UUIDs: id order says nothing about time.
    ids = ["f3a9c2", "0b71de", "9e0d44", "5c5c5c", "a0a0a0"]
    times = [T0 + 30, T0 + 10, T0 + 50, T0 + 20, T0 + 40]
    for run_id, created in zip(ids, times):
        meta.create_run(run(run_id, created))
    meta.create_run(RunRecord("OtherFlow", "zzz", created_at=T0 + 100))
    assert [r.run_id for r in meta.list_runs("TrainFlow")] == ["9e0d44", "a0a0a0", "f3a9c2", "5c5c5c", "0b71de"]
    assert [r.run_id for r in meta.list_runs("OtherFlow")] == ["zzz"]
    assert meta.list_runs("NoFlow") == []
    assert meta.list_flows() == ["OtherFlow", "TrainFlow"]


def test_list_runs_by_tag(meta: DynamoMetadataStore) -> None:
    meta.create_run(run("old", T0, tags=["prod", "v1"]))
    meta.create_run(run("new", T0 + 60, tags=["prod"]))
    meta.create_run(run("dev", T0 + 30, tags=["dev"]))
    meta.create_run(RunRecord("OtherFlow", "x", created_at=T0, tags=["prod"]))
    meta.finish_run("TrainFlow", "old", "SUCCEEDED")
    found = meta.list_runs_by_tag("TrainFlow", "prod")
    assert [r.run_id for r in found] == ["new", "old"]
    assert found[1].status == "SUCCEEDED"  # the run item itself, not a stale copy
    assert [r.run_id for r in meta.list_runs_by_tag("TrainFlow", "v1")] == ["old"]
    assert meta.list_runs_by_tag("TrainFlow", "none") == []


def test_finish_run_first_terminal_status_wins(meta: DynamoMetadataStore) -> None:
    meta.create_run(run("r1", T0))
    meta.finish_run("TrainFlow", "r1", "FAILED", {"type": "UserCodeError", "message": "boom", "step": "train"})
    meta.finish_run("TrainFlow", "r1", "SUCCEEDED")  # a late writer loses
    got = meta.get_run("TrainFlow", "r1")
    assert got is not None and got.status == "FAILED" and got.finished_at is not None
    assert got.error == {"type": "UserCodeError", "message": "boom", "step": "train"}
    meta.finish_run("TrainFlow", "never-created", "SUCCEEDED")  # no-op, no half item
    assert meta.get_run("TrainFlow", "never-created") is None


def test_attempts_and_tasks(meta: DynamoMetadataStore) -> None:
    meta.create_run(run("r1", T0))
    rec = lambda step, task, attempt, t: AttemptRecord("TrainFlow", "r1", step, task, attempt, ATTEMPT_RUNNING,  # noqa: E731
                                                       T0 + t, compute="lambda")
    meta.start_attempt(rec("start", "0", 0, 1))
    meta.finish_attempt("TrainFlow", "r1", "start", "0", 0, ATTEMPT_SUCCEEDED)
    for i, task in enumerate(["3", "3.7", "31", "10"]):
        meta.start_attempt(rec("train", task, 0, 2 + i))
    meta.finish_attempt("TrainFlow", "r1", "train", "3", 0, ATTEMPT_FAILED, {"type": "ValueError", "message": "x"})
    meta.start_attempt(rec("train", "3", 1, 9))
    meta.finish_attempt("TrainFlow", "r1", "train", "3", 1, ATTEMPT_SUCCEEDED)

    attempts = meta.list_attempts("TrainFlow", "r1", "train", "3")
    assert [(a.attempt, a.status) for a in attempts] == [(0, ATTEMPT_FAILED), (1, ATTEMPT_SUCCEEDED)]
    assert attempts[0].error == {"type": "ValueError", "message": "x"} and attempts[1].error is None
    assert attempts[1].compute == "lambda" and attempts[1].finished_at is not None
    assert attempts[1].pathspec == "TrainFlow/r1/train/3"

    tasks = meta.list_tasks("TrainFlow", "r1")
    assert [(t.step, t.task_id, t.attempt) for t in tasks] == [
        ("start", "0", 0), ("train", "3.7", 0), ("train", "31", 0), ("train", "10", 0), ("train", "3", 1)]
    assert [t.task_id for t in meta.list_tasks("TrainFlow", "r1", "train")] == ["3.7", "31", "10", "3"]
    assert meta.list_tasks("TrainFlow", "r1", "nostep") == []

    run_record, all_attempts = meta.describe_run("TrainFlow", "r1")  # one Query: the run and its attempts
    assert run_record is not None and run_record.run_id == "r1" and len(all_attempts) == 6


def test_start_attempt_replaces_same_number(meta: DynamoMetadataStore) -> None:
    first = AttemptRecord("F", "r", "s", "0", 0, ATTEMPT_RUNNING, T0, compute="batch", logs="s3://x")
    meta.start_attempt(first)
    assert meta.list_attempts("F", "r", "s", "0") == [first]
    meta.start_attempt(AttemptRecord("F", "r", "s", "0", 0, ATTEMPT_RUNNING, T0 + 1))
    assert [a.started_at for a in meta.list_attempts("F", "r", "s", "0")] == [T0 + 1]


def test_finish_attempt_never_creates(meta: DynamoMetadataStore) -> None:
    meta.finish_attempt("F", "r", "s", "0", 4, ATTEMPT_CAUGHT)
    assert meta.list_attempts("F", "r", "s", "0") == []


def test_many_attempts_paginate(ddb: Any, table: str) -> None:
    store = DynamoMetadataStore(table, client=ddb)
    for i in range(40):
        store.start_attempt(AttemptRecord("F", "r", "train", str(i), 0, ATTEMPT_RUNNING, T0 + i,
                                          error={"pad": "x" * 30_000}))  # ~1 MB: two Query pages
    assert [t.task_id for t in store.list_tasks("F", "r")] == [str(i) for i in range(40)]


def test_pickles_without_client(meta: DynamoMetadataStore, table: str) -> None:
    clone = pickle.loads(pickle.dumps(meta))
    assert clone.table_name == table and clone._client is None


def test_key_shapes() -> None:
    assert iso_ms(T0 + 0.1234) == "2024-05-01T12:00:00.123Z"
    assert iso_ms(T0 + 0.9999) == "2024-05-01T12:00:01.000Z"
    assert parse_iso("2024-05-01T12:00:00.123Z") == pytest.approx(T0 + 0.123)
    assert parse_iso("2024-05-01T12:00:00Z") == T0
    assert parse_iso("2024-05-01T12:00:00.5+00:00") == T0 + 0.5
    assert parse_iso("garbage") is None
    assert created_key(T0, "abc") == "2024-05-01T12:00:00.000Z#abc"
    assert attempt_sk("train", "3.7", 2) == "ATT#train#3.7#00000002"
    definition = table_definition("t")
    assert definition["BillingMode"] == "PAY_PER_REQUEST"
    assert [k["AttributeName"] for k in definition["KeySchema"]] == ["pk", "sk"]
    assert definition["GlobalSecondaryIndexes"][0]["IndexName"] == "newest_first"
