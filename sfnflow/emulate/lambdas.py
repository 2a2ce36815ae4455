"""Lambda functions that really run their code, without Docker: one interface, two runners.

moto's Lambda service (patched in moto_services.py) hands every invocation to the
owner's `LambdaRunner`: `runner(fn, event) -> (payload JSON, errored, logs)`, where `fn`
is moto's LambdaFunction (its code zip, handler, environment, timeout). Both runners
unpack each function's code zip once (CodeFolders), build the handler's environment the
same way (`lambda_environment`) and make the call through lambda_bootstrap.invoke, with
its one LambdaContext:

* InProcessLambdaRunner (MotoCloud, the in-process mock): the handler runs in this
  process, one invocation at a time. Fast (no interpreter start per call), but it has
  to borrow process-wide state for the call; `_borrowed_process` is the one place that
  does, and says how.
* ChildProcessLambdaRunner (the Emulator, a moto server): each invocation in a fresh
  Python process started in the unpacked package, calling back into moto over HTTP.
  Isolated and concurrent, ~0.5 s per call.

Not enforced by either: the function's memory size; the in-process runner does not
enforce its Timeout either (a handler abandoned by TimeoutSeconds runs until it returns).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Iterator, Mapping, Protocol

from sfn_compiler.contract.task_config import is_setting

from . import lambda_bootstrap

__all__ = ["ChildProcessLambdaRunner", "CodeFolders", "InProcessLambdaRunner", "LambdaRunner",
           "lambda_environment"]


class LambdaRunner(Protocol):
    """What moto's patched Lambda service calls (PatchHooks.lambda_runner)."""

    def __call__(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        """Run one invocation of moto LambdaFunction `fn`: (payload JSON, errored, logs)."""

    def drain(self, timeout: float = 120.0) -> bool:
        """Wait until no invocation runs; False if one still does after `timeout` seconds."""

    def close(self) -> None:
        """Forget every unpacked function."""


def lambda_environment(fn: Any, inherited: Mapping[str, str], endpoint: str | None = None) -> dict[str, str]:
    """The environment a handler sees: `inherited` less the caller's sfnflow settings, what
    Lambda sets, then the function's own variables.

    With `endpoint` (the handler calls moto over HTTP from another process) the caller's
    AWS_* / MOTO_* settings are dropped too, and the endpoint and fake credentials set.
    """
    dropped = ("AWS_", "MOTO_") if endpoint else ()
    env = {k: v for k, v in inherited.items() if not (is_setting(k) or k.startswith(dropped))}
    env.update({
        "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": fn.region,
        "AWS_DEFAULT_REGION": fn.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
    })
    if endpoint:
        env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    env.update({k: str(v) for k, v in (fn.environment_vars or {}).items()})
    return env


def _context(fn: Any) -> lambda_bootstrap.LambdaContext:
    return lambda_bootstrap.LambdaContext(fn.function_name, fn.function_arn, int(fn.memory_size), int(fn.timeout))


@dataclass
class _Unpacked:
    """One function's code package, unpacked (its /var/task), and the modules loaded from it."""

    folder: str
    tops: frozenset[str]  # top-level module names the zip provides
    modules: dict[str, ModuleType] = field(default_factory=dict)  # in-process runner only


class CodeFolders:
    """Each function's code zip unpacked once, per (function ARN, code sha256)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._unpacked: dict[tuple[str, str], _Unpacked] = {}

    def get(self, fn: Any) -> _Unpacked:
        key = (fn.function_arn, fn.code_sha_256)
        with self._lock:
            found = self._unpacked.get(key)
            if found is None:
                folder = tempfile.mkdtemp(prefix=f"sfnflow-lambda-{fn.function_name}-")
                with zipfile.ZipFile(io.BytesIO(fn.code_bytes)) as archive:
                    archive.extractall(folder)
                    names = archive.namelist()
                tops = frozenset(n.split("/", 1)[0].removesuffix(".py") for n in names if not n.startswith("__"))
                found = self._unpacked[key] = _Unpacked(folder, tops)
            return found

    def remove_all(self) -> None:
        with self._lock:
            for unpacked in self._unpacked.values():
                unpacked.modules.clear()
                shutil.rmtree(unpacked.folder, ignore_errors=True)
            self._unpacked.clear()


# -- in this process ---------------------------------------------------------------------------
def _take_modules(tops: frozenset[str]) -> dict[str, ModuleType]:
    """Remove and return every loaded module under one of these top-level names."""
    taken = {name: mod for name, mod in list(sys.modules.items()) if name.partition(".")[0] in tops}
    for name in taken:
        sys.modules.pop(name, None)
    return taken


@contextlib.contextmanager
def _borrowed_process(unpacked: _Unpacked, env: dict[str, str]) -> Iterator[None]:
    """Make this process look like the function's container for one call, then give it back.

    What a handler reads from its process is process-wide in Python, so for the call:
    * sys.modules: the modules the zip provides (`runtime`, `sfn_compiler`, `sfnflow`,
      `cloudpickle`, the flow and its local modules) are swapped for the function's own
      copies (kept warm between its calls), so the code that runs is the packaged code;
    * sys.path gets the unpacked folder first; the working folder is the unpacked folder
      (/var/task: relative paths behave as on Lambda);
    * os.environ is replaced by a new mapping, whole: moto's threads copy os.environ while
      they make boto3 clients, and a key deleted under them raises KeyError there (seen as
      States.Runtime in a 2,000-way foreach). Subprocesses the step starts inherit the
      process's C-level environment, not this mapping.
    Callers hold the runner's lock: one borrowed call at a time.
    """
    theirs = _take_modules(unpacked.tops)
    sys.modules.update(unpacked.modules)
    saved_path, saved_env, saved_cwd = list(sys.path), os.environ, os.getcwd()
    sys.path.insert(0, unpacked.folder)
    os.environ = env  # type: ignore[assignment]
    os.chdir(unpacked.folder)
    try:
        yield
    finally:
        unpacked.modules = _take_modules(unpacked.tops)
        sys.modules.update(theirs)
        sys.path[:] = saved_path
        os.environ = saved_env
        os.chdir(saved_cwd)


class InProcessLambdaRunner:
    """Runs a handler in this process from its own code package (see `_borrowed_process`)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # one borrowed call at a time
        self._folders = CodeFolders()
        self.invocations = 0

    def __call__(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        if isinstance(event, (str, bytes)):
            event = json.loads(event or "{}")
        with self._lock:
            self.invocations += 1
            unpacked = self._folders.get(fn)
            env = lambda_environment(fn, dict(os.environ))
            with _borrowed_process(unpacked, env):
                payload, errored = lambda_bootstrap.invoke(fn.handler, event, _context(fn), unpacked.folder)
            return payload, errored, ""

    def warm(self, fn: Any) -> None:
        """Lambda's init phase, done ahead: unpack the function's code and import its handler module.

        A first invocation would otherwise pay it inside the calling state's TimeoutSeconds,
        and a loaded machine can stretch a cold import past a short limit (the timeout
        example's 2 s). Like provisioned concurrency: the handler itself is not called.
        """
        with self._lock:
            unpacked = self._folders.get(fn)
            with _borrowed_process(unpacked, lambda_environment(fn, dict(os.environ))):
                lambda_bootstrap.import_handler(fn.handler, unpacked.folder)

    def drain(self, timeout: float = 120.0) -> bool:
        if not self._lock.acquire(timeout=timeout):
            return False
        self._lock.release()
        return True

    def close(self) -> None:
        with self._lock:
            self._folders.remove_all()


# -- in a child process --------------------------------------------------------------------------
_BOOTSTRAP_SOURCE: list[str] = []


def _bootstrap_source() -> str:
    if not _BOOTSTRAP_SOURCE:
        with open(lambda_bootstrap.__file__, encoding="utf-8") as f:
            _BOOTSTRAP_SOURCE.append(f.read())
    return _BOOTSTRAP_SOURCE[0]


class ChildProcessLambdaRunner:
    """Runs each invocation in a fresh Python process that calls moto back at `endpoint`."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self._folders = CodeFolders()
        self._running = 0
        self._idle = threading.Condition()
        self.invocations = 0

    def python(self, fn: Any) -> str:
        """The interpreter playing the function's runtime (a subclass picks by fn.run_time)."""
        return sys.executable

    def pythonpath(self, fn: Any, code_folder: str) -> list[str]:
        """sys.path entries before the interpreter's own: the code package (/var/task)."""
        return [code_folder]

    def __call__(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        from .cloudwatch_logs import lambda_stream, merged_output, write_lines

        group, stream = lambda_stream(fn)  # as Lambda does, the code is told where its lines go
        payload, errored, logs, printed = self._invoke(fn, event, group, stream)
        write_lines(fn.logs_backend, group, stream, merged_output(printed, logs))
        return payload, errored, logs

    def _invoke(self, fn: Any, event: Any, group: str, stream: str) -> tuple[str, bool, str, str]:
        unpacked = self._folders.get(fn)
        env = lambda_environment(fn, dict(os.environ), endpoint=self.endpoint)
        env.update(PYTHONPATH=os.pathsep.join(self.pythonpath(fn, unpacked.folder)), PYTHONDONTWRITEBYTECODE="1",
                   AWS_LAMBDA_LOG_GROUP_NAME=group, AWS_LAMBDA_LOG_STREAM_NAME=stream)
        body = event if isinstance(event, str) else json.dumps(event)
        argv = [self.python(fn), "-c", _bootstrap_source(), fn.handler, fn.function_name, fn.function_arn,
                str(int(fn.memory_size)), str(int(fn.timeout or 900))]
        with self._idle:
            self._running += 1
            self.invocations += 1
        try:
            done = subprocess.run(argv, input=body, cwd=unpacked.folder, env=env, capture_output=True, text=True,
                                  timeout=int(fn.timeout or 900))
        except subprocess.TimeoutExpired as exc:
            printed, logs = _text(exc.stdout), _text(exc.stderr) + f"\nTask timed out after {fn.timeout} seconds"
            return json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out"}), True, logs, printed
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()
        logs = done.stderr
        printed = "\n".join(line for line in done.stdout.splitlines()
                            if not line.startswith(lambda_bootstrap.RESULT_MARKER))
        for line in reversed(done.stdout.splitlines()):
            if line.startswith(lambda_bootstrap.RESULT_MARKER):
                out = json.loads(line[len(lambda_bootstrap.RESULT_MARKER):])
                return str(out["payload"]), bool(out["errored"]), logs, printed
        error = {"errorType": "Runtime.ExitError", "errorMessage": f"exit {done.returncode}: {logs[-2000:]}"}
        return json.dumps(error), True, logs, printed

    def drain(self, timeout: float = 120.0) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout=timeout)

    def close(self) -> None:
        self._folders.remove_all()


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")
