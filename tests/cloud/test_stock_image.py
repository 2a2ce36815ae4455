"""A Batch task in a "stock Python image": a fresh interpreter without sfnflow, running
STOCK_IMAGE_BOOTSTRAP against a moto server on 127.0.0.1 (the code package, the
artifacts and the metadata all live there).

Three interpreters stand in for the image:
* `python -S` with only site-packages on PYTHONPATH: boto3 present, sfnflow absent;
* `python -S` with neither: the bootstrap must pip-install boto3; a fake `pip` first on
  the path records its arguments and links the real boto3 into the --target folder;
* a fresh venv (pip, no boto3): the bootstrap really pip-installs boto3, from this
  machine's local file index (skipped where there is none: no network in tests).
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import sysconfig
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from runtime.batch_main import STOCK_IMAGE_BOOTSTRAP
from sfnflow.deploy.package import build_code_package, upload_code_package
from runtime.stores.artifacts import ArtifactStore
from sfn_compiler.contract.table_layout import table_definition
from runtime.stores.dynamodb import DynamoMetadataStore
from runtime.stores.s3 import S3BlobStore
from sfn_compiler.contract import envelope

CREDS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
LOCAL_INDEX = Path("/opt/pypi/simple")  # this machine's offline package index (file://)
BOTO3_TOPS = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")

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

FAKE_PIP = """
import importlib.util, json, os, sys
argv = sys.argv[1:]
with open(os.environ["FAKE_PIP_LOG"], "a") as log:
    log.write(json.dumps(argv) + "\\n")
target = argv[argv.index("--target") + 1]
for name in json.loads(os.environ["FAKE_PIP_TOPS"]):  # what `pip install boto3` would put there
    spec = importlib.util.find_spec(name)
    src = os.path.dirname(spec.origin) if spec.submodule_search_locations else spec.origin
    os.symlink(src, os.path.join(target, os.path.basename(src)))
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
    env = {"PATH": os.environ.get("PATH", ""), **CREDS, "AWS_ENDPOINT_URL": server, "SFNFLOW_BUCKET": bucket,
           "SFNFLOW_TABLE": table, "SFNFLOW_FLOW_FILE": pkg.flow_file, "SFNFLOW_CODE_KEY": key}
    return env, s3, ddb


def _job(python: list[str], step: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = ["--flow", "StockFlow", "--step", step, "--mode", "step", "--run", "r1", "--task", "0"]
    argv += ["--parameters", "{}"] if step == "start" else []
    return subprocess.run([*python, "-c", STOCK_IMAGE_BOOTSTRAP, *argv, "--attempt", "0"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


def _check_run(python: list[str], env: dict[str, str], s3: Any, ddb: Any, cwd: Path) -> None:
    started = _job(python, "start", env, cwd)
    assert started.returncode == 0, started.stderr
    store = ArtifactStore(S3BlobStore(env["SFNFLOW_BUCKET"], client=s3))
    index = store.get_index("StockFlow", "r1", "start", "0")
    assert index is not None
    where = store.load("StockFlow", index.artifacts["where"])
    assert "sfnflow-code-" in where and where.endswith("runtime/__init__.py")  # runtime came from the package

    ended = _job(python, "end", env, cwd)
    assert ended.returncode == 1
    assert "RuntimeError: end fails on purpose" in ended.stderr
    tasks = DynamoMetadataStore(env["SFNFLOW_TABLE"], client=ddb).list_tasks("StockFlow", "r1")
    assert [(t.step, t.status, t.compute) for t in tasks] == [("start", "SUCCEEDED", "batch"),
                                                              ("end", "FAILED", "batch")]


def test_bootstrap_fetches_package_and_runs(deployed: tuple[dict[str, str], Any, Any], tmp_path: Path) -> None:
    env, s3, ddb = deployed
    # -S: no site, so no editable install: sfnflow exists only inside the code package.
    env = {**env, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    _check_run([sys.executable, "-S"], env, s3, ddb, tmp_path)


def test_bootstrap_pip_installs_boto3_when_missing(deployed: tuple[dict[str, str], Any, Any],
                                                   tmp_path: Path) -> None:
    env, s3, ddb = deployed
    fake = tmp_path / "fakepip"
    (fake / "pip").mkdir(parents=True)
    (fake / "pip" / "__init__.py").write_text("")
    (fake / "pip" / "__main__.py").write_text(textwrap.dedent(FAKE_PIP))
    log = tmp_path / "pip.log"
    # -S and only the fake pip on the path: the bootstrap's interpreter has no boto3. Its
    # `python -m pip` child (site on) finds the fake pip first, PYTHONPATH preceding site-packages.
    env = {**env, "PYTHONPATH": str(fake), "FAKE_PIP_LOG": str(log), "FAKE_PIP_TOPS": json.dumps(BOTO3_TOPS)}
    probe = subprocess.run([sys.executable, "-S", "-c", "import boto3"], cwd=tmp_path, env=env, capture_output=True)
    assert probe.returncode != 0  # the stand-in image really lacks boto3
    _check_run([sys.executable, "-S"], env, s3, ddb, tmp_path)
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(calls) == 2  # once per job: every job starts from a fresh image
    for call in calls:
        assert call[:4] == ["install", "--quiet", "--disable-pip-version-check", "--target"]
        assert "sfnflow-boto3-" in call[4] and call[5:] == ["boto3"]


def test_bootstrap_in_a_venv_without_boto3(deployed: tuple[dict[str, str], Any, Any], tmp_path: Path) -> None:
    if not (LOCAL_INDEX / "boto3").is_dir():
        pytest.skip(f"no local package index at {LOCAL_INDEX}; tests never reach PyPI")
    env, s3, ddb = deployed
    venv = tmp_path / "image"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
    python = str(venv / "bin" / "python")
    # Only the local file index: no config files (they may name remote indexes), no network.
    env = {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_INDEX_URL": LOCAL_INDEX.as_uri(),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    for module in ("boto3", "sfn_compiler"):  # the stand-in image really lacks both
        probe = subprocess.run([python, "-c", f"import {module}"], cwd=tmp_path, env=env, capture_output=True)
        assert probe.returncode != 0, module
    _check_run([python], env, s3, ddb, tmp_path)


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
    assert out["stock"]["cmd"] == ["python", "-c", STOCK_IMAGE_BOOTSTRAP, "--flow", "F", "--step", "s",
                                   "--mode", "step", "--run", "exec1", "--task", "0",
                                   "--parameters", '{"a":1}', "--attempt", "1"]
    assert out["user"]["cmd"] == ["python", "-m", "runtime.batch_main", "--flow", "F", "--step", "s",
                                  "--mode", "step", "--run", "r1", "--task", "3", "--attempt", "2"]
    assert envelope.envelope_from_batch_args(out["stock"]["cmd"][3:]).run == "exec1"
