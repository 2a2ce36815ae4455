"""One LocalEngine per test module (start-up ~1 s); the trivial executors live in tasks.py."""
from __future__ import annotations

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = str(tmp_path_factory.mktemp("artifacts"))
    os.environ["SFNFLOW_TEST_ARTIFACTS"] = root  # read by tasks.behave in the (forked) workers
    return root


@pytest.fixture(scope="module")
def engine(artifacts: str):
    from runtime.engine import LocalEngine

    with LocalEngine("tasks:behave", max_workers=2, preload=["tasks"], artifact_root=artifacts,
                     fast_retries=True) as eng:
        yield eng
