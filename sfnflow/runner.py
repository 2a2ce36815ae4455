"""Runner: run or resume a flow file from Python, as Metaflow's Runner does (2.12+).

    with Runner("train.py", show_output=False).run(alpha=0.3) as running:
        print(running.status, running.run.data.best)      # blocking

    async with Runner("train.py") as runner:
        running = await runner.async_run(alpha=0.3)         # returns once the run is recorded
        async for _, line in running.stream_log("stdout"):
            print(line)
        await running.wait(timeout=600)

Each run is `python -m sfnflow run FLOW ...` (or `resume`) in a child process: the flow's
imports, workers and signals stay out of the caller's process, as under Metaflow. The
child writes its run id with --run-id-file once the run is recorded; `running.run` is the
client's Run of that run, read from the store the run went to (not from wherever the
client is pointed at). Keyword arguments of run() are the flow's parameters plus run
options (tags, max_workers); values are handed over as on a command line (JSON for lists
and dicts). A run that fails is returned with `status == "failed"`; a run that never
started (a bad parameter, a broken flow file) raises RunnerError with the command's
one-line error.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any, AsyncIterator, Mapping

from sfn_compiler.contract.task_config import ENV_ROOT
from sfn_compiler.diagnostics import SfnflowError

__all__ = ["ExecutingRun", "Runner", "RunnerError"]

_POLL = 0.05  # seconds between looks at the child (its run-id file, its logs, its exit)
_STOP_GRACE = 10.0  # seconds a stopped run gets to record itself ABORTED before SIGKILL

# Metaflow's top-level options (`Runner(flow, **kwargs)`) and what they mean here.
_IGNORED_TOP = {
    "pylint": "sfnflow checks flows with its own validator",
    "quiet": "", "environment": "sfnflow builds @pypi/@conda environments without a flag",
    "event_logger": "", "monitor": "", "profile": "",
}
_LOCAL_ONLY_TOP = ("metadata", "datastore")


class RunnerError(SfnflowError, RuntimeError):
    """The command never started a run (a RuntimeError, as Metaflow's Runner raises)."""


class _Child:
    """One `python -m sfnflow ...` process, its output in two files."""

    def __init__(self, argv: list[str], env: Mapping[str, str], cwd: str, folder: str) -> None:
        self.argv = argv
        self.log_files = {s: os.path.join(folder, f"{s}.log") for s in ("stdout", "stderr")}
        self.timed_out = False
        with open(self.log_files["stdout"], "wb") as out, open(self.log_files["stderr"], "wb") as err:
            self.process = subprocess.Popen(argv, env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL,
                                            stdout=out, stderr=err)

    @property
    def returncode(self) -> int | None:
        return self.process.poll()

    def read(self, stream: str) -> str:
        with open(self.log_files[stream], "rb") as handle:
            return handle.read().decode("utf-8", "replace")

    def stop(self, grace: float = _STOP_GRACE) -> None:
        """SIGTERM (sfnflow records the run ABORTED and ends its workers), SIGKILL after `grace`."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class _Tee:
    """Copies what the child wrote since the last look to this process's stdout/stderr."""

    def __init__(self, child: _Child) -> None:
        self.child, self.offsets = child, {"stdout": 0, "stderr": 0}

    def pump(self) -> None:
        for stream, target in (("stdout", sys.stdout), ("stderr", sys.stderr)):
            with open(self.child.log_files[stream], "rb") as handle:
                handle.seek(self.offsets[stream])
                data = handle.read()
            if data:
                self.offsets[stream] += len(data)
                target.write(data.decode("utf-8", "replace"))
                target.flush()


class ExecutingRun:
    """A run started by a Runner: the client's `run`, the child's status, output and exit code."""

    def __init__(self, runner: "Runner", child: _Child, run: Any) -> None:
        self.runner, self._child, self.run = runner, child, run

    def __enter__(self) -> "ExecutingRun":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.runner.cleanup()

    @property
    def returncode(self) -> int | None:
        """The child's exit code; None while it runs."""
        return self._child.returncode

    @property
    def status(self) -> str:
        """'running', 'successful', 'failed', or 'timeout' (wait(timeout=...) stopped it)."""
        if self._child.timed_out:
            return "timeout"
        code = self._child.returncode
        return "running" if code is None else "successful" if code == 0 else "failed"

    stdout = property(lambda self: self._child.read("stdout"), doc="The command's stdout so far.")
    stderr = property(lambda self: self._child.read("stderr"), doc="The command's stderr so far.")

    async def wait(self, timeout: float | None = None, stream: str | None = None) -> "ExecutingRun":
        """Until the run ends, printing `stream` ('stdout' or 'stderr') as it comes; past
        `timeout` seconds the run is stopped (recorded ABORTED) and its status is 'timeout'."""
        deadline = None if timeout is None else time.monotonic() + timeout
        position: int | None = None
        while True:
            if stream is not None:
                async for position, line in self.stream_log(stream, position, follow=False):
                    print(line)
            if self._child.returncode is not None:
                if stream is not None:  # what it wrote as it ended
                    async for position, line in self.stream_log(stream, position, follow=False):
                        print(line)
                return self
            if deadline is not None and time.monotonic() >= deadline:
                self._child.timed_out = True
                await asyncio.get_running_loop().run_in_executor(None, self._child.stop)
                print(f"Timeout: run {self.run.pathspec} did not end within {timeout} seconds; it was stopped.")
                return self
            await asyncio.sleep(_POLL)

    async def stream_log(self, stream: str, position: int | None = None,
                         follow: bool = True) -> AsyncIterator[tuple[int, str]]:
        """(position, line) for each whole line of the command's `stream`, from `position`
        (a byte offset a previous call yielded) on, until the command ends."""
        if stream not in self._child.log_files:
            raise ValueError(f"stream_log() reads 'stdout' or 'stderr', not {stream!r}")
        offset = position or 0
        with open(self._child.log_files[stream], "rb") as handle:
            while True:
                ended = self._child.returncode is not None
                handle.seek(offset)
                line = handle.readline()
                if line.endswith(b"\n") or (line and ended):
                    offset = handle.tell()
                    yield offset, line.decode("utf-8", "replace").rstrip("\r\n")
                    continue
                if ended or not follow:  # a partial last line waits for its end
                    return
                await asyncio.sleep(_POLL)

    def __repr__(self) -> str:
        return f"ExecutingRun({self.run.pathspec!r}, status={self.status!r})"


class Runner:
    """Run or resume FLOW_FILE in a child process (Metaflow's Runner).

    `env` adds to this process's environment for the child; `cwd` is the folder it runs in
    (default: the current one; a relative flow_file is relative to it). `**kwargs` are the
    options Metaflow puts before the command: `root=` (or `datastore_root=`) picks the local
    store, `decospecs=["batch"]` runs every step as a Batch job would, and Metaflow's
    `pylint`, `quiet`, `environment`, `metadata="local"`, `datastore="local"` are accepted.
    """

    def __init__(self, flow_file: str, show_output: bool = True, profile: str | None = None,
                 env: Mapping[str, str] | None = None, cwd: str | None = None, file_read_timeout: int = 3600,
                 **kwargs: Any) -> None:
        self.cwd = os.path.abspath(cwd or os.getcwd())
        self.flow_file = os.path.join(self.cwd, flow_file) if not os.path.isabs(flow_file) else flow_file
        if not os.path.isfile(self.flow_file):
            raise RunnerError(f"Runner: no flow file {self.flow_file}. Give the path of a .py file that defines "
                              "a FlowSpec (relative paths are relative to cwd).")
        self.show_output, self.file_read_timeout = show_output, file_read_timeout
        self.env_vars = {**os.environ, **(env or {})}
        self._top = _top_level_options(kwargs)
        self.root = self._store_root()
        self._folder = tempfile.mkdtemp(prefix="sfnflow-runner-")
        self._children: list[_Child] = []

    # -- context managers: cleanup at the end, as Metaflow's Runner does ---------------------
    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.cleanup()

    async def __aenter__(self) -> "Runner":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        """Stop runs still going (they are recorded ABORTED; nothing is left running in the
        background) and delete the captured output."""
        for child in self._children:
            child.stop()
        self._children.clear()
        shutil.rmtree(self._folder, ignore_errors=True)

    # -- blocking ---------------------------------------------------------------------------
    def run(self, **kwargs: Any) -> ExecutingRun:
        """Run the flow with these parameters (and run options); return when it has ended."""
        return self._finish(self._start(self._run_args(kwargs)))

    def resume(self, **kwargs: Any) -> ExecutingRun:
        """Resume a run (`origin_run_id=`, default this flow's latest; `step_to_rerun=`)."""
        return self._finish(self._start(self._resume_args(kwargs)))

    # -- asynchronous: return as soon as the run is recorded ----------------------------------
    async def async_run(self, **kwargs: Any) -> ExecutingRun:
        return await self._started(self._start(self._run_args(kwargs)))

    async def async_resume(self, **kwargs: Any) -> ExecutingRun:
        return await self._started(self._start(self._resume_args(kwargs)))

    # -- the child process ------------------------------------------------------------------
    def _start(self, args: list[str]) -> tuple[_Child, str]:
        os.makedirs(self._folder, exist_ok=True)
        folder = tempfile.mkdtemp(prefix="run-", dir=self._folder)
        id_file = os.path.join(folder, "run-id")
        argv = [sys.executable, "-m", "sfnflow", *args, "--root", self.root, "--run-id-file", id_file]
        child = _Child(argv, self._child_env(), self.cwd, folder)
        self._children.append(child)
        return child, id_file

    def _finish(self, started: tuple[_Child, str]) -> ExecutingRun:
        child, id_file = started
        tee = _Tee(child) if self.show_output else None
        while child.returncode is None:
            if tee is not None:
                tee.pump()
            time.sleep(_POLL)
        if tee is not None:
            tee.pump()
        return ExecutingRun(self, child, self._run_of(child, self._read_id(child, id_file)))

    async def _started(self, started: tuple[_Child, str]) -> ExecutingRun:
        child, id_file = started
        deadline = time.monotonic() + self.file_read_timeout
        while not os.path.exists(id_file) and child.returncode is None and time.monotonic() < deadline:
            await asyncio.sleep(_POLL)
        return ExecutingRun(self, child, self._run_of(child, self._read_id(child, id_file)))

    def _read_id(self, child: _Child, id_file: str) -> str:
        try:
            with open(id_file, encoding="utf-8") as handle:
                return handle.read().strip()
        except FileNotFoundError:
            pass
        if child.returncode is None:  # file_read_timeout passed
            child.stop()
            raise RunnerError(f"{self._command(child)} recorded no run within {self.file_read_timeout} s; "
                              "it was stopped.")
        raise RunnerError(f"{self._command(child)} started no run: {_error_line(child.read('stderr'))}")

    def _run_of(self, child: _Child, run_id: str) -> Any:
        from .client.objects import Run
        from .client.stores import local_stores_at

        stores = local_stores_at(self.root)
        for record_flow in stores.metadata.list_flows():
            if stores.metadata.get_run(record_flow, run_id) is not None:
                return Run(f"{record_flow}/{run_id}", _check=False, _stores=stores)
        raise RunnerError(f"{self._command(child)} wrote run id {run_id}, but {self.root} has no such run.")

    def _command(self, child: _Child) -> str:
        return f"sfnflow {child.argv[3]} {os.path.relpath(self.flow_file, self.cwd)}"

    def _child_env(self) -> dict[str, str]:
        env = dict(self.env_vars)
        # The child runs the sfnflow this process imported (a source checkout, a venv), and
        # prints as it goes, so that stream_log sees lines when they happen.
        source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _store_root(self) -> str:
        """Where the child's runs go: decided here (and handed to it as --root) so that this
        process reads them from the same place, whatever folder the client is pointed at."""
        from runtime.stores.blobs import LOCAL_DIR_NAME, _nearest_root

        given = self._top.get("root") or self.env_vars.get(ENV_ROOT)
        if given:
            return os.path.normpath(os.path.join(self.cwd, given))
        # The child's SFNFLOW_ROOT is unset (env= may clear this process's): the rule of
        # resolve_local_root without it, the nearest .sfnflow/ upward from cwd, else a new one there.
        return _nearest_root(self.cwd) or os.path.join(self.cwd, LOCAL_DIR_NAME)

    # -- keyword arguments to command lines --------------------------------------------------
    def _run_args(self, kwargs: dict[str, Any]) -> list[str]:
        kwargs = dict(kwargs)
        args = ["run", self.flow_file, *self._common(kwargs)]
        kwargs.pop("max_num_splits", None)  # sfnflow has no split limit
        if self._top.get("with"):
            args += ["--with", self._top["with"]]
        for name, value in kwargs.items():
            if value is None:
                continue
            args.append(f"--{name}={_value_text(value)}")
        return args

    def _resume_args(self, kwargs: dict[str, Any]) -> list[str]:
        kwargs = dict(kwargs)
        origin = kwargs.pop("origin_run_id", None) or self._latest_run_id()
        args = ["resume", str(origin), "--flow-file", self.flow_file, *self._common(kwargs)]
        step = kwargs.pop("step_to_rerun", None)
        if step:
            args += ["--from", str(step)]
        if kwargs.pop("force", False):
            args.append("--force")
        if kwargs:
            raise RunnerError(f"resume() does not take {', '.join(sorted(kwargs))}: it takes origin_run_id, "
                              "step_to_rerun, tags, max_workers and force (a resumed run keeps its parameters).")
        return args

    def _common(self, kwargs: dict[str, Any]) -> list[str]:
        args: list[str] = []
        tags = kwargs.pop("tags", None) or ()
        for tag in [tags] if isinstance(tags, str) else tags:
            args += ["--tag", str(tag)]
        workers = kwargs.pop("max_workers", None)
        if workers is not None:
            args += ["--max-workers", str(workers)]
        kwargs.pop("run_id_file", None)  # written by the child; Runner reads its own copy
        return args

    def _latest_run_id(self) -> str:
        """This flow file's latest run (Metaflow's resume without --origin-run-id)."""
        from .client.stores import local_stores_at

        if os.path.isdir(self.root):
            metadata = local_stores_at(self.root).metadata
            same = [r for f in metadata.list_flows() for r in metadata.list_runs(f)
                    if r.flow_file and os.path.abspath(r.flow_file) == os.path.abspath(self.flow_file)]
            if same:
                return max(same, key=lambda r: r.created_at).run_id
        raise RunnerError(f"resume(): no run of {self.flow_file} in {self.root} to resume; run it first, "
                          "or give origin_run_id=.")


def _top_level_options(kwargs: dict[str, Any]) -> dict[str, str]:
    options: dict[str, str] = {}
    for name, value in kwargs.items():
        if name in _IGNORED_TOP:
            continue
        if name in _LOCAL_ONLY_TOP:
            if value not in (None, "local"):
                raise RunnerError(f"Runner({name}={value!r}): sfnflow runs flows locally from Python; "
                                  f"use {name}='local' (deploy and trigger a flow to run it in the cloud).")
        elif name in ("root", "datastore_root"):
            options["root"] = str(value)
        elif name in ("decospecs", "with_"):
            specs = [value] if isinstance(value, str) else list(value or ())
            if any(s != "batch" for s in specs):
                raise RunnerError(f"Runner({name}={value!r}): sfnflow's run takes --with batch only; add other "
                                  "decorators in the flow file.")
            if specs:
                options["with"] = "batch"
        else:
            raise RunnerError(f"Runner() does not take {name}=; it takes root, decospecs=['batch'], env, cwd, "
                              "show_output (and accepts Metaflow's pylint, quiet, environment, metadata='local').")
    return options


def _value_text(value: Any) -> str:
    """A parameter value as the command line spells it (the child types it by the flow's Parameter)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value)
    return str(value)


def _error_line(stderr: str) -> str:
    """The CLI's one-sentence error (`Error: ...`), else the last line the command printed."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("Error: "):
            return line[len("Error: "):]
    return lines[-1] if lines else "it exited without saying why"
