"""Runner / NBRunner as Metaflow 2.12+ documents them: blocking and async runs and resumes
of a flow file in a child process, with parameters, returning the client's Run."""
from __future__ import annotations

import asyncio
import os
import textwrap
from pathlib import Path

import pytest

from sfnflow import Flow, Runner, client
from sfnflow.runner import RunnerError

FLOW = textwrap.dedent('''
    import os
    import time
    from sfnflow import FlowSpec, JSONType, Parameter, step


    class RunnerFlow(FlowSpec):
        alpha = Parameter("alpha", default=1)
        loud = Parameter("loud", default=False, type=bool)
        config = Parameter("config", default='{"k": 0}', type=JSONType)
        gate = Parameter("gate", default="")  # a file the start step waits for ("" = none)
        fail_unless = Parameter("fail_unless", default="")  # a file that must exist, else the step fails

        @step
        def start(self):
            print("start says hello", flush=True)
            waited = 0
            while self.gate and not os.path.exists(self.gate):
                time.sleep(0.02)
                waited += 1
                if waited > 6000:  # two minutes: a broken test fails instead of hanging
                    raise TimeoutError("the gate file never appeared")
            self.next(self.middle)

        @step
        def middle(self):
            if self.fail_unless and not os.path.exists(self.fail_unless):
                raise ValueError("the file is missing")
            self.value = self.alpha * self.config["k"]
            self.next(self.end)

        @step
        def end(self):
            self.shout = "HI" if self.loud else "hi"
            print("end value", self.value)


    if __name__ == "__main__":
        RunnerFlow()
''')


@pytest.fixture
def flow_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "runner_flow.py").write_text(FLOW)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SFNFLOW_ROOT", raising=False)
    return tmp_path


def test_blocking_run_takes_parameters_and_returns_the_run(flow_dir: Path, capsys: pytest.CaptureFixture) -> None:
    other = flow_dir / "elsewhere"
    other.mkdir()
    client.set_root(str(other))  # the client points elsewhere: running.run still reads the run's own store
    with Runner("runner_flow.py").run(alpha=3, loud=True, config={"k": 2}, tags=["exp", "v2"]) as running:
        assert running.status == "successful" and running.returncode == 0
        run = running.run
        assert run.successful and run.finished
        assert run.data.value == 6 and run.data.shout == "HI"
        assert run.user_tags == {"exp", "v2"}
        assert run.parameters["alpha"] == 3
        assert run.id in running.stderr
    shown = capsys.readouterr()
    assert "end value 6" in shown.out + shown.err  # show_output=True copies the child's output here
    assert (flow_dir / ".sfnflow").is_dir()  # the flow's own store, as `sfnflow run` would choose
    client.set_root(str(flow_dir / ".sfnflow"))
    assert Flow("RunnerFlow").latest_run.id == run.id


def test_failed_run_is_returned_with_failed_status(flow_dir: Path) -> None:
    with Runner("runner_flow.py", show_output=False).run(fail_unless=str(flow_dir / "nope")) as running:
        assert running.status == "failed" and running.returncode == 1
        assert not running.run.successful and running.run.data is None
        assert running.run["middle"].task.exception.type == "builtins.ValueError"


def test_a_run_that_never_starts_raises_one_sentence(flow_dir: Path) -> None:
    with Runner("runner_flow.py", show_output=False) as runner:
        with pytest.raises(RunnerError) as raised:
            runner.run(alpah=3)
    message = str(raised.value)
    assert message.startswith("sfnflow run runner_flow.py started no run: unknown parameter --alpah.")
    assert "Traceback" not in message and "\n" not in message
    assert not (flow_dir / ".sfnflow").exists() or not os.listdir(flow_dir / ".sfnflow" / "RunnerFlow")


