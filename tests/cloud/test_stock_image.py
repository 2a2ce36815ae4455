"""A Batch task in a "stock Python image": a fresh interpreter without sfnflow or boto3,
running the compiled launcher against a moto server on 127.0.0.1 (the code package, the
boto3 bundle, the artifacts and the metadata all live there).

The stand-in image is `python -S` with nothing on its path: no site-packages, so neither
boto3 nor sfnflow, and no pip is ever run (nothing is installed at task start). The
bootstrap (runtime/stock_bootstrap.py, in SFNFLOW_BOOTSTRAP) signs its own S3 GETs,
checks both packages against the sha256 the job definition gives, and only then runs.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from sfn_compiler.batch_bootstrap import STOCK_IMAGE_LAUNCHER
from sfnflow.deploy.package import build_code_package, upload_code_package
from runtime.stores.artifacts import ArtifactStore
from sfn_compiler.contract.table_layout import table_definition
from runtime.stores.dynamodb import DynamoMetadataStore
from runtime.stores.s3 import S3BlobStore
from sfn_compiler.contract import envelope, task_config

CREDS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
FLOW = """
from sfnflow import FlowSpec, step

class StockFlow(FlowSpec):
    @step
    def start(self):
        import runtime
        self.where = runtime.__file__
        self.next(self.end)

    @step
    def end(self):
        raise RuntimeError("end fails on purpose")
