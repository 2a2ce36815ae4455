"""Metaflow's exception classes, under Metaflow's names, so that `except MetaflowNotFound:`
and friends in user code and notebooks keep working after the import line changes.

They live here (standard library only) because both the task runtime, which ships to
Lambda and Batch, and the client raise them; `sfnflow.exception` re-exports them, as
`metaflow.exception` holds Metaflow's. Every one is an SfnflowError: the CLI shows its
message as one sentence, never a traceback.

`MetaflowExceptionWrapper` is what a failed step leaves behind: the value of a @catch
variable and `Task.exception`. It is a plain record (picklable anywhere, unlike the
original exception object): `.type` is `module.Class`, `.exception` the message,
`.stacktrace` the traceback text.
"""
from __future__ import annotations

import traceback
from typing import Any

from .diagnostics import SfnflowError

PUBLIC_MODULE = "sfnflow.exception"  # where users import these from (as from metaflow.exception)


def qualified_name(exc_type: type) -> str:
    """`builtins.ValueError`, `__main__.MyError`: how Metaflow names an exception's type."""
    return f"{exc_type.__module__}.{exc_type.__qualname__}"


class MetaflowExceptionWrapper(Exception):
    """A failure as data: `.type` ('module.Class'), `.exception` (the message), `.stacktrace`."""

    def __init__(self, exc: BaseException | None = None, *, type: str | None = None,  # noqa: A002
                 message: str | None = None, stacktrace: str | None = None) -> None:
        super().__init__()
        if exc is not None:
            type = type or qualified_name(exc.__class__)
            message = str(exc) if message is None else message
            if stacktrace is None and exc.__traceback__ is not None:
                stacktrace = "".join(traceback.format_exception(exc.__class__, exc, exc.__traceback__))
        self.type = type or "builtins.Exception"
        self.exception = message or ""
        self.stacktrace = stacktrace

    # The wrapper pickles as its fields (an Exception's own pickling would lose them).
    def __reduce__(self) -> Any:
        return (_rebuild_wrapper, (dict(self.__dict__),))

    @property
    def message(self) -> str:
        return self.exception

    @property
    def traceback(self) -> str:
        return self.stacktrace or ""

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        if self.stacktrace:
            return self.stacktrace
        return f"[no stacktrace]\n{self.type}: {self.exception}"


def _rebuild_wrapper(fields: dict[str, Any]) -> MetaflowExceptionWrapper:
    wrapper = MetaflowExceptionWrapper.__new__(MetaflowExceptionWrapper)
    Exception.__init__(wrapper)
    wrapper.__dict__.update(fields)
    return wrapper




class MetaflowException(SfnflowError):
    """Base of Metaflow's exceptions. `headline` is the short title Metaflow prints."""

    headline = "Flow failed"

    def __init__(self, msg: str = "", lineno: int | None = None) -> None:
        self.message = msg
        self.line_no = lineno
        super().__init__(msg)

    def __str__(self) -> str:
        prefix = f"line {self.line_no}: " if self.line_no else ""
        return f"{prefix}{self.message}"


class MetaflowInternalError(MetaflowException):
    headline = "Internal error"


class MetaflowNotFound(MetaflowException):
    """No such flow, run, step, task or artifact in the store being read."""

    headline = "Object not found"


class MetaflowNamespaceMismatch(MetaflowException):
    """The object exists, but not in the current namespace (see `namespace()`)."""

    headline = "Object not in the current namespace"

    def __init__(self, namespace: str | None, msg: str | None = None) -> None:
        super().__init__(msg or f"Object not in namespace '{namespace}'")


class MetaflowInvalidPathspec(MetaflowException):
    headline = "Invalid pathspec"


class MetaflowTaggingError(MetaflowException):
    headline = "Tagging error"


class MetaflowDataMissing(MetaflowException):
    headline = "Data missing"


class MetaflowUnknownUser(MetaflowException):
    headline = "Unknown user"


class ParameterFieldFailed(MetaflowException):
    headline = "Parameter field failed"


class CommandException(MetaflowException):
    headline = "Invalid command"


class ParameterFieldTypeMismatch(MetaflowException):
    headline = "Parameter field with a mismatching type"


class ExternalCommandFailed(MetaflowException):
    headline = "External command failed"


class InvalidDecoratorAttribute(MetaflowException):
    headline = "Unknown decorator attribute"


class TimeoutException(MetaflowException):
    """A step ran past its @timeout: raised inside the step, so what it had set is saved."""

    headline = "@timeout"


class FailureHandledByCatch(MetaflowException):
    """A @catch variable's type when the task died without raising (killed, out of memory)."""

    headline = "Task execution failed but @catch handled it"


class InvalidNextException(MetaflowException):
    headline = "Invalid self.next() transition detected"


class UnhandledInMergeArtifactsException(MetaflowException):
    """merge_artifacts found artifacts whose values differ between the join's inputs."""

    headline = "Unhandled artifacts in merge"

    def __init__(self, msg: str, unhandled: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__(msg)
        self.artifact_names = list(unhandled)


class MissingInMergeArtifactsException(MetaflowException):
    """merge_artifacts(include=[...]) named artifacts that no input has."""

    headline = "Missing artifacts in merge"

    def __init__(self, msg: str, missing: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__(msg)
        self.artifact_names = list(missing)


__all__ = [
    "ExternalCommandFailed", "FailureHandledByCatch", "InvalidDecoratorAttribute", "MetaflowExceptionWrapper",
    "ParameterFieldTypeMismatch", "TimeoutException", "qualified_name",
    "CommandException", "InvalidNextException", "MetaflowDataMissing", "MetaflowException",
    "MetaflowInternalError", "MetaflowInvalidPathspec", "MetaflowNamespaceMismatch", "MetaflowNotFound",
    "MetaflowTaggingError", "MetaflowUnknownUser", "MissingInMergeArtifactsException", "ParameterFieldFailed",
    "UnhandledInMergeArtifactsException",
]


# Users see (and pickles name) these classes where they import them from.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = PUBLIC_MODULE
