"""What tests/client/flows/s3_flow.py's run must show, wherever it ran (local or deployed)."""
from __future__ import annotations

from typing import Any

from sfnflow import S3


def assert_s3_flow_results(run: Any) -> None:
    """What S3Flow's steps saw, and what a notebook reads back with S3(run=...)."""
    assert run.successful
    assert run["join"].task.data.texts == ["zero", "one"]
    assert run.data.listing == [("files", False), ("greeting.txt", True), ("parts", False)]
    assert run.data.everything == [("files/table.csv", b"a,b\n1,2\n"), ("greeting.txt", b"hello"),
                                   ("parts/0", b"zero"), ("parts/1", b"one")]
    assert run.data.greeting == ("hello", "text/plain", {"lang": "en"})
    with S3(run=run) as s3:
        assert s3.get("parts/1").text == "one"
        assert sorted(o.key for o in s3.list_recursive(["parts"])) == ["parts/0", "parts/1"]
