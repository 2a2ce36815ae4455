"""Config and config_expr (Metaflow 2.13+): values read before the flow is built, usable in
decorators, parameter defaults and steps.

Expected values: Metaflow 2.19.39 run here on the same flow
(`python tests/compat/metaflow_reference.py config_flow`, 2026-12-01): start ran twice
(@retry(times=config.retries) retried it: attempt 1), seen == {'alpha': 0.5, 'item': 'fast',
'nested': [1, 2], 'mode_env': 'FAST', 'label': 'default-label', 'beta': 0.5, 'as_dict': 2},
assigned 'AttributeError', end_alpha 0.5.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from compatrun import FLOWS

from sfn_compiler.compile import CompileOptions, compile_file
from sfn_compiler.diagnostics import FlowDefinitionError
from sfnflow import Flow, client

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
FLOW = str(FLOWS / "config_flow.py")


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SFNFLOW_ROOT=str(tmp_path / "store"), PYTHONPATH=str(REPO))
    client.set_root(str(tmp_path / "store"))
    return subprocess.run([sys.executable, FLOW, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)


def test_config_in_decorators_defaults_and_steps(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "run")
    assert done.returncode == 0, done.stderr[-3000:]
    run = Flow("ConfigCompatFlow").latest_run
    start = run["start"].task
    assert start.current_attempt == 1 and start.data.attempt == 1
    assert start.data.seen == {"alpha": 0.5, "item": "fast", "nested": [1, 2], "mode_env": "FAST",
                               "label": "default-label", "beta": 0.5, "as_dict": 2}
    assert start.data.assigned == "AttributeError" and run.data.end_alpha == 0.5
    # Metaflow: config and extra are artifacts of every task
    assert run.data.config == {"alpha": 0.5, "mode": "fast", "retries": 2, "nested": {"k": [1, 2]}}
    assert run.data.extra == {"label": "default-label"}


def test_config_from_the_command_line(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"alpha": 2.0, "mode": "slow", "retries": 1, "nested": {"k": []}}))
    done = run_cli(tmp_path, "--config", "config", str(other), "run", "--config-value", "extra", '{"label": "given"}')
    assert done.returncode == 0, done.stderr[-3000:]
    seen = Flow("ConfigCompatFlow").latest_run["start"].task.data.seen
    assert seen["alpha"] == 2.0 and seen["mode_env"] == "SLOW" and seen["label"] == "given" and seen["beta"] == 2.0


def test_the_graph_is_built_with_the_config_values() -> None:
    graph = compile_file(FLOW).graph
    assert graph["start"].decorator("retry").times == 2
    assert dict(graph["start"].decorator("environment").vars) == {"MODE": "FAST"}
    other = compile_file(FLOW, CompileOptions(config_sources=(("config", "value", '{"alpha": 1, "mode": "x", '
                                                                                  '"retries": 5, "nested": {}}'),)))
    assert other.graph["start"].decorator("retry").times == 5


def test_a_bad_config_is_one_diagnostic() -> None:
    with pytest.raises(FlowDefinitionError) as info:
        compile_file(FLOW, CompileOptions(config_sources=(("config", "value", "{not json"),)))
    assert "config 'config' cannot be parsed" in str(info.value.diagnostics[0])
    with pytest.raises(FlowDefinitionError) as info:
        compile_file(FLOW, CompileOptions(config_sources=(("nope", "value", "{}"),)))
    assert "the flow has no config 'nope'" in str(info.value.diagnostics[0])
