"""Trace: which states each branch entered, and its retries, catches and failures.

Installed only when a MotoEngine is asked for a trace (the differential tests compare it
with the interpreter's, interp/history.py). Each line is (key, kind, state, error) with
key = ("", Map item indices from the outermost Map in) and kind one of entered, retried,
caught, failed. moto does not say which Map iteration a frame belongs to, so every frame
remembers the frame it was opened from, and a key is read off that chain: each Map
iteration's frame carries its item in its context object (`$$.Map.Item`).
"""
from __future__ import annotations

from typing import Any, Callable

from .registry import REGISTRY

__all__ = ["TRACE", "trace_key"]

TRACE = "trace"
_SFN = "moto.stepfunctions.parser.asl"
_ENV = f"{_SFN}.eval.environment"
_STATE = f"{_SFN}.component.state.state"
_EXEC = f"{_SFN}.component.state.exec.execute_state"
_PARENT = "_sfnflow_parent"


def trace_key(env: Any) -> tuple[str, tuple[int, ...]]:
    indices: list[int] = []
    while env is not None:
        item = env.states.context_object.context_object_data.get("Map")
        if item is not None:
            indices.append(int(item["Item"]["Index"]))
        env = getattr(env, _PARENT, None)
    return "", tuple(reversed(indices))


def _record(hooks: Any, env: Any, kind: str, state: str, error: str = "") -> None:
    stats = hooks.stats
    if stats is not None and stats.trace is not None:
        stats.record(trace_key(env), kind, state, error)


def _error(failure_event: Any) -> str:
    return str(getattr(failure_event.error_name, "error_name", "") or "")


@REGISTRY.replaces(_ENV, "Environment.as_inner_frame_of", group=TRACE)
def _remember_parent(original: Callable[..., Any], hooks: Any) -> Any:
    def as_inner_frame_of(cls: Any, env: Any, *args: Any, **kwargs: Any) -> Any:
        frame = original(env, *args, **kwargs)
        setattr(frame, _PARENT, env)
        return frame

    return classmethod(as_inner_frame_of)


@REGISTRY.replaces(_STATE, "CommonStateField._eval_body", group=TRACE)
def _entered(original: Callable[..., None], hooks: Any) -> Callable[..., None]:
    def _eval_body(self: Any, env: Any) -> None:
        _record(hooks, env, "entered", self.name)
        original(self, env)

    return _eval_body


@REGISTRY.replaces(_EXEC, "ExecutionState._handle_retry", group=TRACE)
def _retried(original: Callable[..., Any], hooks: Any) -> Callable[..., Any]:
    from moto.stepfunctions.parser.asl.component.common.retry.retry_outcome import RetryOutcome

    def _handle_retry(self: Any, env: Any, failure_event: Any) -> Any:
        outcome = original(self, env, failure_event)
        if outcome == RetryOutcome.CanRetry:
            _record(hooks, env, "retried", self.name, _error(failure_event))
        return outcome

    return _handle_retry


@REGISTRY.replaces(_EXEC, "ExecutionState._handle_catch", group=TRACE)
def _caught(original: Callable[..., None], hooks: Any) -> Callable[..., None]:
    from moto.stepfunctions.parser.asl.component.common.catch.catch_outcome import CatchOutcome

    def _handle_catch(self: Any, env: Any, failure_event: Any) -> None:
        original(self, env, failure_event)
        if env.stack and env.stack[-1] == CatchOutcome.Caught:
            _record(hooks, env, "caught", self.name, _error(failure_event))

    return _handle_catch


@REGISTRY.replaces(_EXEC, "ExecutionState._handle_uncaught", group=TRACE)
def _failed(original: Callable[..., None], hooks: Any) -> Callable[..., None]:
    def _handle_uncaught(self: Any, env: Any, failure_event: Any) -> None:
        _record(hooks, env, "failed", self.name, _error(failure_event))
        original(self, env, failure_event)

    return _handle_uncaught
