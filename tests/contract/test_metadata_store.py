"""The metadata-store contract, one suite run against both stores: SQLite (local runs) and
DynamoDB (the cloud, under moto).

Refuse to create a run twice; the first terminal status wins; attempts keyed by number;
runs listed newest first whatever their ids. (DynamoDB's extras beyond the protocol, runs
by tag and describe_run, are tested in tests/cloud/test_dynamodb_store.py.)
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest

from runtime.stores.base import (
    ATTEMPT_CAUGHT, ATTEMPT_FAILED, ATTEMPT_RUNNING, ATTEMPT_SUCCEEDED, AttemptRecord, MetadataStore, RunExistsError,
    RunRecord,
)

T0 = 1_714_564_800.0  # 2024-05-01T12:00:00Z
REGION = "us-east-1"


@pytest.fixture(params=["sqlite", "dynamodb"])
def meta(request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    if request.param == "sqlite":
        from runtime.stores.sqlite_metadata import SqliteMetadataStore

        yield SqliteMetadataStore(str(tmp_path))
        return
    import boto3
    from moto import mock_aws

    from runtime.stores.dynamodb import DynamoMetadataStore
    from sfn_compiler.contract.table_layout import table_definition

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**table_definition("metadata"))
        yield DynamoMetadataStore("metadata", client=client)


def run(run_id: str, created: float, **kw: Any) -> RunRecord:
    return RunRecord("TrainFlow", run_id, created_at=created, **kw)


def test_is_a_metadata_store(meta: Any) -> None:
    assert isinstance(meta, MetadataStore)


def test_create_and_get_run_round_trip(meta: Any) -> None:
    record = RunRecord("TrainFlow", "r1", created_at=T0 + 0.25, parameters={"alpha": "0.2", "n": [1, 2]},
                       tags=["exp:1", "team"], origin_run_id="r0", resume_steps=["start"], trigger="cli",
                       code_version="abc123", flow_file="/src/train.py")
    meta.create_run(record)
    assert meta.get_run("TrainFlow", "r1") == record
    assert meta.get_run("TrainFlow", "nope") is None
    assert meta.get_run("OtherFlow", "r1") is None


def test_create_run_fills_created_at(meta: Any) -> None:
    meta.create_run(RunRecord("TrainFlow", "r1"))
    got = meta.get_run("TrainFlow", "r1")
    assert got is not None and got.created_at > T0 and got.status == "RUNNING"


def test_create_run_refuses_a_run_twice_and_keeps_the_first(meta: Any) -> None:
    meta.create_run(run("r1", T0, parameters={"alpha": "1"}, tags=["a"]))
    with pytest.raises(RunExistsError, match="TrainFlow/r1"):
        meta.create_run(run("r1", T0 + 5, parameters={"alpha": "2"}, tags=["b"]))
    got = meta.get_run("TrainFlow", "r1")
    assert got is not None and got.parameters == {"alpha": "1"} and got.tags == ["a"] and got.created_at == T0


def test_runs_are_listed_newest_first_whatever_their_ids(meta: Any) -> None:
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


def test_the_first_terminal_status_wins(meta: Any) -> None:
    meta.create_run(run("r1", T0))
    meta.finish_run("TrainFlow", "r1", "FAILED", {"type": "UserCodeError", "message": "boom", "step": "train"})
    meta.finish_run("TrainFlow", "r1", "SUCCEEDED")  # a late writer loses
    got = meta.get_run("TrainFlow", "r1")
    assert got is not None and got.status == "FAILED" and got.finished_at is not None
    assert got.error == {"type": "UserCodeError", "message": "boom", "step": "train"}
    meta.finish_run("TrainFlow", "never-created", "SUCCEEDED")  # no-op, no half record
    assert meta.get_run("TrainFlow", "never-created") is None


def test_attempts_and_tasks(meta: Any) -> None:
    meta.create_run(run("r1", T0))

    def rec(step: str, task: str, attempt: int, t: float) -> AttemptRecord:
        return AttemptRecord("TrainFlow", "r1", step, task, attempt, ATTEMPT_RUNNING, T0 + t, compute="lambda")

    meta.start_attempt(rec("start", "0", 0, 1))
    meta.finish_attempt("TrainFlow", "r1", "start", "0", 0, ATTEMPT_SUCCEEDED)
    for i, task in enumerate(["3", "3.7", "31", "10"]):
        meta.start_attempt(rec("train", task, 0, 2 + i))
    meta.finish_attempt("TrainFlow", "r1", "train", "3", 0, ATTEMPT_FAILED, {"type": "ValueError", "message": "x"})
    meta.start_attempt(rec("train", "3", 1, 9))
    meta.finish_attempt("TrainFlow", "r1", "train", "3", 1, ATTEMPT_SUCCEEDED)

    attempts = meta.list_attempts("TrainFlow", "r1", "train", "3")  # task "3" only, not "3.7" or "31"
    assert [(a.attempt, a.status) for a in attempts] == [(0, ATTEMPT_FAILED), (1, ATTEMPT_SUCCEEDED)]
    assert attempts[0].error == {"type": "ValueError", "message": "x"} and attempts[1].error is None
    assert attempts[1].compute == "lambda" and attempts[1].finished_at is not None
    assert attempts[1].pathspec == "TrainFlow/r1/train/3"

    tasks = meta.list_tasks("TrainFlow", "r1")  # the latest attempt of each task, in start order
    assert [(t.step, t.task_id, t.attempt) for t in tasks] == [
        ("start", "0", 0), ("train", "3.7", 0), ("train", "31", 0), ("train", "10", 0), ("train", "3", 1)]
    assert [t.task_id for t in meta.list_tasks("TrainFlow", "r1", "train")] == ["3.7", "31", "10", "3"]
    assert meta.list_tasks("TrainFlow", "r1", "nostep") == []
    assert meta.list_tasks("TrainFlow", "other-run") == []


def test_start_attempt_replaces_the_same_attempt_number(meta: Any) -> None:
    first = AttemptRecord("F", "r", "s", "0", 0, ATTEMPT_RUNNING, T0, compute="batch", logs="s3://x")
    meta.start_attempt(first)
    assert meta.list_attempts("F", "r", "s", "0") == [first]
    meta.start_attempt(AttemptRecord("F", "r", "s", "0", 0, ATTEMPT_RUNNING, T0 + 1))
    assert [a.started_at for a in meta.list_attempts("F", "r", "s", "0")] == [T0 + 1]


def test_finish_attempt_never_creates_one(meta: Any) -> None:
    meta.finish_attempt("F", "r", "s", "0", 4, ATTEMPT_CAUGHT)
    assert meta.list_attempts("F", "r", "s", "0") == []