def test_runner_refuses_what_it_cannot_do(flow_dir: Path) -> None:
    with pytest.raises(RunnerError, match="no flow file"):
        Runner("missing.py")
    with pytest.raises(RunnerError, match="metadata='local'"):
        Runner("runner_flow.py", metadata="service")
    Runner("runner_flow.py", pylint=False, environment="pypi").cleanup()  # Metaflow's habits are accepted
    from sfnflow import Deployer  # the deployed counterpart, sfnflow/deployer.py

    assert Deployer.__module__ == "sfnflow.deployer"


def test_async_run_returns_while_running_and_streams_its_log(flow_dir: Path) -> None:
    gate = flow_dir / "go"

    async def scenario() -> tuple[str, str, list[str], str, str]:
        async with Runner("runner_flow.py", show_output=False) as runner:
            running = await runner.async_run(gate=str(gate), alpha=2, config={"k": 5})
            status, recorded = running.status, running.run.status
            lines = []
            async for _, line in running.stream_log("stderr"):
                lines.append(line)
                if "started" in line:
                    gate.write_text("open")  # the start step waits for this: the run cannot have ended before
            await running.wait()
            return status, recorded, lines, running.status, running.run.data.value

    status, recorded, lines, final, value = asyncio.run(asyncio.wait_for(scenario(), 120))
    assert (status, recorded) == ("running", "RUNNING")
    assert any("end value 10" in line for line in lines)
    assert final == "successful" and value == 10


def test_wait_with_a_timeout_stops_the_run(flow_dir: Path, capsys: pytest.CaptureFixture) -> None:
    async def scenario() -> tuple[str, str]:
        runner = Runner("runner_flow.py", show_output=False)
        try:
            running = await runner.async_run(gate=str(flow_dir / "never"))
            await running.wait(timeout=0.5)
            return running.status, running.run.status
        finally:
            runner.cleanup()

    assert asyncio.run(asyncio.wait_for(scenario(), 120)) == ("timeout", "ABORTED")
    assert "did not end within 0.5 seconds" in capsys.readouterr().out


def test_resume_reruns_the_failed_step_of_the_latest_run(flow_dir: Path) -> None:
    needed = flow_dir / "needed"
    with Runner("runner_flow.py", show_output=False) as runner:
        first = runner.run(alpha=4, config={"k": 1}, fail_unless=str(needed)).run
        assert not first.successful
        needed.write_text("here")
        resumed = runner.resume()
        assert resumed.status == "successful"
        assert resumed.run.origin_run_id == first.id
        assert resumed.run.data.value == 4  # the origin run's parameters
        assert resumed.run["start"].task.origin_pathspec == f"RunnerFlow/{first.id}/start/0"
        again = runner.resume(origin_run_id=resumed.run.id, step_to_rerun="end")
        assert again.run.successful and again.run.origin_run_id == resumed.run.id
        assert again.run["middle"].task.origin_pathspec == f"RunnerFlow/{resumed.run.id}/middle/0"
        assert again.run["end"].task.origin_pathspec is None  # rerun, not reused
        with pytest.raises(RunnerError, match="does not take alpha"):
            runner.resume(alpha=2)


def test_nbrunner_runs_the_flow_of_a_notebook_cell(flow_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    monkeypatch.setenv("IPYTHONDIR", str(flow_dir / "ipython"))
    config = Config()
    config.HistoryManager.hist_file = ":memory:"  # the cell history, without a database left behind
    shell = InteractiveShell.instance(config=config)
    try:
        cell = FLOW.split('if __name__ == "__main__":')[0] + textwrap.dedent('''
            from sfnflow import NBRunner
            nb_run = NBRunner(RunnerFlow, show_output=False).nbrun(alpha=5, config={"k": 3})
        ''')
        outcome = shell.run_cell(cell, store_history=True)
        outcome.raise_error()
        run = shell.user_ns["nb_run"]
        assert run.successful and run.data.value == 15
        assert [p.name for p in flow_dir.glob("RunnerFlow*.py")] == []  # the cell's file is cleaned up
    finally:
        InteractiveShell.clear_instance()
