"""Lambda functions with a step environment, run for real without Docker.

Such a function has its own runtime (python3.11 while this process may be 3.12) and a
layer holding its packages (manylinux wheels, which run on this Linux machine), so it
cannot borrow this process the way the in-process runner does. `EnvironmentLambdaRunner`
runs its invocations in warm child processes of an interpreter of the function's runtime
version, found on this machine, with the function's code package first on the path (its
/var/task), then its layers' `python/` folders (/opt/python), then what Lambda's Python
runtime itself provides: boto3, installed once per Python version into sfnflow's cache
(uv, from PyPI). The children call moto back over HTTP, as the emulator's runner does.

`RoutingLambdaRunner` sends those functions there and every other one to the default
runner (in process for the harness, child processes for the emulator).
"""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from typing import Any, Callable

from . import lambda_bootstrap
from .lambdas import CodeFolders, LambdaRunner, _bootstrap_source, lambda_environment

__all__ = ["EnvironmentLambdaRunner", "RoutingLambdaRunner", "lambda_runtime_folder", "moto_layer_code",
           "needs_own_runtime"]

HOST_RUNTIME = "python{}.{}".format(*__import__("sys").version_info[:2])


def needs_own_runtime(fn: Any) -> bool:
    """A function with layers, or a runtime other than this interpreter's."""
    return bool(getattr(fn, "layers", None)) or getattr(fn, "run_time", HOST_RUNTIME) != HOST_RUNTIME


def lambda_runtime_folder(python: str, cache: str | None = None) -> str:
    """What Lambda's python runtime brings besides the interpreter (boto3), for `python` (3.X)."""
    from ..environments.cloud import _DONE
    from ..environments.uv import run_uv
    from ..environments.venvs import _locked, cache_root

    folder = os.path.join(cache or cache_root(), "lambda-runtime", python)
    with _locked(folder + ".lock"):
        if not os.path.isfile(os.path.join(folder, _DONE)):
            shutil.rmtree(folder, ignore_errors=True)
            run_uv(["pip", "install", "--quiet", "--target", folder, "--python-version", python, "boto3"])
            open(os.path.join(folder, _DONE), "w").close()
    return folder


def moto_layer_code(arn: str) -> bytes:
    """A layer version's zip, from moto's Lambda backend in this process (the mock or the server)."""
    from moto.awslambda.models import lambda_backends

    parts = arn.split(":")  # arn:aws:lambda:<region>:<account>:layer:<name>:<version>
    found = lambda_backends[parts[4]][parts[3]].layers_versions_by_arn(arn)
    if found is None:
        raise RuntimeError(f"no layer version {arn} in moto")
    return bytes(found.code_bytes)


@dataclass
class _Container:
    """A warm child process serving one function's invocations, one at a time."""

    proc: subprocess.Popen[str]
    key: tuple[str, str]
    log_group: str = ""  # its CloudWatch stream, one per container as on Lambda (cloudwatch_logs.py)
    log_stream: str = ""


