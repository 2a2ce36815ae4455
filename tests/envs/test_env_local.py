"""Step environments in local runs: each step runs on the Python and packages it asks for,
artifacts cross environments by the portability rule, what cannot be given is refused
before anything runs, and a second run reuses the environments.

Small pure-Python packages (six) keep the builds quick; the venvs are built once per test
session into the session's cache (tests/conftest.py), uv's own cache making a rebuild in
a later session a copy.
"""
from __future__ import annotations

import io
import os
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from runtime.stores.artifacts import ArtifactLoadError
from sfnflow import Run, client
from sfnflow.cli import main
from sfn_compiler.compile import compile_file
from sfnflow.environments.interpreters import find_interpreters
from sfnflow.environments.local import prepare_local
from sfnflow.environments.progress import EnvironmentProgress
from sfnflow.local_run import run_locally

HOST = f"{sys.version_info[0]}.{sys.version_info[1]}"
HAVE = {i.minor for i in find_interpreters()}  # the flows below need CPython 3.11 and 3.12 installed

FLOW = '''
import platform
from sfnflow import FlowSpec, pypi, pypi_base, step


def ran():
    try:
        import six
        version = six.__version__
    except ImportError:
        version = None
    return {"python": platform.python_version(), "six": version}


@pypi_base(python="3.12", packages={"six": "1.16.0"})
class EnvsFlow(FlowSpec):
    @step
    def start(self):
        self.ran = ran()
        self.rows = [{"x": 1}, {"x": 2}]
        self.fn = lambda x: x + 1  # pickled by value: bytecode of Python 3.12
        self.next(self.old)

    @pypi(python="3.11", packages={"six": "1.17.0"})
    @step
    def old(self):
        self.ran = ran()
        self.total = sum(r["x"] for r in self.rows)  # plain data crosses environments
        try:
            self.fn(1)
        except Exception as exc:
            self.fn_error = str(exc)
        self.next(self.host)

    @pypi(disabled=True)
    @step
    def host(self):
        self.ran = ran()
        self.next(self.end)

    @step
    def end(self):
        self.ran = ran()
        self.fn_result = self.fn(1)  # back on 3.12: loads
'''


def write(folder: Path, source: str) -> Path:
    path = folder / f"envs_{uuid.uuid4().hex[:8]}.py"
    path.write_text(textwrap.dedent(source).lstrip())
    return path


def run(path: Path, root: Path, progress: io.StringIO) -> object:
    compiled = compile_file(str(path))
    envs = prepare_local(compiled.graph.name, compiled.model, str(root), progress=EnvironmentProgress(progress))
    return run_locally(str(path), compiled.graph, compiled, {}, root=str(root), max_workers=1, environments=envs)


@pytest.fixture(scope="module")
def envs_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object, str]:
    folder = tmp_path_factory.mktemp("envs")
    path, root = write(folder, FLOW), folder / "store"
    progress = io.StringIO()
    return path, root, run(path, root, progress), progress.getvalue()


def test_each_step_runs_on_the_python_and_packages_it_asks_for(envs_run) -> None:
    path, root, result, progress = envs_run
    assert result.status == "SUCCEEDED", result.error
    client.set_root(str(root))
    try:
        run = Run(f"EnvsFlow/{result.run_id}")
        ran = {step: run[step].task.data.ran for step in ("start", "old", "host", "end")}
        old = run["old"].task.data
        assert old.total == 3
        assert "'fn' was written on Python 3.12" in old.fn_error and "Python 3.11 cannot load" in old.fn_error
        assert run["end"].task.data.fn_result == 2
        # The notebook (this process) reads plain data from any environment; code only on 3.12.
        assert run["start"].task.data.rows == [{"x": 1}, {"x": 2}]
        if HOST == "3.12":
            assert run["start"].task.data.fn(1) == 2
        else:
            with pytest.raises(ArtifactLoadError, match=rf"'fn' was written on Python 3.12 .* Python {HOST} cannot load"):
                run["start"].task.data.fn
    finally:
        client.set_root(None)
    assert ran["start"]["python"].startswith("3.12.") and ran["start"]["six"] == "1.16.0"
    assert ran["end"] == ran["start"]
    assert ran["old"]["python"].startswith("3.11.") and ran["old"]["six"] == "1.17.0"
    assert ran["host"]["python"] == ".".join(map(str, sys.version_info[:3]))  # disabled: sfnflow's own Python
    assert "Resolving environment py312_1 for steps 'start' and 'end'" in progress
    assert "Building environment py311_2 (Python 3.11." in progress or "py311_2: built before" in progress


def test_a_second_run_reuses_the_lock_and_the_environments(envs_run) -> None:
    path, root, _first, _progress = envs_run
    lock = root / "environments" / "EnvsFlow.lock.json"
    before = lock.read_text()
    progress = io.StringIO()
    second = run(path, root, progress)
    assert second.status == "SUCCEEDED", second.error
    assert "Resolving" not in progress.getvalue() and "Building" not in progress.getvalue()
    assert "Environments py312_1, py311_2: built before, reused" in progress.getvalue()
    assert lock.read_text() == before


