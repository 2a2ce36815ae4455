"""Metaflow's S3 client: one behaviour over a run's folder of the local store and over S3
(moto), and a flow using S3(run=self) run locally (tests/cloudrun/test_s3_cloud.py runs
the same flow deployed)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from sfnflow import S3, Flow, client
from sfnflow.cli import main
from sfnflow.s3 import (
    MetaflowS3InvalidObject, MetaflowS3NotFound, MetaflowS3URLException, S3GetObject, S3PutObject,
)
from tests.client.s3_checks import assert_s3_flow_results

HERE = Path(__file__).resolve().parent
S3_FLOW = HERE / "flows" / "s3_flow.py"
LINEAR = HERE.parents[1] / "examples" / "linear.py"


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("s3") / "store"
    done = CliRunner().invoke(main, ["run", str(LINEAR), "--root", str(root)])
    assert done.exit_code == 0, done.output
    client.set_root(str(root))
    run_id = Flow("LinearFlow").latest_run.id
    client.set_root(None)
    return root, run_id


@pytest.fixture(params=["local", "s3"])
def scope(request: pytest.FixtureRequest, local_run: tuple[Path, str], tmp_path: Path) -> Iterator[S3]:
    """An S3 scope over a run's local folder, or over an S3 prefix in moto."""
    if request.param == "local":
        root, run_id = local_run
        client.set_root(str(root))
        try:
            with S3(run=Flow("LinearFlow")[run_id], tmproot=str(tmp_path)) as s3:
                yield s3
        finally:  # each test starts from an empty folder, as each gets a fresh bucket
            for folder in ("s3-data", "s3-data-info"):
                shutil.rmtree(root / "LinearFlow" / run_id / folder, ignore_errors=True)
        return
    request.getfixturevalue("aws_credentials")
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="team-bucket")
        with S3(s3root="s3://team-bucket/projects/p1", tmproot=str(tmp_path)) as s3:
            yield s3


def test_put_then_get_text_blob_path_and_info(scope: S3) -> None:
    url = scope.put("notes/a.txt", "héllo", content_type="text/plain", metadata={"owner": "ana"})
    got = scope.get("notes/a.txt")
    assert got.url == url and got.key == "notes/a.txt" and got.exists and got.downloaded
    assert got.text == "héllo" and got.blob == "héllo".encode() and got.size == len("héllo".encode())
    assert open(got.path, "rb").read() == got.blob
    assert got.content_type == "text/plain" and got.metadata == {"owner": "ana"}
    assert isinstance(got.last_modified, int)
    info = scope.info("notes/a.txt")
    assert info.size == got.size and not info.downloaded and info.metadata == {"owner": "ana"}


def test_missing_keys_raise_or_come_back_missing(scope: S3) -> None:
    with pytest.raises(MetaflowS3NotFound, match="does not exist"):
        scope.get("no/such/key")
    missing = scope.get("no/such/key", return_missing=True)
    assert not missing.exists and missing.blob is None
    assert [o.exists for o in scope.get_many(["no/such", "nor/this"], return_missing=True)] == [False, False]


def test_overwrite_false_keeps_the_first_and_bytes_files_and_str_all_store(scope: S3, tmp_path: Path) -> None:
    scope.put("k", b"first")
    scope.put("k", b"second", overwrite=False)
    assert scope.get("k").blob == b"first"
    local = tmp_path / "big.bin"
    local.write_bytes(os.urandom(300_000))
    done = scope.put_files([("files/big.bin", str(local)), S3PutObject("files/typed.bin", path=str(local),
                                                                          content_type="application/x-test")])
    assert [key for key, _ in done] == ["files/big.bin", "files/typed.bin"]
    assert scope.get("files/big.bin").blob == local.read_bytes()
    assert scope.info("files/typed.bin").content_type == "application/x-test"
    with open(local, "rb") as handle:
        scope.put("from-handle", handle)
    assert scope.get("from-handle").size == 300_000
    with pytest.raises(MetaflowS3InvalidObject, match="str, bytes"):
        scope.put("bad", {"not": "bytes"})
    with pytest.raises(MetaflowS3NotFound, match="local file"):
        scope.put_files([("x", str(tmp_path / "absent"))])


