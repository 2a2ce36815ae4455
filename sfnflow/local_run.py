"""One local run of a compiled flow: record the run, execute the compiled ASL in the
embedded engine against local stores, decide how the run ended, record that end. Used by
`sfnflow run` and `resume`.

The engine (runtime.engine, which imports moto) is imported here, inside the function,
so nothing that ships to the cloud pulls it in.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

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
    """The run was stopped by Ctrl-C, SIGTERM or SIGHUP; exit status 128 + the signal, as shells expect."""

    exit_code = 130

    def __init__(self, result: LocalRunResult, signum: int = signal.SIGINT) -> None:
        self.result = result
        self.exit_code = 128 + int(signum)
        by = "" if signum == signal.SIGINT else f" by {signal.Signals(signum).name}"
        super().__init__(f"run {result.flow}/{result.run_id} aborted{by}; everything saved so far is kept. "
                         f"Continue it with: sfnflow resume {result.run_id}")


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: stop exactly as Ctrl-C does (it is a KeyboardInterrupt for
    every handler on the way), remembering which signal it was."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


@contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Terminated in the main thread while the run is on (CI
    cancelling a job, `timeout`, `docker stop`, a closed terminal); restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: Any) -> None:
        raise Terminated(signum)

    saved = {sig: signal.signal(sig, interrupt) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


@contextmanager
def signals_deferred() -> Iterator[list[int]]:
    """While the run's ending is recorded, a second Ctrl-C/SIGTERM is noted, not raised:
    the record must land (the list holds the signals that came)."""
    came: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield came
        return
    saved = {sig: signal.signal(sig, lambda signum, _f: came.append(signum))
             for sig in (signal.SIGINT, *_STOP_SIGNALS)}
    try:
        yield came
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


class _Heartbeat:
    """Refreshes the run's heartbeat from a thread until stopped (run_owner.HEARTBEAT_EVERY)."""

    def __init__(self, metadata: Any, flow: str, run_id: str, every: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, args=(metadata, flow, run_id, every),
                                        name="sfnflow-heartbeat", daemon=True)

    def start(self) -> "_Heartbeat":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _beat(self, metadata: Any, flow: str, run_id: str, every: float) -> None:
        while not self._stop.wait(every):
            try:
                metadata.heartbeat(flow, run_id)
            except Exception:  # a busy or vanished store: the next beat tries again
                pass


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
    on_recorded: Callable[[str], None] | None = None,
) -> LocalRunResult:
    """Run a compiled flow locally; `environments` are the prepared step environments
    (sfnflow.environments.local.prepare_local; prepared here when None); `on_recorded(run_id)`
    is called once the run's record exists (the CLI's --run-id-file)."""
    from runtime.engine.env_pools import PoolEnvironment
    from runtime.stores.base import RUN_ABORTED, RUN_FAILED, RUN_RUNNING, RUN_SUCCEEDED, RunRecord  # noqa: F401
    from runtime.stores.blobs import resolve_local_root
    from runtime.stores.run_owner import HEARTBEAT_EVERY, current_owner  # noqa: F401 (imported before the run)
    from runtime.stores.sqlite_metadata import SqliteMetadataStore
    from sfn_compiler.identity import system_tags

    flow_file = os.path.abspath(flow_file)
    root = resolve_local_root(root=root)
    if environments is None and getattr(compiled.model, "environments", ()):
        # before the run is recorded: a refusal leaves nothing behind
        from .environments.local import prepare_local

        environments = prepare_local(graph.name, compiled.model, root)
    environments = environments or ()
    pools = [PoolEnvironment(e.key, e.python, tuple(e.steps), e.pythonpath, e.lock.hash) for e in environments]
    in_envs = {step for e in pools for step in e.steps}
    run_id = run_id or new_run_id()
    metadata = SqliteMetadataStore(root)
    with stop_signals_interrupt():
        record = RunRecord(
            flow=graph.name, run_id=run_id, status=RUN_RUNNING, created_at=time.time(), parameters=parameters,
            flow_file=flow_file, tags=list(tags) + system_tags("dev"), origin_run_id=origin_run_id, resume_steps=list(resume_steps),
            trigger="local", owner=current_owner(), heartbeat_at=time.time(),
        )
        metadata.create_run(record)
        if on_recorded is not None:
            on_recorded(run_id)
        default_pool = any(n.name not in in_envs for n in graph.steps)
        return _execute(flow_file, graph, compiled, parameters, root, record, metadata, max_workers, on_event,
                        pools, default_pool)


