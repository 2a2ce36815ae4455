"""The client API reads cloud runs (S3 + DynamoDB) when told to; local stays the default."""
from __future__ import annotations

from typing import Any

import pytest

from cloudrun_util import ROOT, compiled

LINEAR = str(ROOT / "examples/linear.py")


def test_env_setting_selects_s3_and_dynamodb(cloud: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from sfnflow.client import Flow, get_stores, set_root

    cloud.run(cloud.deploy(LINEAR, compiled(LINEAR)[1]), "env-1")
    monkeypatch.setenv("SFNFLOW_DATASTORE", "s3")
    monkeypatch.setenv("SFNFLOW_BUCKET", cloud.bucket)
    monkeypatch.setenv("SFNFLOW_TABLE", cloud.table)
    set_root(None)
    try:
        run = Flow("LinearFlow").latest_run  # clients made by the stores, with boto3's defaults
        assert run is not None and run.id == "env-1" and run.successful
        assert run["square"].task.data.squares == [1, 4, 9]
        assert get_stores().root.startswith(f"s3://{cloud.bucket}/")
    finally:
        set_root(None)


def test_env_setting_without_names_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from sfn_compiler.diagnostics import SfnflowError
    from sfnflow.client import Flow, set_root

    set_root(None)
    monkeypatch.setenv("SFNFLOW_DATASTORE", "s3")
    monkeypatch.delenv("SFNFLOW_BUCKET", raising=False)
    monkeypatch.setenv("SFNFLOW_TABLE", "t")
    with pytest.raises(SfnflowError, match="SFNFLOW_BUCKET is not set"):
        Flow("LinearFlow").runs()
    monkeypatch.setenv("SFNFLOW_DATASTORE", "gcs")
    with pytest.raises(SfnflowError, match="'gcs' is not a datastore"):
        Flow("LinearFlow").runs()


def test_local_stays_the_default(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from sfnflow.client import get_stores, set_root, use_cloud

    monkeypatch.delenv("SFNFLOW_DATASTORE", raising=False)
    (tmp_path / ".sfnflow").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SFNFLOW_ROOT", raising=False)
    set_root(None)
    assert get_stores().root == str(tmp_path / ".sfnflow")
    use_cloud("bucket", "table", prefix="team")
    assert get_stores().root.startswith("s3://bucket/team/")
    set_root(None)  # back to local
    assert get_stores().root == str(tmp_path / ".sfnflow")
