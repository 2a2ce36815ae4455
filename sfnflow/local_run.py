"""One local run: compile, record the run, execute the compiled ASL in the embedded
engine against local stores, record how it ended. Used by `sfnflow run` and `resume`.

The engine (runtime.engine, which imports moto) is imported here, inside the function,
so nothing that ships to the cloud pulls it in.
"""
from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from sfn_compiler.diagnostics import SfnflowError


@dataclass(frozen=True)
class LocalRunResult:
    flow: str
    run_id: str
    status: str  # SUCCEEDED | FAILED | ABORTED
    root: str
    seconds: float
    error: dict[str, Any] | None = None
    max_state_bytes: int = 0  # largest state input/output the engine saw (Step Functions caps it at 256 KiB)
    tasks: int = 0  # task invocations routed to workers, retries included


class RunAborted(SfnflowError):
    exit_code = 130

    def __init__(self, result: LocalRunResult) -> None:
        self.result = result
        super().__init__(f"run {result.flow}/{result.run_id} aborted; everything saved so far is kept. "
                         f"Continue it with: sfnflow resume {result.run_id}")


def new_run_id() -> str:
    """Sortable, unique, and a valid Step Functions execution name ([A-Za-z0-9_-], <= 80)."""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{secrets.token_hex(3)}"


def run_locally(
    flow_file: str,
    graph: Any,
    compiled: Any,
    parameters: dict[str, Any],
    *,
    root: str | None = None,
    max_workers: int | None = None,
    tags: Sequence[str] = (),
    origin_run_id: str | None = None,
    resume_steps: Sequence[str] = (),
    on_event: Callable[..., None] | None = None,
    run_id: str | None = None,
    environments: Sequence[Any] | None = None,
) -> LocalRunResult:
    """Run a compiled flow locally; `environments` are the prepared step environments
    (sfnflow.environments.local.prepare_local; prepared here when None)."""
    from runtime.engine.env_pools import PoolEnvironment
    from runtime.engine.local import LocalEngine
    from runtime.stores.base import RUN_ABORTED, RUN_FAILED, RUN_RUNNING, RUN_SUCCEEDED, RunRecord
    from runtime.stores.blobs import resolve_local_root
    from runtime.stores.sqlite_metadata import SqliteMetadataStore

    flow_file = os.path.abspath(flow_file)
    root = resolve_local_root(flow_file=flow_file, root=root)
    if environments is None:  # before the run is recorded: a refusal leaves nothing behind
        from .environments.local import prepare_local

        environments = prepare_local(graph.name, compiled.model, root)
    pools = [PoolEnvironment(e.key, e.python, tuple(e.steps), e.pythonpath, e.lock.hash) for e in environments]
    in_envs = {step for e in pools for step in e.steps}
    run_id = run_id or new_run_id()
    metadata = SqliteMetadataStore(root)
    metadata.create_run(RunRecord(
        flow=graph.name, run_id=run_id, status=RUN_RUNNING, created_at=time.time(), parameters=parameters,
        flow_file=flow_file,
        tags=list(tags), origin_run_id=origin_run_id, resume_steps=list(resume_steps), trigger="local",
    ))
    started = time.monotonic()
    status, error, outcome = RUN_FAILED, None, None
    try:
        # Retry at once, as Metaflow's local runtime does; the deployed machine waits
        # minutes_between_retries.
        with LocalEngine(flow_file=flow_file, root=root, max_workers=max_workers, fast_retries=True,
                         environments=pools, default_pool=any(n.name not in in_envs for n in graph.steps)) as engine:
            try:
                outcome = engine.run(compiled, run_id=run_id, execution_input={"parameters": parameters},
                                     on_event=on_event)
            except KeyboardInterrupt:
                engine.stop()
                status = RUN_ABORTED
                raise
        status = RUN_SUCCEEDED if outcome.status == "SUCCEEDED" else RUN_FAILED
        if status != RUN_SUCCEEDED:
            error = {"type": outcome.error, "message": outcome.cause}
    except KeyboardInterrupt:
        # Also while the engine starts or stops, outside engine.run: the run is ABORTED either way.
        status = RUN_ABORTED
        aborted = {"type": "KeyboardInterrupt", "message": "stopped by the user"}
        close_unfinished_tasks(metadata, graph, run_id, aborted)
        metadata.finish_run(graph.name, run_id, RUN_ABORTED, aborted)
        raise RunAborted(LocalRunResult(graph.name, run_id, RUN_ABORTED, root, time.monotonic() - started)) from None
    finally:
        if status not in (RUN_SUCCEEDED, RUN_ABORTED) and error is None:
            error = {"type": "PlatformError", "message": "the engine stopped unexpectedly"}
        if status not in (RUN_SUCCEEDED, RUN_ABORTED):
            error = close_unfinished_tasks(metadata, graph, run_id, error or {})
        if status != RUN_ABORTED:
            metadata.finish_run(graph.name, run_id, status, error)
    return LocalRunResult(graph.name, run_id, status, root, time.monotonic() - started, error,
                          max_state_bytes=outcome.max_state_bytes if outcome else 0,
                          tasks=outcome.tasks if outcome else 0)


def close_unfinished_tasks(metadata: Any, graph: Any, run_id: str, error: dict[str, Any]) -> dict[str, Any]:
    """After a run ended badly, record every attempt still RUNNING as FAILED; return the
    run's error naming the step that caused it.

    The engine kills the worker of a task that timed out or was stopped, so nobody else
    will close its attempt; left RUNNING, it would read as still going forever. A task
    that ran past its @timeout gets States.Timeout; the others were stopped because the
    run ended (Cancelled), or by Ctrl-C (Aborted).
    """
    from runtime.stores.base import ATTEMPT_FAILED, ATTEMPT_RUNNING

    cause: dict[str, Any] | None = None
    now = time.time()
    for task in metadata.list_tasks(graph.name, run_id):  # in start order: the first failure is the cause
        record = task.error or {}
        if task.status == ATTEMPT_RUNNING:
            record = _unfinished_error(graph, task, error, now)
            metadata.finish_attempt(graph.name, run_id, task.step, task.task_id, task.attempt, ATTEMPT_FAILED,
                                    record)
        elif task.status != ATTEMPT_FAILED:
            continue
        if cause is None and record.get("type") not in ("Cancelled", "Aborted"):
            cause = {"step": task.step, "task": task.task_id}
            if not error.get("message"):
                cause["message"] = record.get("message")
    return {**error, **cause} if cause else error


def _unfinished_error(graph: Any, task: Any, error: dict[str, Any], now: float) -> dict[str, Any]:
    node = graph.get(task.step)
    spec = node.decorator("timeout") if node is not None else None
    if spec is not None and now - task.started_at >= spec.seconds - 0.5:
        return {"type": "States.Timeout",
                "message": f"step '{task.step}' ran longer than its @timeout ({spec.seconds} s) and was stopped."}
    if error.get("type") == "KeyboardInterrupt":
        return {"type": "Aborted", "message": "stopped by the user (Ctrl-C) while it ran."}
    return {"type": "Cancelled", "message": f"stopped while it ran, because the run failed ({error.get('type')})."}