def test_get_many_keeps_order_and_ranges_read_parts(scope: S3) -> None:
    scope.put_many([(f"many/{i}", f"value {i}") for i in range(5)])
    assert [o.text for o in scope.get_many([f"many/{i}" for i in (3, 0, 4)])] == ["value 3", "value 0", "value 4"]
    part = scope.get(S3GetObject("many/2", offset=2, length=3))
    assert part.text == "lue" and part.range_info.total_size == len("value 2")
    assert scope.get(S3GetObject("many/2", length=-1)).text == "2"


def test_listing_a_level_and_recursively(scope: S3) -> None:
    scope.put_many([("tree/0.txt", "0"), ("tree/b/1.txt", "1"), ("tree/c/d/2.txt", "2"), ("top.txt", "t")])
    level = {(o.key, o.exists) for o in scope.list_paths(["tree"])}
    assert level == {("tree/0.txt", True), ("tree/b", False), ("tree/c", False)}
    assert {o.key for o in scope.list_paths()} >= {"tree", "top.txt"}
    assert sorted(o.key for o in scope.list_recursive(["tree"])) == ["tree/0.txt", "tree/b/1.txt", "tree/c/d/2.txt"]
    assert sorted((o.key, o.text) for o in scope.get_recursive(["tree/c"])) == [("tree/c/d/2.txt", "2")]
    assert ("top.txt", "t") in {(o.key, o.text) for o in scope.get_all()}


def test_keys_are_relative_to_the_root_and_downloads_go_with_the_scope(scope: S3) -> None:
    scope.put("gone-after-close", "x")
    path = scope.get("gone-after-close").path
    with pytest.raises(MetaflowS3URLException, match="relative"):
        scope.get("s3://elsewhere/key")
    with pytest.raises(MetaflowS3URLException):
        scope.put("../escape", "x")  # a key never leaves the run's folder
    scope.close()
    assert not os.path.exists(path)


def test_without_a_root_keys_are_full_urls(aws_credentials: None, tmp_path: Path) -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="raw")
        with S3(tmproot=str(tmp_path)) as s3:
            url = s3.put("s3://raw/a/b.txt", "full")
            assert url == "s3://raw/a/b.txt" and s3.get(url).text == "full"
            assert [o.key for o in s3.list_paths(["s3://raw/a"])] == ["s3://raw/a/b.txt"]
            with pytest.raises(MetaflowS3URLException, match="not a full s3:// URL"):
                s3.get("a/b.txt")


def test_a_flow_using_s3_run_self_runs_locally(tmp_path: Path) -> None:
    root = tmp_path / "store"
    done = CliRunner().invoke(main, ["run", str(S3_FLOW), "--root", str(root)])
    assert done.exit_code == 0, done.output
    client.set_root(str(root))
    run = Flow("S3Flow").latest_run
    assert_s3_flow_results(run)
    folder = root / "S3Flow" / run.id / "s3-data"
    assert (folder / "greeting.txt").read_text() == "hello"  # files under the local store, beside the run
    assert run["start"].task.data.url == (folder / "greeting.txt").as_uri()


def test_the_client_ships_light(tmp_path: Path) -> None:
    """Step code imports it in Lambda and Batch: no click, moto or aws_cdk, and boto3 only
    once an S3 place makes its client."""
    probe = ("import sys\nfrom sfnflow import S3\nimport sfnflow.s3.client, sfnflow.s3.places\n"
             "S3(s3root='s3://b/p').close()\n"
             "print(sorted(m for m in ('click', 'moto', 'aws_cdk', 'boto3') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(HERE.parents[1])})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
