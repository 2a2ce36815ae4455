"""The Lambda handler called in-process, with its stores in moto (S3 + DynamoDB)."""
from __future__ import annotations

import os
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest

from runtime import lambda_handler
from runtime.errors import PlatformError, UserCodeError
from runtime.stores.artifacts import ArtifactStore
from runtime.stores.dynamodb import DynamoMetadataStore
from runtime.stores.s3 import S3BlobStore
from sfn_compiler.contract.envelope import TaskEnvelope

EXAMPLE = "examples/linear.py"  # relative to the package root, as the deployer sets it


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch, s3: Any, ddb: Any, bucket: str, table: str) -> None:
    monkeypatch.setenv("SFNFLOW_BUCKET", bucket)
    monkeypatch.setenv("SFNFLOW_TABLE", table)
    monkeypatch.setenv("SFNFLOW_PREFIX", "artifacts")
    monkeypatch.setenv("SFNFLOW_FLOW_FILE", EXAMPLE)


def payload(flow: str, step: str, run: str, task: str = "0", attempt: int = 0, **extra: Any) -> dict[str, Any]:
    return TaskEnvelope(flow=flow, step=step, run=run, task=task, attempt=attempt, **extra).to_payload()


def test_runs_example_steps_against_moto(lambda_env: None, s3: Any, ddb: Any, bucket: str, table: str) -> None:
    assert os.path.isfile(os.path.join(lambda_handler.package_root(), EXAMPLE))
    run = f"exec-{uuid.uuid4().hex[:8]}"
    # A plain step's result is where its task lives: the console shows it as the state's output.
    assert lambda_handler.handler(payload("LinearFlow", "start", run, parameters={}), None) == {
        "pathspec": f"LinearFlow/{run}/start/0", "artifacts": f"s3://{bucket}/artifacts/LinearFlow/{run}/start/0/",
        "logs": f"sfnflow logs LinearFlow/{run}/start/0"}
    assert lambda_handler.handler(payload("LinearFlow", "square", run))["pathspec"] == f"LinearFlow/{run}/square/0"

    artifacts = ArtifactStore(S3BlobStore(bucket, "artifacts", client=s3))
    index = artifacts.get_index("LinearFlow", run, "square", "0")
    assert index is not None
    assert artifacts.load("LinearFlow", index.artifacts["squares"]) == [1, 4, 9]
    meta = DynamoMetadataStore(table, client=ddb)
    record = meta.get_run("LinearFlow", run)
    assert record is not None and record.status == "RUNNING"
    tasks = meta.list_tasks("LinearFlow", run)
    assert [(t.step, t.status, t.compute) for t in tasks] == [("start", "SUCCEEDED", "lambda"),
                                                              ("square", "SUCCEEDED", "lambda")]


def test_warm_invocations_reuse_the_environment(lambda_env: None) -> None:
    run = f"exec-{uuid.uuid4().hex[:8]}"
    lambda_handler.handler(payload("LinearFlow", "start", run, parameters={}))
    first = lambda_handler._cached
    lambda_handler.handler(payload("LinearFlow", "square", run))
    assert lambda_handler._cached is first


def test_user_error_keeps_its_class_name(lambda_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         ddb: Any, table: str) -> None:
    flow = tmp_path / "boom_flow.py"
    flow.write_text(textwrap.dedent("""
        from sfnflow import FlowSpec, step

        class BoomFlow(FlowSpec):
            @step
            def start(self):
                raise ValueError("no data for this day")

            @step
            def end(self):
                pass
    """))
    monkeypatch.setenv("SFNFLOW_FLOW_FILE", str(flow))  # absolute paths are allowed too
    run = f"exec-{uuid.uuid4().hex[:8]}"
    with pytest.raises(UserCodeError, match="no data for this day") as caught:
        lambda_handler.handler(payload("BoomFlow", "start", run, parameters={}))
    assert type(caught.value).__name__ == "UserCodeError"  # Lambda's errorType, Step Functions' error name
    attempt = DynamoMetadataStore(table, client=ddb).list_attempts("BoomFlow", run, "start", "0")[0]
    assert attempt.status == "FAILED" and attempt.error is not None and attempt.error["type"] == "ValueError"


def test_malformed_envelope_is_a_platform_error(lambda_env: None) -> None:
    with pytest.raises(PlatformError, match="malformed task envelope"):
        lambda_handler.handler({"v": 1, "flow": "LinearFlow", "surprise": 1})


def test_missing_configuration_is_a_platform_error(lambda_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SFNFLOW_TABLE")
    with pytest.raises(PlatformError, match="SFNFLOW_TABLE"):
        lambda_handler.handler(payload("LinearFlow", "start", "r", parameters={}))
