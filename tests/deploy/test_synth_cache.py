"""An unchanged flow is synthesized once: the second synth comes from the cache, the same
template; any change to the flow's code is a new synthesis."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfnflow.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytestmark = pytest.mark.slow


def synth(runner: CliRunner, flow: Path, out: Path):
    done = runner.invoke(main, ["synth", str(flow), "-o", str(out)])
    assert done.exit_code == 0, done.output
    return done


def test_second_synth_of_an_unchanged_flow_comes_from_the_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SFNFLOW_CACHE_DIR", str(tmp_path / "cache"))
    flow = tmp_path / "linear_cached.py"
    shutil.copy(EXAMPLES / "linear.py", flow)
    runner = CliRunner()
    first = synth(runner, flow, tmp_path / "a.json")
    assert "synthesizing with the AWS CDK" in first.output and "(from the synth cache)" not in first.output
    second = synth(runner, flow, tmp_path / "b.json")
    assert "(from the synth cache)" in second.output and "synthesizing with the AWS CDK" not in second.output
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()

    flow.write_text(flow.read_text().replace('"""', '"""A changed docstring. ', 1))
    third = synth(runner, flow, tmp_path / "c.json")
    assert "(from the synth cache)" not in third.output