"""

@pytest.fixture
def server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    srv.start()
    yield f"http://127.0.0.1:{port}"
    srv.stop()


def _clients(endpoint: str) -> tuple[Any, Any]:
    import boto3

    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
              aws_secret_access_key="testing")
    return boto3.client("s3", **kw), boto3.client("dynamodb", **kw)


@pytest.fixture
def deployed(server: str, tmp_path: Path) -> tuple[dict[str, str], Any, Any]:
    """The flow's code package in moto S3, the table in moto DynamoDB; the job's environment.

    Names are unique per test: moto servers in one process share their backends.
    """
    s3, ddb = _clients(server)
    bucket, table = f"art-{uuid.uuid4().hex[:8]}", f"meta-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    ddb.create_table(**table_definition(table))
    project = tmp_path / "proj"
    project.mkdir()
    (project / "stock_flow.py").write_text(textwrap.dedent(FLOW))
    pkg = build_code_package(str(project / "stock_flow.py"))
    key, _ = upload_code_package(pkg, s3, bucket)
    support = pkg.batch_support
    deps_key, _ = upload_code_package(support, s3, bucket)
    # What FlowStack puts in the job definition (the harness does the same).
    env = {"PATH": os.environ.get("PATH", ""), **CREDS, "AWS_ENDPOINT_URL": server,
           **task_config.batch_environment(bucket, "", pkg.flow_file, key, code_sha256=pkg.sha256,
                                           region="us-east-1"),
           "SFNFLOW_TABLE": table, **support.job_environment(deps_key)}
    return env, s3, ddb


def _job(python: list[str], step: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = ["--flow", "StockFlow", "--step", step, "--mode", "step", "--run", "r1", "--task", "0"]
    argv += ["--parameters", "{}"] if step == "start" else []
    return subprocess.run([*python, "-c", STOCK_IMAGE_LAUNCHER, *argv, "--attempt", "0"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


def _check_run(python: list[str], env: dict[str, str], s3: Any, ddb: Any, cwd: Path) -> None:
    started = _job(python, "start", env, cwd)
    assert started.returncode == 0, started.stderr
    store = ArtifactStore(S3BlobStore(env["SFNFLOW_BUCKET"], client=s3))
    index = store.get_index("StockFlow", "r1", "start", "0")
    assert index is not None
    where = store.load("StockFlow", index.artifacts["where"])
    assert "/sfnflow-" in where and where.endswith("runtime/__init__.py")  # runtime came from the package

    ended = _job(python, "end", env, cwd)
    assert ended.returncode == 1
    assert "RuntimeError: end fails on purpose" in ended.stderr
    tasks = DynamoMetadataStore(env["SFNFLOW_TABLE"], client=ddb).list_tasks("StockFlow", "r1")
    assert [(t.step, t.status, t.compute) for t in tasks] == [("start", "SUCCEEDED", "batch"),
                                                              ("end", "FAILED", "batch")]


STOCK = [sys.executable, "-S"]  # no site-packages: neither boto3 nor sfnflow nor pip


def test_the_stand_in_image_has_neither_boto3_nor_sfnflow(tmp_path: Path) -> None:
    for module in ("boto3", "sfn_compiler", "runtime", "pip"):
        probe = subprocess.run([*STOCK, "-c", f"import {module}"], cwd=tmp_path, env={"PATH": os.environ["PATH"]},
                               capture_output=True)
        assert probe.returncode != 0, module


def test_bootstrap_fetches_checks_and_runs_without_installing(deployed: tuple[dict[str, str], Any, Any],
                                                              tmp_path: Path) -> None:
    env, s3, ddb = deployed
    _check_run(STOCK, env, s3, ddb, tmp_path)


def test_a_replaced_code_package_is_refused_before_anything_runs(deployed: tuple[dict[str, str], Any, Any],
                                                                 tmp_path: Path) -> None:
    """Someone overwrote code/<sha>.zip after the deploy: the bootstrap runs none of it."""
    import io
    import zipfile

    env, s3, ddb = deployed
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("runtime/__init__.py", "")
        archive.writestr("runtime/batch_main.py", "open('/tmp/pwned', 'w')\ndef main(argv):\n    return 0\n")
    s3.put_object(Bucket=env["SFNFLOW_BUCKET"], Key=env["SFNFLOW_CODE_KEY"], Body=evil.getvalue())
    job = _job(STOCK, "start", env, tmp_path)
    assert job.returncode == 2
    actual = hashlib.sha256(evil.getvalue()).hexdigest()
    assert job.stderr.strip() == (
        f"sfnflow: sfnflow failed: bootstrap: the code package s3://{env['SFNFLOW_BUCKET']}/"
        f"{env['SFNFLOW_CODE_KEY']} has sha256 {actual}, not the deployed {env['SFNFLOW_CODE_SHA256']}: it was "
        "changed after the deploy; nothing of it was run. Redeploy the flow.")
    tasks = DynamoMetadataStore(env["SFNFLOW_TABLE"], client=ddb).list_tasks("StockFlow", "r1")
    assert tasks == []  # nothing ran: no attempt was even recorded


def test_a_job_definition_without_the_bootstrap_says_so(tmp_path: Path) -> None:
    job = subprocess.run([*STOCK, "-c", STOCK_IMAGE_LAUNCHER, "--flow", "F"], cwd=tmp_path,
                         env={"PATH": os.environ["PATH"]}, capture_output=True, text=True)
    assert job.returncode == 1
    assert job.stderr.strip() == "sfnflow: this job definition has no SFNFLOW_BOOTSTRAP: redeploy the flow"


def test_moto_evaluates_the_compiled_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ASL intrinsic, through moto's ASL parser, gives the bootstrap's argv verbatim."""
    import boto3
    from moto import mock_aws

    for name, value in CREDS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    # A Pass state has no $$.State.RetryCount (only Task states do): read it from the input.
    commands = {
        "stock": envelope.batch_command_template("F", "s", is_start=True),
        "user": envelope.batch_command_template("F", "s", sfnflow_in_image=True),
    }
    commands = {k: v.replace("$$.State.RetryCount", "$.retries") for k, v in commands.items()}
    asl = {"StartAt": "stock", "States": {
        "stock": {"Type": "Pass", "Parameters": {"cmd.$": commands["stock"], "run": "r1", "p": "3", "retries": 2},
                  "ResultPath": "$.stock", "Next": "user"},
        "user": {"Type": "Pass", "Parameters": {"cmd.$": commands["user"]}, "InputPath": "$.stock",
                 "ResultPath": "$.user", "End": True},
    }}
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(name="cmd", definition=json.dumps(asl),
                                       roleArn="arn:aws:iam::123456789012:role/sfn")["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=arn, name="exec1",
                                        input=json.dumps({"parameters": {"a": 1}, "retries": 1}))
        for _ in range(200):
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            if described["status"] != "RUNNING":
                break
            time.sleep(0.05)
    assert described["status"] == "SUCCEEDED", described
    out = json.loads(described["output"])
    assert out["stock"]["cmd"] == ["python", "-c", STOCK_IMAGE_LAUNCHER, "--flow", "F", "--step", "s",
                                   "--mode", "step", "--run", "exec1", "--task", "0",
                                   # the whole execution input: runtime/run_input.py reads the parameters
                                   "--parameters", '{"parameters":{"a":1},"retries":1}', "--attempt", "1"]
    assert out["user"]["cmd"] == ["python", "-m", "runtime.batch_main", "--flow", "F", "--step", "s",
                                  "--mode", "step", "--run", "r1", "--task", "3", "--attempt", "2"]
    assert envelope.envelope_from_batch_command(out["stock"]["cmd"]).run == "exec1"