def test_a_python_the_machine_lacks_is_refused_before_anything_runs(tmp_path: Path) -> None:
    missing = next(v for v in ("3.19", "3.18", "3.17") if v not in HAVE)
    path = write(tmp_path, FLOW.replace('python="3.11"', f'python="{missing}"'))
    result = CliRunner().invoke(main, ["run", str(path), "--root", str(tmp_path / "store")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert lines[0].startswith(f"Error: step 'old' (@pypi_base(python='3.12', packages={{'six': '1.16.0'}}) + "
                               f"@pypi(python='{missing}', packages={{'six': '1.17.0'}})) asks for Python {missing}, "
                               "which this machine does not have (it has ")
    assert "3.12." in lines[0] and "3.11." in lines[0]
    assert not (tmp_path / "store" / "metadata.sqlite").exists() and not list((tmp_path / "store").glob("**/EnvsFlow"))


@pytest.mark.parametrize("python", ["3.6", "3.7"])
def test_a_python_below_sfnflows_floor_is_refused_in_one_sentence(tmp_path: Path, python: str) -> None:
    path = write(tmp_path, FLOW.replace('@pypi_base(python="3.12"', f'@pypi_base(python="{python}"'))
    result = CliRunner().invoke(main, ["run", str(path), "--root", str(tmp_path / "store")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"Error: {path}:")
    assert (f"flow 'EnvsFlow': @pypi_base asks for Python {python}, but sfnflow's runtime needs Python 3.10 "
            "or newer. Ask for python='3.10' or newer") in line


def test_a_package_pypi_does_not_have_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, FLOW.replace('packages={"six": "1.17.0"}', 'packages={"sfnflow-no-such-package-x": "1.0"}'))
    result = CliRunner().invoke(main, ["run", str(path), "--root", str(tmp_path / "store")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert ("asks for a package PyPI does not have: 'sfnflow-no-such-package-x'; check the spelling on "
            "https://pypi.org") in result.output
    assert "step 'old'" in result.output


def test_show_lists_each_environment_as_written_and_its_locked_versions(envs_run, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path, root, _result, _progress = envs_run
    monkeypatch.setenv("SFNFLOW_ROOT", str(root))
    shown = CliRunner().invoke(main, ["show", str(path)])
    assert shown.exit_code == 0, shown.output
    text = shown.output
    old = next(line for line in text.splitlines() if line.startswith("  old "))
    assert old.endswith("lambda 1024 MB 900 s env py311_2")
    assert "@pypi(python='3.11', packages={'six': '1.17.0'})" in text and "@packages" not in text
    assert "  py312_1  steps start, end\n    @pypi_base(python='3.12', packages={'six': '1.16.0'})\n" in text
    assert "locked for linux-x86_64, Python 3.11." in text and "six==1.17.0" in text
    monkeypatch.setenv("SFNFLOW_ROOT", str(tmp_path / "fresh"))
    fresh = CliRunner().invoke(main, ["show", str(path)]).output
    assert fresh.count("not resolved yet: the first run (or deploy) locks exact versions") == 2


def test_a_crashed_environment_worker_is_replaced_by_a_fresh_one_of_that_interpreter(tmp_path: Path) -> None:
    path = write(tmp_path, '''
        import os, platform
        from sfnflow import FlowSpec, pypi, retry, step, current

        class CrashFlow(FlowSpec):
            @retry(times=1, minutes_between_retries=0)
            @pypi(python="3.12", packages={"six": "1.16.0"})
            @step
            def start(self):
                if current.retry_count == 0:
                    os._exit(3)  # the worker process dies mid-task
                self.python = platform.python_version()
                self.next(self.end)

            @step
            def end(self):
                pass
    ''')
    result = run(path, tmp_path / "store", io.StringIO())
    assert result.status == "SUCCEEDED", result.error
    client.set_root(str(tmp_path / "store"))
    task = Run(f"CrashFlow/{result.run_id}")["start"].task
    assert task.data.python.startswith("3.12.")
    assert task.metadata_dict["attempts"] == 2  # the crashed attempt, then the replacement worker's
    assert task.environment_info["python_version"] == task.data.python
    assert task.environment_info["environment"] == lock_hash(tmp_path / "store", "CrashFlow")


def lock_hash(root: Path, flow: str) -> str:
    import json

    (entry,) = json.loads((root / "environments" / f"{flow}.lock.json").read_text())["entries"].values()
    return entry["hash"]


def test_metaflows_environment_option_is_accepted(envs_run, tmp_path: Path) -> None:
    path, _root, _result, _progress = envs_run
    for args in (["--environment=conda", "show", str(path)], ["--environment", "pypi", "show", str(path)]):
        assert CliRunner().invoke(main, args).exit_code == 0
    import subprocess

    path = write(tmp_path, FLOW + "\n\nif __name__ == '__main__':\n    EnvsFlow()\n")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]), SFNFLOW_ROOT=str(tmp_path))
    done = subprocess.run([sys.executable, str(path), "--environment=conda", "show"], capture_output=True, text=True,
                          env=env)
    assert done.returncode == 0 and "Environments" in done.stdout, done.stderr
