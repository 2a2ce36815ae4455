"""Fixtures for tests/faults: a fresh store per test, read by the client; helpers in faultrun.py."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from sfnflow import client


@pytest.fixture
def store_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "store"
    client.set_root(str(root))
    yield root
    client.set_root(None)
