"""A local AWS for trying deploys: moto as a server on 127.0.0.1, patched to run deployed flows.

    with Emulator(port=0) as emu:          # 0: any free port
        os.environ["AWS_ENDPOINT_URL"] = emu.endpoint
        ...                                # sfnflow deploy, start_execution, ...

CloudFormation deploys the synthesized templates (the CLOUDFORMATION patches); the state
machines it creates execute (moto's interpreter); Lambda tasks run their real code in
child processes (lambdas.ChildProcessLambdaRunner) and Batch jobs run their command as
subprocesses (batch.BatchRunner), through the COMPUTE patches. The patches are installed
while the emulator runs and removed when it stops. Everything lives in this process's
memory and is gone when it stops. The endpoint uses `localhost`, not 127.0.0.1: moto
reads the bucket from the first host label of an S3 URL unless the host is localhost
(what the CDK CLI's TemplateURL needs).
"""
from __future__ import annotations

import logging
import os
import socket
import urllib.request
import warnings
from typing import Any

from runtime.engine.patches import REGISTRY, SEMANTICS, SPEED, PatchHooks

from .batch import BatchRunner
from .cloudformation import CLOUDFORMATION
from .lambda_environments import EnvironmentLambdaRunner, RoutingLambdaRunner
from .lambdas import ChildProcessLambdaRunner
from .moto_services import COMPUTE

__all__ = ["EMULATOR_GROUPS", "Emulator", "free_port"]

EMULATOR_GROUPS = (SPEED, SEMANTICS, COMPUTE, CLOUDFORMATION)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Emulator:
    """moto's ThreadedMotoServer with Step Functions execution and the emulation's patches on."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", region: str | None = None) -> None:
        self.port = port or free_port()
        self.host = host
        self.lambdas: RoutingLambdaRunner | None = None
        # boto3 reads AWS_DEFAULT_REGION (not AWS_REGION); the banner tells users to set it.
        self.region = region or os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
        self._server: Any = None
        self._patches: Any = None
        self._hooks: PatchHooks | None = None
        self._saved: dict[str, Any] = {}

    @property
    def endpoint(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self) -> "Emulator":
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        _refuse_a_busy_port(self.host, self.port)
        from moto.core.config import default_user_config
        from moto.server import ThreadedMotoServer

        # Functions with a step environment run on their own runtime's Python, with their layers.
        self.lambdas = RoutingLambdaRunner(ChildProcessLambdaRunner(self.endpoint),
                                           EnvironmentLambdaRunner(self.endpoint))
        self._hooks = PatchHooks(lambda_runner=self.lambdas, batch_runner=BatchRunner(self.endpoint, self.region))
        self._patches = REGISTRY.install(self, self._hooks, EMULATOR_GROUPS)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        # moto skips AWS::S3::BucketPolicy (enforce_ssl) with a warning; TLS is moot on localhost.
        warnings.filterwarnings("ignore", message="Tried to parse AWS::S3::BucketPolicy")
        # Step Functions service integrations call back into moto at localhost:$MOTO_PORT.
        self._saved = {"MOTO_PORT": os.environ.get("MOTO_PORT"),
                       "stepfunctions": dict(default_user_config.get("stepfunctions", {})),
                       "batch": dict(default_user_config.get("batch", {}))}
        os.environ["MOTO_PORT"] = str(self.port)
        default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True
        default_user_config.setdefault("batch", {})["use_docker"] = False
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        self.reset()  # moto's backends are process-wide: start from an empty account

    def reset(self) -> None:
        """Forget every resource (moto's POST /moto-api/reset)."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        """Stop the server, remove the patches, restore moto's configuration (whatever fails on the way)."""
        try:
            if self._server is not None:
                self._server.stop()
                self._server = None
            if self.lambdas is not None and not self.lambdas.drain(timeout=30):
                logging.getLogger(__name__).warning("a Lambda invocation is still running; stopping anyway")
        finally:
            if self._hooks is not None:
                self._hooks.close()
            if self._patches is not None:
                self._patches.uninstall()
                self._patches = None
            if self.lambdas is not None:
                self.lambdas.close()
            if self._saved:
                from moto.core.config import default_user_config

                for key in ("stepfunctions", "batch"):
                    default_user_config[key] = self._saved[key]
                if self._saved["MOTO_PORT"] is None:
                    os.environ.pop("MOTO_PORT", None)
                else:
                    os.environ["MOTO_PORT"] = self._saved["MOTO_PORT"]
                self._saved = {}

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _refuse_a_busy_port(host: str, port: int) -> None:
    """Raise OSError now if the port is taken: moto's server thread would only log it and hang."""
    import socket

    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind((host, port))  # no SO_REUSEADDR: a listening socket there makes this fail
    finally:
        probe.close()
