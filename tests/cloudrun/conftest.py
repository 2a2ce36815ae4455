"""Cloud-run tests: flows executed by moto's Step Functions with real Lambda code (in
process) and Batch jobs (subprocesses), through sfnflow.emulate.harness.MotoCloud.

MotoCloud owns moto's mock (fake credentials, clients made after it starts); a local
run (the embedded engine) cannot run while it is open, so tests that compare with a
local run do that first.
"""
from __future__ import annotations

import os
import sys
from typing import Iterator

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    from sfnflow.emulate.harness import MotoCloud

    for name in ("SFNFLOW_DATASTORE", "SFNFLOW_BUCKET", "SFNFLOW_TABLE", "SFNFLOW_PREFIX", "SFNFLOW_ROOT"):
        monkeypatch.delenv(name, raising=False)
    with MotoCloud() as harness:
        yield harness
