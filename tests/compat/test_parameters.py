"""Parameters, IncludeFile and `current`, as Metaflow 2.19 gives them, through the command line
(`python flow.py run`, as a Metaflow user starts a flow).

Expected values: Metaflow 2.19.39 run here on the same flows
(`METAFLOW_RUN_NO_DEFAULT_PARAM=from-env python tests/compat/metaflow_reference.py parameters_flow`,
`... include_flow`, `... current_flow`, USERNAME=compat, 2026-12-01).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from compatrun import FLOWS

from sfnflow import Flow, client

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def cli_run(root: Path, name: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.endswith("_USER") and k not in ("USER", "USERNAME")}
    environ.update(SFNFLOW_ROOT=str(root), USERNAME="compat", PYTHONPATH=str(REPO), **env)
    done = subprocess.run([sys.executable, str(FLOWS / f"{name}.py"), "run", *args], cwd=FLOWS, env=environ,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    client.set_root(str(root))
    return done


def test_parameters(tmp_path: Path) -> None:
    done = cli_run(tmp_path / "store", "parameters_flow", METAFLOW_RUN_NO_DEFAULT_PARAM="from-env")
    data = Flow("ParametersCompatFlow").latest_run.data
    # Metaflow: list_param ['a', 'b', 'c'], no_default_param 'from-env', inp 'in', int_param 7,
    # assigned 'AttributeError', from_context 'ParametersCompatFlow|compat|from_context|True|local'
    assert data.list_param == ["a", "b", "c"]
    assert data.no_default_param == "from-env"
    assert data.inp == "in" and data.int_param == 7
    assert data.assigned == "AttributeError"
    assert data.from_context == "ParametersCompatFlow|compat|from_context|True|local"
    # sfnflow also says so before the run (Metaflow says nothing)
    assert "warning:" in done.stderr and "sets self.int_param" in done.stderr


def test_parameters_sfnflow_environment_spelling_wins(tmp_path: Path) -> None:
    cli_run(tmp_path / "store", "parameters_flow", "--list_param", "x,y", METAFLOW_RUN_NO_DEFAULT_PARAM="mf",
            SFNFLOW_RUN_NO_DEFAULT_PARAM="sf")
    data = Flow("ParametersCompatFlow").latest_run.data
    assert data.no_default_param == "sf" and data.list_param == ["x", "y"]


def test_include_file(tmp_path: Path) -> None:
    cli_run(tmp_path / "store", "include_flow")
    data = Flow("IncludeCompatFlow").latest_run.data
    # Metaflow: text 'café crème\n' (latin-1), blob b'\x00\x01\x02binary\xff', missing_ok None
    assert data.text == "café crème\n"
    assert data.blob == b"\x00\x01\x02binary\xff"
    assert data.missing_ok is None


def test_include_file_given_on_the_command_line_relative_to_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "other.txt").write_text("other text")
    environ = dict(os.environ, SFNFLOW_ROOT=str(tmp_path / "store"), PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, str(FLOWS / "include_flow.py"), "run", "--text", "other.txt"],
                          cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    client.set_root(str(tmp_path / "store"))
    assert Flow("IncludeCompatFlow").latest_run.data.text == "other text"
    missing = subprocess.run([sys.executable, str(FLOWS / "include_flow.py"), "run", "--text", "nope.txt"],
                             cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=120)
    assert missing.returncode != 0 and "no file at" in missing.stderr and "Traceback" not in missing.stderr


def test_current(tmp_path: Path) -> None:
    cli_run(tmp_path / "store", "current_flow")
    run = Flow("CurrentCompatFlow").latest_run
    data = run.data
    # Metaflow: username 'compat', namespace 'user:compat', parameter_names ['alpha'], step_name 'start',
    # tags a set without the user's system tag, current.run / current.task the client objects
    assert data.fields == {"username": "compat", "namespace": "user:compat", "parameter_names": ["alpha"],
                           "step_name": "start", "pathspec_parts": ["CurrentCompatFlow", "start"],
                           "tags_is_set": True, "user_tag": False, "is_running_flow": True}
    assert data.run_pathspec == run.pathspec
    assert data.task_pathspec == f"{run.pathspec}/start/0"
    # Metaflow: graph types {'start': 'start', 'middle': 'linear', 'end': 'end'}, next as in the source
    assert data.graph_types == {"start": "start", "middle": "linear", "end": "end"}
    assert data.graph_next == {"start": ["middle"], "middle": ["end"], "end": []}


@pytest.mark.parametrize("variable", ["METAFLOW_USER", "SUDO_USER", "USERNAME", "USER"])
def test_username_from_metaflows_variables(tmp_path: Path, variable: str) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.endswith("_USER") and k not in ("USER", "USERNAME")}
    environ.update({variable: f"u-{variable.lower()}", "SFNFLOW_ROOT": str(tmp_path / "store"),
                    "PYTHONPATH": str(REPO)})
    done = subprocess.run([sys.executable, str(FLOWS / "current_flow.py"), "run"], cwd=FLOWS, env=environ,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    client.set_root(str(tmp_path / "store"))
    client.namespace(None)
    assert Flow("CurrentCompatFlow").latest_run.data.fields["username"] == f"u-{variable.lower()}"