class EnvironmentLambdaRunner:
    """Invocations in warm children of the function's runtime Python, with its layers (see above).

    Each child is a warm container (lambda_bootstrap's `--serve` loop): the handler's module,
    the flow and its packages stay imported between invocations, as on Lambda; concurrent
    invocations of one function get more containers. A container whose invocation ran past
    the function's timeout is killed (Lambda's Sandbox.Timedout).
    """

    def __init__(self, endpoint: str, layer_code: Callable[[str], bytes] = moto_layer_code) -> None:
        self.endpoint = endpoint
        self._layer_code = layer_code
        self._folders = CodeFolders()
        self._layers: dict[str, str] = {}  # layer version ARN -> unpacked folder
        self._idle: dict[tuple[str, str], list[_Container]] = {}
        self._all: list[_Container] = []
        self._lock = threading.Lock()
        self._running = 0
        self._quiet = threading.Condition(self._lock)
        self.invocations = 0

    def python(self, fn: Any) -> str:
        from ..environments.interpreters import pick_interpreter

        version = str(fn.run_time).removeprefix("python")
        found = pick_interpreter(version)
        if found is None:
            raise RuntimeError(f"function {fn.function_name} runs on {fn.run_time}, and this machine has no "
                               f"Python {version} to play it")
        return found.path

    def pythonpath(self, fn: Any, code_folder: str) -> list[str]:
        """/var/task, then each layer's /opt/python, then what Lambda's runtime brings."""
        layers = [os.path.join(self._unpacked_layer(layer["Arn"]), "python") for layer in fn.layers or ()]
        return [code_folder, *layers, lambda_runtime_folder(str(fn.run_time).removeprefix("python"))]

    def __call__(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        body = event if isinstance(event, str) else json.dumps(event)
        with self._lock:
            self.invocations += 1
            self._running += 1
        try:
            container = self._take(fn)
        except RuntimeError as exc:
            self._done(None)
            return json.dumps({"errorType": "Runtime.InvalidRuntime", "errorMessage": str(exc)}), True, ""
        timed_out: list[bool] = []
        timer = threading.Timer(int(fn.timeout or 900), lambda: (timed_out.append(True), container.proc.kill()))
        timer.start()
        logs: list[str] = []
        result = None
        try:
            assert container.proc.stdin is not None and container.proc.stdout is not None
            container.proc.stdin.write(body.replace("\n", " ") + "\n")
            container.proc.stdin.flush()
            for line in iter(container.proc.stdout.readline, ""):
                if line.startswith(lambda_bootstrap.RESULT_MARKER):
                    result = json.loads(line[len(lambda_bootstrap.RESULT_MARKER):])
                    break
                logs.append(line)
        except (BrokenPipeError, OSError):
            result = None
        finally:
            timer.cancel()
        if result is None:
            container.proc.kill()
            container.proc.wait()
            self._done(None)
            if timed_out:
                return json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out"}), True, ""
            error = {"errorType": "Runtime.ExitError", "errorMessage": f"exit {container.proc.returncode}: "
                                                                       f"{''.join(logs)[-2000:]}"}
            return json.dumps(error), True, "".join(logs)
        self._done(container)
        from .cloudwatch_logs import write_lines

        write_lines(fn.logs_backend, container.log_group, container.log_stream, "".join(logs))
        return str(result["payload"]), bool(result["errored"]), "".join(logs)

    def warm(self, fn: Any) -> None:
        """Lambda's init phase, ahead: start one container (it imports the handler right away)."""
        try:
            container = self._take(fn)
        except RuntimeError:
            return  # no interpreter for the runtime: the first invocation reports it
        with self._lock:
            self._idle.setdefault(container.key, []).append(container)

    def _take(self, fn: Any) -> _Container:
        key = (str(fn.function_arn), str(fn.code_sha_256))
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop()
        unpacked = self._folders.get(fn)
        env = lambda_environment(fn, dict(os.environ), endpoint=self.endpoint)
        from .cloudwatch_logs import lambda_stream

        group, stream = lambda_stream(fn)
        env.update(PYTHONPATH=os.pathsep.join(self.pythonpath(fn, unpacked.folder)), PYTHONDONTWRITEBYTECODE="1",
                   PYTHONUNBUFFERED="1", AWS_LAMBDA_LOG_GROUP_NAME=group, AWS_LAMBDA_LOG_STREAM_NAME=stream)
        argv = [self.python(fn), "-c", _bootstrap_source(), "--serve", fn.handler, fn.function_name,
                fn.function_arn, str(int(fn.memory_size)), str(int(fn.timeout or 900))]
        proc = subprocess.Popen(argv, cwd=unpacked.folder, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=None, text=True, bufsize=1)
        container = _Container(proc, key, group, stream)
        with self._lock:
            self._all.append(container)
        return container

    def _done(self, container: _Container | None) -> None:
        with self._lock:
            self._running -= 1
            if container is not None:
                self._idle.setdefault(container.key, []).append(container)
            self._quiet.notify_all()

    def _unpacked_layer(self, arn: str) -> str:
        with self._lock:
            folder = self._layers.get(arn)
            if folder is None:
                folder = tempfile.mkdtemp(prefix="sfnflow-layer-")
                with zipfile.ZipFile(io.BytesIO(self._layer_code(arn))) as archive:
                    archive.extractall(folder)
                self._layers[arn] = folder
            return folder

    def drain(self, timeout: float = 120.0) -> bool:
        with self._quiet:
            return self._quiet.wait_for(lambda: self._running == 0, timeout=timeout)

    def close(self) -> None:
        with self._lock:
            containers, self._all, self._idle = self._all, [], {}
            layers, self._layers = list(self._layers.values()), {}
        for container in containers:
            if container.proc.stdin is not None:
                try:
                    container.proc.stdin.close()  # the serve loop ends at EOF
                except OSError:
                    pass
        for container in containers:
            try:
                container.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                container.proc.kill()
                container.proc.wait()
            if container.proc.stdout is not None:
                container.proc.stdout.close()
        for folder in layers:
            shutil.rmtree(folder, ignore_errors=True)
        self._folders.remove_all()


class RoutingLambdaRunner:
    """Functions with their own runtime to `environments` (once set), the rest to `default`."""

    def __init__(self, default: LambdaRunner, environments: EnvironmentLambdaRunner | None = None) -> None:
        self.default, self.environments = default, environments

    @property
    def invocations(self) -> int:
        return int(getattr(self.default, "invocations", 0)) + (self.environments.invocations if self.environments else 0)

    def __call__(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        if self.environments is not None and needs_own_runtime(fn):
            return self.environments(fn, event)
        return self.default(fn, event)

    def warm(self, fn: Any) -> None:
        if self.environments is not None and needs_own_runtime(fn):
            self.environments.warm(fn)
        elif hasattr(self.default, "warm"):
            self.default.warm(fn)

    def drain(self, timeout: float = 120.0) -> bool:
        done = self.default.drain(timeout)
        return (self.environments.drain(timeout) if self.environments else True) and done

    def close(self) -> None:
        self.default.close()
        if self.environments is not None:
            self.environments.close()
