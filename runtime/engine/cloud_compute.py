"""Lambda functions and Batch jobs that really run, for the cloud harness (cloud_harness.py).

moto can run neither without Docker. The harness installs moto_patches.install_cloud()
and points its hooks here:

* `LambdaRunner(fn, event)` runs a moto Lambda function's handler from the function's
  own code zip, in this process, one invocation at a time. Each function gets a warm
  "container": its zip unpacked once, and its own set of the modules the zip holds
  (`runtime`, `sfn_compiler`, `sfnflow`, `cloudpickle`, the flow and its local modules),
  swapped into `sys.modules` for the call and out again after it. So the code that runs
  is the packaged code, not the test process's copy: a module missing from the package
  fails here as it would on Lambda. os.environ (a plain dict for the call: the caller's
  variables less its SFNFLOW_* settings, plus the function's), sys.path and the working
  folder (the unpacked zip, as /var/task) are set for the call and restored after it.
  (Subprocesses the step starts inherit the process's C-level environment, not that dict.)
  An exception becomes Lambda's `{"errorType": <class name>, ...}` with FunctionError
  set, so Step Functions matches Retry/Catch on the class name.
* `BatchRunner(job)` runs a moto Batch job's command (the envelope's
  `python -m runtime.batch_main ...`) as a local subprocess in an empty folder, like an
  image with sfnflow installed: the job fetches the flow's code package from S3 through
  a moto server on 127.0.0.1 (the state is shared with the in-process mock). Exit code 0
  is SUCCEEDED, anything else FAILED.

Limits (in-process Lambda): invocations are serialised; a handler abandoned by
TimeoutSeconds keeps running (and holding the lock) until it returns; the function's
own Timeout and memory size are not enforced. This module does not import moto.
"""
from __future__ import annotations

import importlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
import zipfile
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from sfn_compiler.contract.task_config import is_setting

__all__ = ["BatchJobRun", "BatchRunner", "LambdaRunner"]


def _lambda_environment(fn: Any) -> dict[str, str]:
    """The caller's environment less its sfnflow settings, plus what Lambda sets, plus the function's."""
    env = {k: v for k, v in dict(os.environ).items() if not is_setting(k)}
    env.update({
        "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": fn.region,
        "AWS_DEFAULT_REGION": fn.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
    })
    env.update({k: str(v) for k, v in (fn.environment_vars or {}).items()})
    return env


class _Context:
    """The parts of Lambda's context object a handler may read."""

    def __init__(self, fn: Any) -> None:
        self.function_name = fn.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = fn.function_arn
        self.memory_limit_in_mb = int(fn.memory_size)
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{fn.function_name}"
        self.log_stream_name = self.aws_request_id
        self._deadline = time.monotonic() + int(fn.timeout)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class _Container:
    """One function's warm container: its unpacked zip and its own modules."""

    folder: str
    tops: frozenset[str]  # top-level module names the zip provides
    modules: dict[str, ModuleType] = field(default_factory=dict)
    invocations: int = 0


def _take_modules(tops: frozenset[str]) -> dict[str, ModuleType]:
    """Remove and return every loaded module under one of these top-level names."""
    taken = {name: mod for name, mod in list(sys.modules.items()) if name.partition(".")[0] in tops}
    for name in taken:
        sys.modules.pop(name, None)
    return taken


