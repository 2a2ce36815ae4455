"""The embedded engine on moto's Step Functions interpreter (SFNFLOW_LOCAL_ENGINE=moto).

moto's interpreter executes the ASL unchanged; Task states that invoke a Lambda function
or submit a Batch job through one of the engine's routing ARNs run on the warm worker
pool through the patches in runtime/engine/patches/ (installed while the engine is open,
removed when it closes). One engine per process at a time. It is the oracle the small
interpreter (interp_engine.py, the default) is tested against; it costs about 0.7 s of
moto + boto3 import and start per process, and a thread per Map item.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any, Mapping

from sfn_compiler.contract import envelope as env_contract

from .local import (ACCOUNT, BUCKET, ROUTE_PREFIX, EngineBase, EventCallback, ExecutionResult, RunState,
                    TaskError, TaskStopped, ItemsMissing)

__all__ = ["MotoEngine"]

LOG = logging.getLogger(__name__)

_POLL_S = 0.002  # execution-status poll; a status read is an attribute read, not an API call


class MotoEngine(EngineBase):
    """Context manager owning moto (in-process), the patches and the warm worker pool."""

    engine = "moto"

    def __init__(self, *args: Any, trace: bool = False, **kwargs: Any) -> None:
        """EngineBase's arguments, plus `trace`: record the states each branch entered
        (history.trace, as the interpreter records it; the differential tests)."""
        super().__init__(*args, **kwargs)
        self.trace = trace
        self._mock: Any = None
        self._hooks: Any = None  # patches.PatchHooks while open
        self._patches: Any = None  # the patches' Installation while open
        self._saved_env: dict[str, str | None] = {}
        self._run: RunState | None = None
        self._execution: Any = None
        self._stopped = threading.Event()
        self._counter = 0
        self._s3: Any = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        # Workers first: fork while this process has no interpreter threads.
        self.pools.start()
        try:
            self._start_moto()
        except BaseException:
            self.close()
            raise

    def _start_moto(self) -> None:
        from .patches import ENGINE_GROUPS, REGISTRY, TRACE, PatchHooks

        fake = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                "AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region}
        self._hooks = PatchHooks(router=self, fast_retries=self.fast_retries, lean_history=self.lean_history)
        groups = ENGINE_GROUPS + ((TRACE,) if self.trace else ())
        self._patches = REGISTRY.install(self, self._hooks, groups)  # refuses a second engine
        self._saved_env = {k: os.environ.get(k) for k in fake}
        os.environ.update(fake)
        from moto import mock_aws

        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True},
                                      "batch": {"use_docker": False}})
        self._mock.start()
        import boto3

        self._s3 = boto3.client("s3", region_name=self.region)
        self._s3.create_bucket(Bucket=BUCKET)

    def close(self) -> None:
        """Stop any running execution, the workers and moto; remove the patches; restore the environment.

        Each step runs whatever the one before raised, so a failing close leaves nothing set.
        """
        try:
            self.stop()
        finally:
            try:
                if self._hooks is not None:
                    self._hooks.close()
                if self._mock is not None:
                    self._mock.stop()
                    self._mock = None
            finally:
                if self._patches is not None:
                    self._patches.uninstall()
                    self._patches = None
                for key, value in self._saved_env.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
                self._saved_env = {}

    def stop(self) -> None:
        """Abort the running execution (ABORTED) and terminate the workers; safe from any thread."""
        self._stopped.set()
        execution = self._execution
        if execution is not None and _status(execution) == "RUNNING":
            self._stop_execution(execution)
        self.pools.close()

    # -- running ------------------------------------------------------------------------------
    def run(self, asl: Any, *, run_id: str, execution_input: Mapping[str, Any] | None = None, model: Any = None,
            on_event: EventCallback | None = None, artifact_root: str | None = None) -> ExecutionResult:
        """Run one execution named `run_id` to its end and return how it ended.

        `asl` is an ASL dict or text with its DeploymentModel `model`, or a CompiledFlow (its
        .asl and .model are used).

        Ctrl-C while it runs aborts the execution (ABORTED), terminates the workers and
        re-raises KeyboardInterrupt; `stop()` from another thread makes it return a result
        with status ABORTED and `interrupted=True`. Either way the engine is done afterwards.
        """
        if self._mock is None or self._stopped.is_set():
            raise RuntimeError("the LocalEngine is not running (use it as a context manager)")
        from moto.stepfunctions.responses import get_backend

        from .patches import HistoryStats

        if hasattr(asl, "asl") and hasattr(asl, "model"):
            asl, model = asl.asl, model or asl.model
        definition = self.fill_placeholders(asl, model)
        backend = get_backend(ACCOUNT, self.region)
        self._counter += 1
        machine = backend.create_state_machine(name=f"{ROUTE_PREFIX}{self._counter}", definition=definition,
                                               roleArn=f"arn:aws:iam::{ACCOUNT}:role/{ROUTE_PREFIX}role")
        stats = HistoryStats(trace=[] if self.trace else None)
        self._run = RunState(on_event, artifact_root or self.artifact_root)
        self._hooks.stats = stats
        started = time.perf_counter()
        execution = backend.start_execution(machine.arn, name=run_id,
                                            execution_input=json.dumps(dict(execution_input or {})))
        self._execution = execution
        interrupted = False
        try:
            while _status(execution) == "RUNNING" and not self._stopped.is_set():
                time.sleep(_POLL_S)
        except KeyboardInterrupt:
            # Ctrl-C: abort the execution, kill the workers, let the caller see the interrupt.
            self.stop()
            self._wait_ended(execution, 2.0)
            self._run, self._execution = None, None
            self._hooks.stats = None
            raise
        if self._stopped.is_set():
            interrupted = True
            self._wait_ended(execution, 2.0)
        duration = time.perf_counter() - started
        run = self._run
        self._run, self._execution = None, None
        self._hooks.stats = None
        status = _status(execution)
        return ExecutionResult(
            status=status, error=execution.error, cause=execution.cause,
            output=execution.output if status == "SUCCEEDED" else None, duration=duration, run_id=run_id,
            execution_arn=execution.exec_arn, history=stats, tasks=run.tasks, task_failures=run.failures,
            interrupted=interrupted)

    def put_object(self, key: str, body: bytes) -> None:
        """Write into the artifact bucket in moto (tests, or items the runtime did not write)."""
        self._s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    def _stop_execution(self, execution: Any) -> None:
        import datetime

        try:
            execution.stop(stop_date=datetime.datetime.now(tz=datetime.timezone.utc), error=None, cause=None)
        except Exception:  # already ended between the check and the stop
            LOG.debug("stop_execution failed", exc_info=True)

    @staticmethod
    def _wait_ended(execution: Any, limit: float) -> None:
        deadline = time.monotonic() + limit
        while _status(execution) == "RUNNING" and time.monotonic() < deadline:
            time.sleep(_POLL_S)

    # -- TaskRouter (called from moto's interpreter threads) ----------------------------------
    def route(self, kind: str, target: str, parameters: dict[str, Any], watch: Any) -> Any:
        """Run one routed task on a worker; raise TaskFailed / TaskCancelled for the interpreter."""
        from .patches import TaskCancelled, TaskFailed

        run = self._run
        if run is None:
            raise TaskCancelled("no execution is running")
        try:
            payload = self._payload(kind, parameters)
        except (ValueError, KeyError, TypeError) as exc:
            raise TaskFailed(env_contract.PLATFORM_ERROR, f"bad task envelope: {exc}") from None
        handle = self.handle_for(payload)
        watch.bind(handle.cancel)
        try:
            return self.run_on_worker(run, kind, payload, handle)
        except TaskStopped as exc:
            raise TaskCancelled(str(exc)) from None
        except TaskError as exc:
            raise TaskFailed(exc.name, exc.message) from None

    def items_written(self, run: RunState, key: str) -> None:
        """Copy a foreach's items file from the local artifact store into moto S3 (ItemReader)."""
        path = self.items_path(run, key)
        try:
            with open(path, "rb") as f:
                body = f.read()
        except OSError as exc:
            raise ItemsMissing(f"foreach items file {path} is missing: {exc}") from None
        self.put_object(key, body)

    def _payload(self, kind: str, parameters: dict[str, Any]) -> dict[str, Any]:
        if kind == "lambda":
            payload = parameters.get("Payload")
            if isinstance(payload, (bytes, str)):
                payload = json.loads(payload)
            return dict(payload or {})
        command = list((parameters.get("ContainerOverrides") or {}).get("Command") or [])
        # ["python", "-m", "runtime.batch_main" | "-c", <bootstrap>, "--flow", ...]: strips either program
        return env_contract.envelope_from_batch_command(command).to_payload()


def _status(execution: Any) -> str:
    status = execution.exec_status
    return str(getattr(status, "value", status))
