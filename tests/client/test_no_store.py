"""No `.sfnflow/` anywhere: the client raises one clean MetaflowNotFound that says where it
looked and how to point it elsewhere, with no chained traceback; the CLI prints that sentence."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfn_compiler.exceptions import MetaflowNotFound
from sfnflow import Flow, Metaflow, client
from sfnflow.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    assert not any((p / ".sfnflow").exists() for p in [tmp_path, *tmp_path.parents])
    monkeypatch.chdir(tmp_path)
    for name in ("SFNFLOW_ROOT", "SFNFLOW_DATASTORE"):
        monkeypatch.delenv(name, raising=False)
    client.set_root(None)
    return tmp_path


def test_the_client_says_where_it_looked(nowhere: Path) -> None:
    for read in (lambda: Flow("AnyFlow"), lambda: Metaflow().flows):
        with pytest.raises(MetaflowNotFound) as raised:
            read()
        message = str(raised.value)
        assert message.startswith(f"no .sfnflow/ folder in {nowhere} or any folder above it")
        assert "SFNFLOW_ROOT" in message and "\n" not in message
        assert raised.value.__suppress_context__


def test_a_script_gets_no_chained_traceback(nowhere: Path) -> None:
    script = ("from sfnflow import Flow\ntry:\n    {}['missing']\nexcept KeyError:\n"
              "    Flow('AnyFlow').latest_run\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=nowhere,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 1
    assert "During handling" not in done.stderr and "KeyError" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("sfnflow.client.stores.NoLocalRuns: no .sfnflow/ folder in")


def test_the_cli_prints_the_one_sentence(nowhere: Path) -> None:
    done = CliRunner().invoke(main, ["runs", "AnyFlow"])
    assert done.exit_code == 1
    assert done.output.strip().splitlines() == [done.output.strip()]
    assert done.output.startswith(f"Error: no .sfnflow/ folder in {nowhere} or any folder above it")
