"""DynamoMetadataStore under moto: what is DynamoDB's own (tags, describe_run, paging, keys).

The protocol itself (run once, first terminal status, attempts, newest first) is the
shared suite in tests/contract/test_metadata_store.py, run against SQLite and DynamoDB.
"""
from __future__ import annotations

import pickle
from typing import Any

import pytest

from runtime.stores.base import ATTEMPT_RUNNING, AttemptRecord, RunRecord
from runtime.stores.dynamodb import DynamoMetadataStore, RunExistsError
from sfn_compiler.contract.table_layout import attempt_sk, created_key, iso_ms, parse_iso, table_definition

T0 = 1_714_564_800.0  # 2024-05-01T12:00:00Z


def run(run_id: str, created: float, **kw: Any) -> RunRecord:
    return RunRecord("TrainFlow", run_id, created_at=created, **kw)


def test_a_refused_run_writes_no_tag_items(meta: DynamoMetadataStore) -> None:
    meta.create_run(run("r1", T0, tags=["a"]))
    with pytest.raises(RunExistsError):
        meta.create_run(run("r1", T0 + 5, tags=["b"]))
    assert [r.run_id for r in meta.list_runs_by_tag("TrainFlow", "b")] == []  # one transaction: all or nothing


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


def test_describe_run_is_the_run_and_every_attempt(meta: DynamoMetadataStore) -> None:
    meta.create_run(run("r1", T0, tags=["t"]))
    for attempt in (0, 1):
        meta.start_attempt(AttemptRecord("TrainFlow", "r1", "train", "3", attempt, ATTEMPT_RUNNING, T0 + attempt))
    meta.start_attempt(AttemptRecord("TrainFlow", "r1", "end", "0", 0, ATTEMPT_RUNNING, T0 + 5))
    record, attempts = meta.describe_run("TrainFlow", "r1")  # one Query: tag items are skipped
    assert record is not None and record.run_id == "r1"
    assert sorted((a.step, a.attempt) for a in attempts) == [("end", 0), ("train", 0), ("train", 1)]
    assert meta.describe_run("TrainFlow", "nope") == (None, [])


def test_many_attempts_paginate(ddb: Any, table: str) -> None:
    store = DynamoMetadataStore(table, client=ddb)
    for i in range(40):
        store.start_attempt(AttemptRecord("F", "r", "train", str(i), 0, ATTEMPT_RUNNING, T0 + i,
                                          error={"pad": "x" * 30_000}))  # ~1 MB: two Query pages
    assert [t.task_id for t in store.list_tasks("F", "r")] == [str(i) for i in range(40)]


def test_pickles_without_client(meta: DynamoMetadataStore, table: str) -> None:
    assert meta.__getstate__() == {"table_name": table}  # what pickling carries: no client
    clone = pickle.loads(pickle.dumps(meta))
    assert clone.table_name == table and clone.__getstate__() == meta.__getstate__()


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
