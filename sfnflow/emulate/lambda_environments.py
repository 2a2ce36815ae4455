"""Lambda functions with a step environment, run for real without Docker.

Such a function has its own runtime (python3.11 while this process may be 3.12) and a
layer holding its packages (manylinux wheels, which run on this Linux machine), so it
cannot borrow this process the way the in-process runner does. `EnvironmentLambdaRunner`
runs each invocation in a child process of an interpreter of the function's runtime
version, found on this machine, with the function's code package first on the path (its
/var/task), then its layers' `python/` folders (/opt/python), then what Lambda's Python
runtime itself provides: boto3, installed once per Python version into sfnflow's cache
(uv, from PyPI). The child calls moto back over HTTP, as the emulator's runner does.

`RoutingLambdaRunner` sends those functions there and every other one to the default
runner (in process for the harness, child processes for the emulator).
"""
from __future__ import annotations

import io
import os
import shutil
import tempfile
import threading
import zipfile
from typing import Any, Callable

from .lambdas import ChildProcessLambdaRunner, LambdaRunner

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


class EnvironmentLambdaRunner(ChildProcessLambdaRunner):
    """Each invocation in a child of the function's runtime Python, with its layers (see above)."""

    def __init__(self, endpoint: str, layer_code: Callable[[str], bytes] = moto_layer_code) -> None:
        super().__init__(endpoint)
        self._layer_code = layer_code
        self._layers: dict[str, str] = {}  # layer version ARN -> unpacked folder
        self._lock = threading.Lock()

    def python(self, fn: Any) -> str:
        from ..environments.interpreters import pick_interpreter

        version = str(fn.run_time).removeprefix("python")
        found = pick_interpreter(version)
        if found is None:
            raise RuntimeError(f"function {fn.function_name} runs on {fn.run_time}, and this machine has no "
                               f"Python {version} to play it")
        return found.path

    def pythonpath(self, fn: Any, code_folder: str) -> list[str]:
        layers = [os.path.join(self._unpacked_layer(layer["Arn"]), "python") for layer in fn.layers or ()]
        return [code_folder, *layers, lambda_runtime_folder(str(fn.run_time).removeprefix("python"))]

    def __call__(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        try:
            return super().__call__(fn, event)
        except RuntimeError as exc:
            import json

            return json.dumps({"errorType": "Runtime.InvalidRuntime", "errorMessage": str(exc)}), True, ""

    def _unpacked_layer(self, arn: str) -> str:
        with self._lock:
            folder = self._layers.get(arn)
            if folder is None:
                folder = tempfile.mkdtemp(prefix="sfnflow-layer-")
                with zipfile.ZipFile(io.BytesIO(self._layer_code(arn))) as archive:
                    archive.extractall(folder)
                self._layers[arn] = folder
            return folder

    def close(self) -> None:
        super().close()
        with self._lock:
            for folder in self._layers.values():
                shutil.rmtree(folder, ignore_errors=True)
            self._layers.clear()


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

    def drain(self, timeout: float = 120.0) -> bool:
        done = self.default.drain(timeout)
        return (self.environments.drain(timeout) if self.environments else True) and done

    def close(self) -> None:
        self.default.close()
        if self.environments is not None:
            self.environments.close()
