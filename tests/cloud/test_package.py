"""The code package: deterministic bytes, what it holds, content-addressed upload, and
that it imports the Lambda handler with nothing but the zip (and boto3) on sys.path."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from sfnflow.deploy.package import build_code_package, code_key, local_module_files, upload_code_package



@pytest.fixture
def project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    (proj / "models").mkdir(parents=True)
    (proj / "flow.py").write_text(textwrap.dedent("""
        import json
        import helpers
        from models import forest
        from sfnflow import FlowSpec, step

        class ProjFlow(FlowSpec):
            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                import late_import  # a step-level import still ships
    """))
    (proj / "helpers.py").write_text("from models.util import norm\n")
    (proj / "late_import.py").write_text("X = 1\n")
    (proj / "unused.py").write_text("Y = 2\n")
    (proj / "models" / "__init__.py").write_text("")
    (proj / "models" / "forest.py").write_text("from . import util\nfrom .util import norm\n")
    (proj / "models" / "util.py").write_text("def norm(x):\n    return x\n")
    (proj / "models" / "__pycache__").mkdir()
    (proj / "models" / "__pycache__" / "util.cpython-311.pyc").write_bytes(b"junk")
    (tmp_path / "outside.py").write_text("Z = 3\n")
    return proj


def test_ships_flow_local_modules_runtime_and_cloudpickle(project: Path) -> None:
    pkg = build_code_package(str(project / "flow.py"))
    local = [f for f in pkg.files if not f.startswith(("sfnflow/", "sfn_compiler/", "runtime/", "cloudpickle/"))]
    assert local == ["flow.py", "helpers.py", "late_import.py", "models/__init__.py", "models/forest.py",
                     "models/util.py"]
    assert pkg.flow_file == "flow.py"
    assert "runtime/lambda_handler.py" in pkg.files and "runtime/task.py" in pkg.files
    assert "sfn_compiler/contract/envelope.py" in pkg.files and "sfnflow/__init__.py" in pkg.files
    assert "cloudpickle/cloudpickle.py" in pkg.files
    assert not [f for f in pkg.files if f.startswith(("sfnflow/cli/", "sfnflow/deploy/", "sfnflow/emulate/",
                                                       "runtime/engine/", "tests/"))
                or "__pycache__" in f or f.endswith(".pyc")]
    archive = zipfile.ZipFile(io.BytesIO(pkg.data))
    assert archive.namelist() == sorted(archive.namelist())
    assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert {(i.external_attr >> 16) & 0o777 for i in archive.infolist()} == {0o644}


def test_deterministic(project: Path, tmp_path: Path) -> None:
    first = build_code_package(str(project / "flow.py"))
    os.utime(project / "helpers.py", (1, 1))  # mtimes do not matter
    (tmp_path / "outside.py").write_text("Z = 4\n")  # files outside the folder do not matter
    (project / "unused.py").write_text("Y = 5\n")  # nor files the flow does not import
    second = build_code_package(str(project / "flow.py"))
    assert second.data == first.data and second.sha256 == first.sha256

    (project / "models" / "util.py").write_text("def norm(x):\n    return -x\n")
    assert build_code_package(str(project / "flow.py")).sha256 != first.sha256
    (project / "models" / "util.py").write_text("def norm(x):\n    return x\n")
    assert build_code_package(str(project / "flow.py")).sha256 == first.sha256
    (project / "flow.py").write_text((project / "flow.py").read_text() + "\n# changed\n")
    assert build_code_package(str(project / "flow.py")).sha256 != first.sha256


def test_same_code_in_another_folder_same_hash(project: Path, tmp_path: Path) -> None:
    import shutil

    copy = shutil.copytree(project, tmp_path / "elsewhere")
    assert build_code_package(str(copy / "flow.py")).sha256 == build_code_package(str(project / "flow.py")).sha256


def test_include_and_shadowing(project: Path) -> None:
    (project / "data.csv").write_text("a,b\n")
    assert "data.csv" in build_code_package(str(project / "flow.py"), include=["*.csv"]).files
    with pytest.raises(FileNotFoundError, match="matches no file"):
        build_code_package(str(project / "flow.py"), include=["*.parquet"])
    (project / "runtime.py").write_text("")
    (project / "flow.py").write_text((project / "flow.py").read_text() + "\nimport runtime\n")
    (project / "helpers.py").write_text("import sfn_compiler\nfrom models.util import norm\n")
    files = local_module_files(str(project / "flow.py"))
    assert not [f for f in files if f.endswith("runtime.py")]  # our packages are not scanned as local
    with pytest.raises(ValueError, match="has the name of a package"):
        build_code_package(str(project / "flow.py"), include=["runtime.py"])


def test_upload_is_content_addressed(project: Path, s3: Any, bucket: str) -> None:
    pkg = build_code_package(str(project / "flow.py"))
    assert upload_code_package(pkg, s3, bucket) == (code_key(pkg.sha256), True)
    assert upload_code_package(build_code_package(str(project / "flow.py")), s3, bucket) == (
        f"code/{pkg.sha256}.zip", False)  # unchanged flow: nothing uploaded
    assert s3.get_object(Bucket=bucket, Key=f"code/{pkg.sha256}.zip")["Body"].read() == pkg.data
    assert code_key("abc", "/team/x/") == "team/x/code/abc.zip"


PROBE = """
import sys
sys.path[:0] = [ZIP]
sys.path.append(PURELIB)
import runtime.lambda_handler as h
import runtime, cloudpickle, sfnflow, sfn_compiler
for mod in (runtime, cloudpickle, sfnflow, sfn_compiler, h):
    assert mod.__file__.startswith(ZIP), mod.__file__
heavy = sorted(m for m in ("boto3", "botocore", "click", "moto", "aws_cdk") if m in sys.modules)
assert heavy == [], heavy
from runtime.stores.s3 import S3BlobStore
S3BlobStore("b", client=None).client  # boto3 comes from site-packages, when a client is made
import boto3
assert not boto3.__file__.startswith(ZIP)
print("ok")
"""


def test_zip_imports_handler_in_a_clean_interpreter(project: Path, tmp_path: Path) -> None:
    pkg = build_code_package(str(project / "flow.py"))
    zip_path = tmp_path / "code.zip"
    zip_path.write_bytes(pkg.data)
    probe = f"ZIP = {str(zip_path)!r}\nPURELIB = {sysconfig.get_paths()['purelib']!r}\n" + PROBE
    # -I: ignore PYTHON* variables and the current folder; -S: no site, so no editable install of sfnflow.
    done = subprocess.run([sys.executable, "-I", "-S", "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "us-east-1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
