"""Errors a task raises, named so that Step Functions' Retry/Catch can tell them apart.

Lambda reports a handler's exception class name as the error name, so the class names
here ARE the contract (sfn_compiler.contract.envelope.USER_CODE_ERROR / PLATFORM_ERROR).
"""
from __future__ import annotations

import json
import os
import traceback
from types import TracebackType
from typing import Any

from sfn_compiler.diagnostics import SfnflowError
from sfn_compiler.exceptions import MetaflowExceptionWrapper, qualified_name

__all__ = ["PlatformError", "TaskError", "UserCodeError", "caught_from_envelope", "error_record", "user_traceback",
           "wrapper_from_record"]

_MAX_MESSAGE = 4000  # Step Functions keeps at most 32 KiB of Cause; leave room for the rest

# Frames in these folders are sfnflow's, not the user's: a user's traceback drops them.
_OUR_DIRS = tuple(
    os.path.dirname(os.path.abspath(p)) + os.sep
    for p in (__file__, __import__("sfn_compiler").__file__)
)


class TaskError(SfnflowError):
    """A task failed. `error` is the record kept in metadata: type, message, traceback."""

    def __init__(self, message: str, *, step: str | None = None, task: str | None = None,
                 error: dict[str, Any] | None = None) -> None:
        super().__init__(message[:_MAX_MESSAGE])
        self.step = step
        self.task = task
        self.error = error or {"type": type(self).__name__, "message": message[:_MAX_MESSAGE]}


class UserCodeError(TaskError):
    """The step's own code (or the user's input to it) failed. Retry/Catch target this."""


class PlatformError(TaskError):
    """sfnflow or its stores failed; not the user's fault."""


def user_traceback(exc: BaseException) -> str:
    """The exception's traceback without sfnflow's own frames (the user's code only)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _is_ours(f.filename)]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def user_location(tb: TracebackType | None) -> str | None:
    """`file:line` of the innermost frame that is the user's."""
    last = None
    for frame in traceback.extract_tb(tb):
        if not _is_ours(frame.filename):
            last = f"{frame.filename}:{frame.lineno}"
    return last


def error_record(exc: BaseException, *, with_traceback: bool = True) -> dict[str, Any]:
    """The metadata record of a user exception."""
    # `type` is the class name people read; `qualified_type` (module.Class) is Metaflow's spelling.
    record: dict[str, Any] = {"type": type(exc).__name__, "qualified_type": qualified_name(type(exc)),
                              "message": str(exc)[:_MAX_MESSAGE]}
    if with_traceback:
        record["traceback"] = user_traceback(exc)
    return record


def _is_ours(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_OUR_DIRS)


def wrapper_from_record(record: dict[str, Any]) -> MetaflowExceptionWrapper:
    """An attempt's error record as Metaflow's exception object (`Task.exception`, a @catch variable)."""
    kind = str(record.get("qualified_type") or record.get("type") or "UnknownError")
    return MetaflowExceptionWrapper(type=kind, message=str(record.get("message", "")),
                                    stacktrace=str(record.get("traceback") or "") or None)


def caught_from_envelope(error: dict[str, Any] | None, last_failure: dict[str, Any] | None) -> MetaflowExceptionWrapper:
    """The @catch variable: our own attempt record if there is one, else Step Functions' error.

    `error` is Step Functions' {"Error", "Cause"}; Lambda's Cause is JSON with errorType /
    errorMessage, a Batch or timeout Cause is plain text.
    """
    if last_failure and last_failure.get("type"):
        return wrapper_from_record(last_failure)
    error = error or {}
    name = str(error.get("Error") or "UnknownError")
    cause: Any = error.get("Cause") or ""
    if isinstance(cause, str):
        try:
            cause = json.loads(cause)
        except ValueError:
            pass
    if isinstance(cause, dict):
        trace = cause.get("stackTrace") or cause.get("traceback") or ""
        if isinstance(trace, list):
            trace = "".join(str(line) for line in trace)
        return MetaflowExceptionWrapper(type=str(cause.get("errorType") or name),
                                        message=str(cause.get("errorMessage") or cause.get("message") or ""),
                                        stacktrace=str(trace) or None)
    return MetaflowExceptionWrapper(type=name, message=str(cause))