class LambdaRunner:
    """HOOKS.lambda_runner: run a moto LambdaFunction's real handler (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # os.environ, sys.modules, sys.path and cwd are process-wide
        self._containers: dict[tuple[str, str], _Container] = {}
        self.invocations = 0

    def __call__(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        if isinstance(event, (str, bytes)):
            event = json.loads(event or "{}")
        with self._lock:
            self.invocations += 1
            container = self._container(fn)
            container.invocations += 1
            return self._invoke(fn, container, event)

    def _container(self, fn: Any) -> _Container:
        key = (fn.function_arn, fn.code_sha_256)
        found = self._containers.get(key)
        if found is None:
            folder = tempfile.mkdtemp(prefix=f"sfnflow-lambda-{fn.function_name}-")
            with zipfile.ZipFile(io.BytesIO(fn.code_bytes)) as archive:
                archive.extractall(folder)
                names = archive.namelist()
            tops = frozenset(n.split("/", 1)[0].removesuffix(".py") for n in names if not n.startswith("__"))
            found = self._containers[key] = _Container(folder, tops)
        return found

    def _invoke(self, fn: Any, container: _Container, event: Any) -> tuple[str, bool, str]:
        theirs = _take_modules(container.tops)
        sys.modules.update(container.modules)
        saved_path, saved_env, saved_cwd = list(sys.path), os.environ, os.getcwd()
        sys.path.insert(0, container.folder)
        # A new mapping swapped in whole, never the shared one edited key by key: moto's
        # threads copy os.environ while they make boto3 clients, and a key deleted under
        # them raises KeyError there (seen as States.Runtime in a 2,000-way foreach).
        os.environ = _lambda_environment(fn)  # type: ignore[assignment]
        os.chdir(container.folder)  # /var/task: relative paths behave as on Lambda
        try:
            module_name, _, attr = fn.handler.rpartition(".")
            module = importlib.import_module(module_name)
            where = os.path.abspath(getattr(module, "__file__", "") or "")
            if not where.startswith(os.path.abspath(container.folder) + os.sep):
                raise ImportError(f"handler module {module_name} was imported from {where}, not from the "
                                  f"function's code package; the harness's module isolation failed")
            result = getattr(module, attr)(event, _Context(fn))
            return json.dumps(result), False, ""
        except Exception as exc:  # Lambda reports the class name; Step Functions matches on it
            error = {"errorType": type(exc).__name__, "errorMessage": str(exc),
                     "stackTrace": traceback.format_exc().splitlines()}
            return json.dumps(error), True, ""
        finally:
            container.modules = _take_modules(container.tops)
            sys.modules.update(theirs)
            sys.path[:] = saved_path
            os.environ = saved_env
            os.chdir(saved_cwd)

    def drain(self, timeout: float = 120.0) -> bool:
        """Wait until no invocation runs (one abandoned by TimeoutSeconds may still be going)."""
        if not self._lock.acquire(timeout=timeout):
            return False
        self._lock.release()
        return True

    def close(self) -> None:
        with self._lock:
            for container in self._containers.values():
                container.modules.clear()
                shutil.rmtree(container.folder, ignore_errors=True)
            self._containers.clear()


@dataclass(frozen=True)
class BatchJobRun:
    """What one Batch job did (for tests and debugging)."""

    job_id: str
    job_name: str
    command: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


class BatchRunner:
    """HOOKS.batch_runner: run a moto Batch job's command as a local subprocess."""

    def __init__(self, endpoint_url: str, region: str, timeout_s: float = 600.0) -> None:
        self.endpoint_url, self.region, self.timeout_s = endpoint_url, region, timeout_s
        self.jobs: list[BatchJobRun] = []
        self._lock = threading.Lock()

    def __call__(self, job: Any) -> bool:
        props = job.job_definition.container_properties or {}
        overrides = job.container_overrides or {}
        command = [str(c) for c in (overrides.get("command") or props.get("command") or [])]
        if not command:
            return False
        if command[0] == "python":  # the image's python is this interpreter
            command[0] = sys.executable
        folder = tempfile.mkdtemp(prefix="sfnflow-batch-")
        started = time.perf_counter()
        try:
            proc = subprocess.run(command, env=self._environment(job, props, overrides), cwd=folder,
                                  capture_output=True, text=True, timeout=self.timeout_s)
            code, out, err = proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired as exc:
            code, out, err = -9, str(exc.stdout or ""), f"{exc.stderr or ''}\nkilled after {self.timeout_s} s"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        with self._lock:
            self.jobs.append(BatchJobRun(job.job_id, job.job_name, tuple(command), code, out, err,
                                         time.perf_counter() - started))
        return code == 0

    def _environment(self, job: Any, props: dict[str, Any], overrides: dict[str, Any]) -> dict[str, str]:
        # An image's environment: no PYTHONPATH, none of the caller's sfnflow settings.
        env = {k: v for k, v in dict(os.environ).items() if not is_setting(k) and k != "PYTHONPATH"}
        for pair in list(props.get("environment") or []) + list(overrides.get("environment") or []):
            env[str(pair["name"])] = str(pair["value"])
        env.update({
            "AWS_ENDPOINT_URL": self.endpoint_url,  # the moto server sharing the in-process state
            "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
            "AWS_BATCH_JOB_ID": str(job.job_id),
        })
        return env
