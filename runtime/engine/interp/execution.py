"""Run one execution of a loaded Definition: states, Retry / Catch, Parallel, Map.

A branch (the top level, a Parallel branch, a Map iteration) runs on one thread, state
after state. Parallel runs its branches side by side; a Map runs its items on at most
`map_bound` runners (the worker pool's size, or MaxConcurrency if smaller), so threads
follow the pool, not the fan-out; results are kept only when ResultPath keeps them.
Task states go to `services` (services.py). Cancellation (a stop, a failed sibling) is a
Scope (concurrency.py) checked between states and attached to every running task.
"""
from __future__ import annotations

import datetime
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from . import errors as E
from .concurrency import FanOut, Scope, Threads
from .definition import Branch, Definition, State
from .errors import Cancelled, StatesError
from .history import History
from .map_run import threshold_error

__all__ = ["Execution", "Outcome"]

LOG = logging.getLogger(__name__)


@dataclass
class Outcome:
    status: str  # SUCCEEDED | FAILED | ABORTED
    output: Any
    error: str | None
    cause: str | None


def iso_time(t: float) -> str:
    """Step Functions' timestamp text: 2026-12-01T08:54:15.123Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


class Frame:
    """Where a branch runs: its cancellation scope, the Map item indices leading to it,
    and the name of the execution it belongs to (a distributed Map child has its own)."""

    __slots__ = ("scope", "indices", "execution_name")

    def __init__(self, scope: Scope, indices: tuple[int, ...], execution_name: str) -> None:
        self.scope, self.indices, self.execution_name = scope, indices, execution_name


class StateContext:
    """The context object (`$$`) of one state being run; built in full only when a path
    outside the fast set (paths.py) asks for it."""

    __slots__ = ("execution", "execution_name", "state_name", "entered", "retry_count", "item_index",
                 "_item_value", "_has_item")

    def __init__(self, execution: "Execution", frame: Frame, state_name: str) -> None:
        self.execution, self.execution_name, self.state_name = execution, frame.execution_name, state_name
        self.entered = time.time()
        self.retry_count = 0
        self.item_index = 0
        self._item_value: Any = None
        self._has_item = False

    def for_item(self, index: int, value: Any) -> "StateContext":
        ctx = StateContext.__new__(StateContext)
        ctx.execution, ctx.execution_name, ctx.state_name = self.execution, self.execution_name, self.state_name
        ctx.entered, ctx.retry_count = self.entered, self.retry_count
        ctx.item_index, ctx._item_value, ctx._has_item = index, value, True
        return ctx

    def has_item(self) -> bool:
        return self._has_item

    def item_value(self) -> Any:
        return self._item_value

    def entered_time(self) -> str:
        return iso_time(self.entered)

    def object(self) -> dict[str, Any]:
        ex = self.execution
        obj: dict[str, Any] = {
            "Execution": {"Id": ex.arn if self.execution_name == ex.name else f"{ex.arn}:{self.execution_name}",
                          "Name": self.execution_name, "Input": ex.input, "StartTime": iso_time(ex.started),
                          "RoleArn": ex.role_arn},
            "StateMachine": {"Id": ex.machine_arn, "Name": ex.machine_name},
            "State": {"Name": self.state_name, "EnteredTime": self.entered_time(), "RetryCount": self.retry_count},
        }
        if self._has_item:
            obj["Map"] = {"Item": {"Index": self.item_index, "Value": self._item_value}}
        return obj


def _matches(names: tuple[str, ...], error: str) -> bool:
    for name in names:
        if name == error:
            return True
        if name == E.ALL:
            return error not in E.UNCATCHABLE_BY_WILDCARD
        if name == E.TASK_FAILED:
            # "acts as a wildcard that matches any known error name except for States.Timeout"
            return error != E.TIMEOUT and error not in E.UNCATCHABLE_BY_WILDCARD
    return False


class Execution:
    """One run of `definition` on `input`; `run()` returns its Outcome, `stop()` aborts it
    from any thread."""

    def __init__(self, definition: Definition, *, name: str, input: Any, services: Any, threads: Threads,
                 history: History | None = None, map_bound: int = 4, fast_retries: bool = False,
                 machine_name: str = "sfnflow-local", region: str = "us-east-1",
                 account: str = "123456789012") -> None:
        self.definition, self.name, self.input = definition, name, input
        self.services, self.threads = services, threads
        self.history = history or History()
        self.map_bound = max(1, int(map_bound))
        self.fast_retries = fast_retries
        self.machine_name = machine_name
        self.machine_arn = f"arn:aws:states:{region}:{account}:stateMachine:{machine_name}"
        self.arn = f"arn:aws:states:{region}:{account}:execution:{machine_name}:{name}"
        self.role_arn = f"arn:aws:iam::{account}:role/{machine_name}"
        self.scope = Scope()
        self.started = time.time()
        self.stopped = False
        self._runners: dict[str, Callable[[State, Any, Frame], tuple[str | None, Any]]] = {
            "Task": self._run_task, "Parallel": self._run_parallel, "Map": self._run_map,
            "Pass": self._run_pass, "Choice": self._run_choice, "Wait": self._run_wait,
            "Succeed": self._run_succeed, "Fail": self._run_fail,
        }

    # -- the execution ----------------------------------------------------------------------
    def run(self) -> Outcome:
        history = self.history
        history.add("ExecutionStarted")
        frame = Frame(self.scope, (), self.name)
        try:
            output = self.run_branch(self.definition.root, self.input, frame)
        except StatesError as exc:
            if self.stopped:
                return self._aborted()
            history.add("ExecutionFailed", {"executionFailedEventDetails": {"error": exc.error, "cause": exc.cause}})
            # As DescribeExecution: an empty error or cause is absent.
            return Outcome("FAILED", None, exc.error or None, exc.cause or None)
        except Cancelled:
            return self._aborted()
        except Exception as exc:  # an interpreter bug: say so, never hang or pass
            LOG.exception("the local interpreter failed")
            cause = f"the local interpreter failed: {type(exc).__name__}: {exc}"
            history.add("ExecutionFailed", {"executionFailedEventDetails": {"error": E.RUNTIME, "cause": cause}})
            return Outcome("FAILED", None, E.RUNTIME, cause)
        if self.stopped:
            return self._aborted()
        history.add("ExecutionSucceeded")
        return Outcome("SUCCEEDED", output, None, None)

    def _aborted(self) -> Outcome:
        self.history.add("ExecutionAborted", {"executionAbortedEventDetails": {}})
        return Outcome("ABORTED", None, None, None)

    def stop(self) -> None:
        self.stopped = True
        self.scope.cancel()

    def run_branch(self, branch: Branch, value: Any, frame: Frame) -> Any:
        states, name = branch.states, branch.start
        history, runners, scope = self.history, self._runners, frame.scope
        tracing = history.trace is not None
        while True:
            if scope.cancelled:
                raise Cancelled()
            state = states[name]
            history.count(state.entered_type)
            history.measure_input(name, value)
            if tracing:
                history.record((branch.id, frame.indices), "entered", name)
            nxt, value = runners[state.type](state, value, frame)
            history.count(state.exited_type)
            history.measure_output(name, value)
            if nxt is None:
                return value
            name = nxt

    # -- Task, Parallel, Map: Retry and Catch -------------------------------------------------
    def _run_with_retries(self, state: State, value: Any, frame: Frame,
                          attempt: Callable[[State, Any, StateContext, Frame], Any]) -> tuple[str | None, Any]:
        ctx = StateContext(self, frame, state.name)
        attempts: list[int] | None = None
        while True:
            try:
                effective = state.input_path.select(value, ctx)
                result = attempt(state, effective, ctx, frame)
                if state.result_path.discard:
                    return state.next, state.output_path.select(value, ctx)
                if state.result_selector is not None:
                    result = state.result_selector.eval(result, ctx)
                return state.next, state.output_path.select(state.result_path.apply(value, result), ctx)
            except StatesError as err:
                if frame.scope.cancelled:
                    raise Cancelled() from None  # stopped while failing: nobody handles it
                key = (state.branch.id, frame.indices)
                retry = False
                for i, retrier in enumerate(state.retriers):
                    if not _matches(retrier.errors, err.error):
                        continue
                    # The first retrier that matches decides; once exhausted, no later one retries.
                    if attempts is None:
                        attempts = [0] * len(state.retriers)
                    if attempts[i] < retrier.max_attempts:
                        delay = retrier.delay(attempts[i])
                        attempts[i] += 1
                        ctx.retry_count += 1
                        self.history.record(key, "retried", state.name, err.error)
                        frame.scope.sleep(0 if self.fast_retries else delay)
                        retry = True
                    break
                if retry:
                    continue
                for catcher in state.catchers:
                    if _matches(catcher.errors, err.error):
                        self.history.record(key, "caught", state.name, err.error)
                        return catcher.next, catcher.result_path.apply(value, {"Error": err.error, "Cause": err.cause})
                self.history.record(key, "failed", state.name, err.error)
                raise

    def _run_task(self, state: State, value: Any, frame: Frame) -> tuple[str | None, Any]:
        return self._run_with_retries(state, value, frame, self._task_attempt)

    def _task_attempt(self, state: State, effective: Any, ctx: StateContext, frame: Frame) -> Any:
        parameters = state.parameters.eval(effective, ctx) if state.parameters is not None else effective
        history = self.history
        history.count("TaskScheduled", "TaskStarted")
        try:
            result = self.services.run(state, parameters, frame.scope)
        except StatesError as err:
            if err.error == E.TIMEOUT:
                history.add("TaskTimedOut", {"taskTimedOutEventDetails": {"error": err.error, "cause": err.cause}})
            else:
                history.add("TaskFailed", {"taskFailedEventDetails": {"error": err.error, "cause": err.cause,
                                                                      "resource": state.resource}})
            raise
        history.count("TaskSucceeded")
        return result

    def _run_parallel(self, state: State, value: Any, frame: Frame) -> tuple[str | None, Any]:
        return self._run_with_retries(state, value, frame, self._parallel_attempt)

    def _parallel_attempt(self, state: State, effective: Any, ctx: StateContext, frame: Frame) -> Any:
        branch_input = state.parameters.eval(effective, ctx) if state.parameters is not None else effective
        branches = state.branches
        results: list[Any] = [None] * len(branches)
        scope = frame.scope.child()
        inner = Frame(scope, frame.indices, frame.execution_name)

        def job(i: int) -> None:
            results[i] = self.run_branch(branches[i], branch_input, inner)

        self.history.count("ParallelStateStarted")
        try:
            FanOut(len(branches), scope, job).run(len(branches), self.threads)
        except StatesError as err:
            self.history.add("ParallelStateFailed", {"error": err.error, "cause": err.cause})
            raise
        finally:
            scope.close()
        self.history.count("ParallelStateSucceeded")
        return results

    def _run_map(self, state: State, value: Any, frame: Frame) -> tuple[str | None, Any]:
        return self._run_with_retries(state, value, frame, self._map_attempt)

    def _map_attempt(self, state: State, effective: Any, ctx: StateContext, frame: Frame) -> Any:
        history = self.history
        history.count("MapStateStarted")
        try:
            result = (self._distributed(state, effective, ctx, frame) if state.distributed
                      else self._inline(state, effective, ctx, frame))
        except StatesError as err:
            history.add("MapStateFailed", {"error": err.error, "cause": err.cause})
            raise
        history.count("MapStateSucceeded")
        return result

    def _items(self, state: State, effective: Any, ctx: StateContext) -> list[Any]:
        if state.item_reader is not None:
            location = state.item_reader.eval(effective, ctx)
            items = self.services.read_items(location)
        else:
            items = state.items_path.select(effective, ctx)
        if type(items) is not list:
            raise StatesError(E.RUNTIME, f"Map state '{state.name}': the items must be a JSON array, got "
                                         f"{type(items).__name__}")
        return items

    def _bound(self, state: State) -> int:
        bound = self.map_bound
        if state.max_concurrency:
            bound = min(bound, state.max_concurrency)
        return bound

    def _iteration_input(self, state: State, effective: Any, ctx: StateContext, index: int, item: Any) -> Any:
        if state.item_selector is None:
            return item
        return state.item_selector.eval(effective, ctx.for_item(index, item))

    def _inline(self, state: State, effective: Any, ctx: StateContext, frame: Frame) -> Any:
        items = self._items(state, effective, ctx)
        results: list[Any] | None = None if state.result_path.discard else [None] * len(items)
        scope = frame.scope.child()
        history, processor, indices, name = self.history, state.processor, frame.indices, frame.execution_name

        def job(i: int) -> None:
            history.count("MapIterationStarted")
            child = Frame(scope, indices + (i,), name)
            try:
                output = self.run_branch(processor, self._iteration_input(state, effective, ctx, i, items[i]), child)
            except StatesError as err:
                history.add("MapIterationFailed", {"mapIterationFailedEventDetails": {"name": state.name, "index": i}})
                raise err
            except Cancelled:
                history.count("MapIterationAborted")
                raise
            history.count("MapIterationSucceeded")
            if results is not None:
                results[i] = output

        try:
            FanOut(len(items), scope, job).run(self._bound(state), self.threads)
        finally:
            scope.close()
        return results

    def _distributed(self, state: State, effective: Any, ctx: StateContext, frame: Frame) -> Any:
        """Each item is a child execution; failed children count against the tolerated
        threshold (none by default: one failure fails the Map Run), as in AWS."""
        items = self._items(state, effective, ctx)
        run_id = uuid.uuid4().hex
        label = state.label or state.name
        history = self.history
        history.add("MapRunStarted", {"mapRunStartedEventDetails": {
            "mapRunArn": f"{self.machine_arn.replace(':stateMachine:', ':mapRun:')}/{label}:{run_id}"}})
        total = len(items)
        results: list[Any] | None = (None if state.result_path.discard or state.result_writer is not None
                                     else [None] * total)
        failed, failed_lock = [0], threading.Lock()
        scope = frame.scope.child()
        processor, indices = state.processor, frame.indices

        def job(i: int) -> None:
            child = Frame(scope, indices + (i,), f"{run_id}-{i}")
            try:
                output = self.run_branch(processor, self._iteration_input(state, effective, ctx, i, items[i]), child)
            except StatesError as err:
                with failed_lock:
                    failed[0] += 1
                    count = failed[0]
                error = threshold_error(state.name, i, count, total, state.tolerated_count,
                                        state.tolerated_percentage, err.error, err.cause)
                if error is not None:
                    raise error from None
                return
            if results is not None:
                results[i] = output

        try:
            FanOut(total, scope, job).run(self._bound(state), self.threads)
        except StatesError as err:
            history.add("MapRunFailed", {"mapRunFailedEventDetails": {"error": err.error, "cause": err.cause}})
            raise
        finally:
            scope.close()
        history.add("MapRunSucceeded")
        if state.result_writer is not None:
            target = state.result_writer.eval(effective, ctx)
            prefix = str(target.get("Prefix", "")).rstrip("/")
            # The results themselves are not written: sfnflow never reads them (they exist
            # in the ASL only to keep the Map's output a fixed-size pointer).
            return {"ResultWriterDetails": {"Bucket": target.get("Bucket", ""),
                                            "Key": f"{prefix}/{run_id}/manifest.json" if prefix
                                            else f"{run_id}/manifest.json"}}
        return results

    # -- the other states -------------------------------------------------------------------
    def _run_pass(self, state: State, value: Any, frame: Frame) -> tuple[str | None, Any]:
        ctx = StateContext(self, frame, state.name)
        effective = state.input_path.select(value, ctx)
        if state.has_result:
            result = state.result
        elif state.parameters is not None:
            result = state.parameters.eval(effective, ctx)
        else:
            result = effective
        return state.next, state.output_path.select(state.result_path.apply(value, result), ctx)

    def _run_choice(self, state: State, value: Any, frame: Frame) -> tuple[str | None, Any]:
        ctx = StateContext(self, frame, state.name)
        effective = state.input_path.select(value, ctx)
        for rule in state.choices:
            if rule.test(effective, ctx):
                return rule.next, state.output_path.select(effective, ctx)
        if state.default is None:
            raise StatesError(E.NO_CHOICE, f"No Choice rule of state '{state.name}' matched, and it has no Default")
        return state.default, state.output_path.select(effective, ctx)

    def _run_wait(self, state: State, value: Any, frame: Frame) -> tuple[str | None, Any]:
        ctx = StateContext(self, frame, state.name)
        effective = state.input_path.select(value, ctx)
        if state.seconds_path is not None:
            seconds = state.seconds_path.get(effective, ctx, "SecondsPath")
        elif state.timestamp is not None or state.timestamp_path is not None:
            text = state.timestamp if state.timestamp is not None else state.timestamp_path.get(effective, ctx)
            try:
                when = datetime.datetime.fromisoformat(str(text))
            except ValueError:
                raise StatesError(E.RUNTIME, f"Wait state '{state.name}': '{text}' is not a timestamp") from None
            seconds = when.timestamp() - time.time()
        else:
            seconds = state.seconds
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise StatesError(E.RUNTIME, f"Wait state '{state.name}': the number of seconds must be a number")
        frame.scope.sleep(float(seconds))
        return state.next, state.output_path.select(effective, ctx)

    def _run_succeed(self, state: State, value: Any, frame: Frame) -> tuple[str | None, Any]:
        ctx = StateContext(self, frame, state.name)
        return None, state.output_path.select(state.input_path.select(value, ctx), ctx)

    def _run_fail(self, state: State, value: Any, frame: Frame) -> tuple[str | None, Any]:
        ctx = StateContext(self, frame, state.name)
        error = state.error if state.error_path is None else _text(state.error_path, value, ctx)
        cause = state.cause if state.cause_path is None else _text(state.cause_path, value, ctx)
        raise StatesError(error or "", cause or "")


def _text(source: Any, value: Any, ctx: StateContext) -> str:
    if hasattr(source, "get"):
        found = source.get(value, ctx)
    else:
        found = source.eval(value, ctx)
    if not isinstance(found, str):
        raise StatesError(E.RUNTIME, f"ErrorPath / CausePath must select a string, got {type(found).__name__}")
    return found
