"""A local AWS for trying deploys: moto as a server on 127.0.0.1, patched to run deployed flows.

    with Emulator(port=0) as emu:          # 0: any free port
        os.environ["AWS_ENDPOINT_URL"] = emu.endpoint
        ...                                # sfnflow deploy, start_execution, ...

CloudFormation deploys the synthesized templates; the state machines it creates execute
(moto's interpreter); Lambda tasks run their real code in child processes and Batch jobs
run their command as subprocesses (cloud_patches.py). Everything lives in this process's
memory and is gone when it stops. The endpoint uses `localhost`, not 127.0.0.1: moto
reads the bucket from the first host label of an S3 URL unless the host is localhost
(what the CDK CLI's TemplateURL needs).
"""
from __future__ import annotations

import os
import socket
from typing import Any

__all__ = ["Emulator", "free_port"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Emulator:
    """moto's ThreadedMotoServer with Step Functions execution and the cloud patches on."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.port = port or free_port()
        self.host = host
        self._server: Any = None
        self._saved: dict[str, Any] = {}

    @property
    def endpoint(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self) -> "Emulator":
        import logging

        from moto.core.config import default_user_config
        from moto.server import ThreadedMotoServer

        from . import cloud_patches, moto_patches

        import warnings

        moto_patches.install()  # botocore-shape normalisation for batch:submitJob.sync, quieter logs
        cloud_patches.activate(self.endpoint, os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                               or "us-east-1")
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
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
        return self

    def reset(self) -> None:
        """Forget every resource (moto's POST /moto-api/reset)."""
        import urllib.request

        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        from moto.core.config import default_user_config

        from . import cloud_patches

        if self._server is not None:
            self._server.stop()
            self._server = None
        cloud_patches.deactivate()
        if self._saved:
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
