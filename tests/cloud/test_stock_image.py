"""A Batch task in a "stock Python image": a fresh interpreter with boto3 but no sfnflow,
running STOCK_IMAGE_BOOTSTRAP against a moto server on 127.0.0.1 (the code package, the
artifacts and the metadata all live there)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest

from runtime.batch_main import STOCK_IMAGE_BOOTSTRAP
from runtime.package import build_code_package, upload_code_package
from runtime.stores.artifacts import ArtifactStore
from runtime.stores.dynamo_keys import table_definition
from runtime.stores.dynamodb import DynamoMetadataStore
from runtime.stores.s3 import S3BlobStore

CREDS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


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


def test_bootstrap_fetches_package_and_runs(server: str, tmp_path: Path) -> None:
    s3, ddb = _clients(server)
    s3.create_bucket(Bucket="art")
    ddb.create_table(**table_definition("meta"))
    project = tmp_path / "proj"
    project.mkdir()
    (project / "stock_flow.py").write_text(textwrap.dedent("""
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
    """))
    pkg = build_code_package(str(project / "stock_flow.py"))
    key, _ = upload_code_package(pkg, s3, "art")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": sysconfig.get_paths()["purelib"], **CREDS,
           "AWS_ENDPOINT_URL": server, "SFNFLOW_BUCKET": "art", "SFNFLOW_TABLE": "meta",
           "SFNFLOW_FLOW_FILE": pkg.flow_file, "SFNFLOW_CODE_KEY": key}

    def job(step: str) -> subprocess.CompletedProcess[str]:
        argv = ["--flow", "StockFlow", "--step", step, "--mode", "step", "--run", "r1", "--task", "0"]
        argv += ["--parameters", "{}"] if step == "start" else []
        # -S: no site, so no editable install: sfnflow exists only inside the code package.
        return subprocess.run([sys.executable, "-S", "-c", STOCK_IMAGE_BOOTSTRAP, *argv, "--attempt", "0"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    started = job("start")
    assert started.returncode == 0, started.stderr
    store = ArtifactStore(S3BlobStore("art", client=s3))
    index = store.get_index("StockFlow", "r1", "start", "0")
    assert index is not None
    where = store.load("StockFlow", index.artifacts["where"])
    assert "sfnflow-code-" in where and where.endswith("runtime/__init__.py")  # runtime came from the package

    ended = job("end")
    assert ended.returncode == 1
    assert "RuntimeError: end fails on purpose" in ended.stderr
    tasks = DynamoMetadataStore("meta", client=ddb).list_tasks("StockFlow", "r1")
    assert [(t.step, t.status, t.compute) for t in tasks] == [("start", "SUCCEEDED", "batch"),
                                                              ("end", "FAILED", "batch")]
