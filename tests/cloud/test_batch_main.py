"""The Batch entrypoint: arguments as the compiled Command gives them, stores in moto,
the code package fetched from S3 when the image lacks the flow, exit codes."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest

from runtime import batch_main
from runtime.lambda_handler import package_root
from sfnflow.deploy.package import build_code_package, upload_code_package
from runtime.stores.artifacts import ArtifactStore
from runtime.stores.dynamodb import DynamoMetadataStore
from runtime.stores.s3 import S3BlobStore


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """ensure_code may chdir and extend sys.path: keep both to this test."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))


def args(flow: str, step: str, run: str, task: str = "0", **extra: str) -> list[str]:
    """What batch_command_template's States.Array evaluates to (after `-m runtime.batch_main`)."""
    argv = ["--flow", flow, "--step", step, "--mode", "step", "--run", run, "--task", task]
    if step == "start":
        argv += ["--parameters", "{}"]
    argv += ["--attempt", extra.get("attempt", "0")]
    return argv


def environ(bucket: str, table: str, flow_file: str, **more: str) -> dict[str, str]:
    return {"SFNFLOW_BUCKET": bucket, "SFNFLOW_TABLE": table, "SFNFLOW_FLOW_FILE": flow_file, **more}


def test_runs_a_step_from_the_image(s3: Any, ddb: Any, bucket: str, table: str, isolated: None) -> None:
    run = f"exec-{uuid.uuid4().hex[:8]}"
    env = environ(bucket, table, "examples/linear.py")
    assert batch_main.main(args("LinearFlow", "start", run), env, s3, ddb) == 0
    assert batch_main.main(args("LinearFlow", "square", run), env, s3, ddb) == 0
    index = ArtifactStore(S3BlobStore(bucket, client=s3)).get_index("LinearFlow", run, "square", "0")
    assert index is not None and "squares" in index.artifacts
    tasks = DynamoMetadataStore(table, client=ddb).list_tasks("LinearFlow", run)
    assert [(t.step, t.compute, t.status) for t in tasks] == [("start", "batch", "SUCCEEDED"),
                                                              ("square", "batch", "SUCCEEDED")]


def test_fetches_the_code_package(s3: Any, ddb: Any, bucket: str, table: str, isolated: None,
                                  tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
    (project / "pkg_flow.py").write_text(textwrap.dedent("""
        from sfnflow import FlowSpec, step

        class PkgFlow(FlowSpec):
            @step
            def start(self):
                from helpers import double   # imported inside the step: the scan still ships it
                self.value = double(21)
                self.next(self.end)

            @step
            def end(self):
                pass
    """))
    pkg = build_code_package(str(project / "pkg_flow.py"))
    key, uploaded = upload_code_package(pkg, s3, bucket, prefix="deploy")
    assert uploaded and key == f"deploy/code/{pkg.sha256}.zip"
    (project / "helpers.py").unlink()  # only the package has it now
    run = f"exec-{uuid.uuid4().hex[:8]}"
    env = environ(bucket, table, pkg.flow_file, SFNFLOW_CODE_KEY=key)
    assert batch_main.main(args("PkgFlow", "start", run), env, s3, ddb) == 0
    store = ArtifactStore(S3BlobStore(bucket, client=s3))
    index = store.get_index("PkgFlow", run, "start", "0")
    assert index is not None and store.load("PkgFlow", index.artifacts["value"]) == 42
    assert os.getcwd() != str(tmp_path) and os.path.isfile(os.path.join(os.getcwd(), "pkg_flow.py"))


def test_tampered_package_is_refused(s3: Any, ddb: Any, bucket: str, table: str, isolated: None,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    key = "code/" + "0" * 64 + ".zip"
    s3.put_object(Bucket=bucket, Key=key, Body=b"not the package")
    env = environ(bucket, table, "nowhere_flow.py", SFNFLOW_CODE_URL=f"s3://{bucket}/{key}")
    assert batch_main.main(args("F", "start", "r"), env, s3, ddb) == 2
    assert "does not match its sha256" in capsys.readouterr().err


def test_user_error_exits_1_with_traceback(s3: Any, ddb: Any, bucket: str, table: str, isolated: None,
                                           tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = tmp_path / "bad_flow.py"
    flow.write_text(textwrap.dedent("""
        from sfnflow import FlowSpec, step

        def load_rows():
            raise FileNotFoundError("rows.csv")

        class BadFlow(FlowSpec):
            @step
            def start(self):
                self.rows = load_rows()
                self.next(self.end)

            @step
            def end(self):
                pass
    """))
    code = batch_main.main(args("BadFlow", "start", "r1"), environ(bucket, table, str(flow)), s3, ddb)
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" in err and "load_rows" in err and "FileNotFoundError: rows.csv" in err
    assert err.rstrip().splitlines()[-1].startswith("sfnflow: the step failed: step 'start' failed")


def test_platform_errors_exit_2(s3: Any, ddb: Any, bucket: str, table: str, isolated: None,
                                capsys: pytest.CaptureFixture[str]) -> None:
    assert batch_main.main(["--flow", "F", "--step"], environ(bucket, table, "x.py"), s3, ddb) == 2
    assert "bad task arguments" in capsys.readouterr().err
    assert batch_main.main(args("F", "start", "r"), environ(bucket, table, "missing.py"), s3, ddb) == 2
    assert "neither SFNFLOW_CODE_URL nor SFNFLOW_CODE_KEY" in capsys.readouterr().err


def test_runs_as_a_module() -> None:
    done = subprocess.run([sys.executable, "-m", "runtime.batch_main", "--flow"], cwd=package_root(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("sfnflow: sfnflow failed: bad task arguments")