def _execute(flow_file: str, graph: Any, compiled: Any, parameters: dict[str, Any], root: str, record: Any,
             metadata: Any, max_workers: int | None, on_event: Callable[..., None] | None, pools: list[Any],
             default_pool: bool) -> LocalRunResult:
    """Run the engine, decide how the run ended, record that end (each a function below)."""
    started = time.monotonic()
    run_id = record.run_id
    try:
        outcome = _run_engine(flow_file, graph, compiled, parameters, root, record, metadata, max_workers,
                              on_event, pools, default_pool)
    except KeyboardInterrupt as exc:
        # Also while the engine starts or stops, outside engine.run: the run is ABORTED either way.
        signum = getattr(exc, "signum", signal.SIGINT)
        end = _record_end(metadata, graph, run_id, _aborted(signum))
        raise RunAborted(LocalRunResult(graph.name, run_id, end.status, root, time.monotonic() - started),
                         signum) from None
    except BaseException:
        _record_end(metadata, graph, run_id, _engine_broke())
        raise
    end = _record_end(metadata, graph, run_id, _outcome_end(outcome))
    return LocalRunResult(graph.name, run_id, end.status, root, time.monotonic() - started, end.error,
                          max_state_bytes=outcome.max_state_bytes, tasks=outcome.tasks)


# -- run the engine ---------------------------------------------------------------------------
def _run_engine(flow_file: str, graph: Any, compiled: Any, parameters: dict[str, Any], root: str, record: Any,
                metadata: Any, max_workers: int | None, on_event: Callable[..., None] | None, pools: list[Any],
                default_pool: bool) -> Any:
    """The engine's outcome of one execution of the compiled ASL, with the run's heartbeat beating."""
    from runtime.engine.local import LocalEngine  # moto: a second or more, so inside the caller's try
    from runtime.stores.run_owner import HEARTBEAT_EVERY

    _write_manifest(root, record)
    # Retry at once, as Metaflow's local runtime does; the deployed machine waits
    # minutes_between_retries.
    with LocalEngine(flow_file=flow_file, root=root, max_workers=max_workers, fast_retries=True,
                     environments=pools, default_pool=default_pool) as engine:
        # After the workers are forked: a thread must not exist across that fork.
        heartbeat = _Heartbeat(metadata, graph.name, record.run_id, HEARTBEAT_EVERY).start()
        try:
            return engine.run(compiled, run_id=record.run_id, execution_input={"parameters": parameters},
                              on_event=on_event)
        except KeyboardInterrupt:
            with signals_deferred():
                engine.stop()  # kill the running tasks' workers before the pool closes
            raise
        finally:
            heartbeat.stop()


# -- decide the run's outcome -------------------------------------------------------------------
@dataclass(frozen=True)
class RunEnd:
    status: str  # SUCCEEDED | FAILED | ABORTED
    error: dict[str, Any] | None = None


def _outcome_end(outcome: Any) -> RunEnd:
    from runtime.stores.base import RUN_FAILED, RUN_SUCCEEDED

    if outcome.status == "SUCCEEDED":
        return RunEnd(RUN_SUCCEEDED)
    return RunEnd(RUN_FAILED, {"type": outcome.error, "message": outcome.cause})


def _aborted(signum: int) -> RunEnd:
    from runtime.stores.base import RUN_ABORTED

    if signum == signal.SIGINT:
        return RunEnd(RUN_ABORTED, {"type": "KeyboardInterrupt", "message": "stopped by the user"})
    return RunEnd(RUN_ABORTED, {"type": "Terminated", "message": f"stopped by {signal.Signals(signum).name}"})


def _engine_broke() -> RunEnd:
    from runtime.stores.base import RUN_FAILED

    return RunEnd(RUN_FAILED, {"type": "PlatformError", "message": "the engine stopped unexpectedly"})


# -- record the end -----------------------------------------------------------------------------
def _record_end(metadata: Any, graph: Any, run_id: str, end: RunEnd) -> RunEnd:
    """Close the attempts left RUNNING and write the run's end status; return the end as recorded.

    Every attempt record is closed at the end of every run, a successful one too (an
    attempt a @timeout or a crash cut short, then retried, stays RUNNING otherwise). A
    failed run's error names the step that caused it; an aborted run's error stays "stopped
    by ...", whatever had failed before. Signals wait until both writes are done.
    """
    from runtime.stores.base import RUN_FAILED

    with signals_deferred():
        closed = close_unfinished_tasks(metadata, graph, run_id, end.error or {"type": "Cancelled"},
                                        find_cause=end.status == RUN_FAILED)
        error = closed if end.status == RUN_FAILED else end.error
        metadata.finish_run(graph.name, run_id, end.status, error)
    return RunEnd(end.status, error)


def _write_manifest(root: str, record: Any) -> None:
    """`<flow>/<run>/run.json`: what `sfnflow doctor --rebuild` needs to re-index the run."""
    from runtime.stores.blobs import LocalBlobStore

    from .doctor import run_manifest_key

    manifest = {key: getattr(record, key) for key in ("parameters", "tags", "origin_run_id", "resume_steps",
                                                       "created_at", "trigger", "flow_file")}
    try:
        LocalBlobStore(root).put(run_manifest_key(record.flow, record.run_id),
                                 json.dumps(manifest, default=str).encode())
    except OSError:
        pass  # only a rebuild would miss it; the run itself does not


def close_unfinished_tasks(metadata: Any, graph: Any, run_id: str, error: dict[str, Any],
                           find_cause: bool = True) -> dict[str, Any]:
    """After a run ended badly, record every attempt still RUNNING as FAILED; return the
    run's error naming the step that caused it (with `find_cause`; else `error` as given,
    without reading every attempt of the run back).

    The engine kills the worker of a task that timed out or was stopped, so nobody else
    will close its attempt; left RUNNING, it would read as still going forever. A task
    that ran past its @timeout gets States.Timeout; the others were stopped because the
    run ended (Cancelled), or by Ctrl-C (Aborted).
    """
    from runtime.stores.base import ATTEMPT_FAILED

    cause: dict[str, Any] | None = None
    now = time.time()
    closed: dict[tuple[str, str, int], dict[str, Any]] = {}
    for attempt in metadata.running_attempts(graph.name, run_id):  # retried attempts included
        record = _unfinished_error(graph, attempt, error, now)
        metadata.finish_attempt(graph.name, run_id, attempt.step, attempt.task_id, attempt.attempt, ATTEMPT_FAILED,
                                record)
        closed[(attempt.step, attempt.task_id, attempt.attempt)] = record
    if not find_cause:
        return error
    for task in metadata.list_tasks(graph.name, run_id):  # in start order: the first failure is the cause
        record = closed.get((task.step, task.task_id, task.attempt)) or task.error or {}
        if task.status != ATTEMPT_FAILED and (task.step, task.task_id, task.attempt) not in closed:
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
    if error.get("type") == "Terminated":
        return {"type": "Aborted", "message": f"{error.get('message')} while it ran."}
    if error.get("type") == "Cancelled":
        return {"type": "Cancelled", "message": "stopped while it ran (the engine cancelled it, then went on)."}
    return {"type": "Cancelled", "message": f"stopped while it ran, because the run failed ({error.get('type')})."}
