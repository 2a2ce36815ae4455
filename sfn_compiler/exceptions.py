"""Metaflow's exception classes, under Metaflow's names, so that `except MetaflowNotFound:`
and friends in user code and notebooks keep working after the import line changes.

They live here (standard library only) because both the task runtime, which ships to
Lambda and Batch, and the client raise them; `sfnflow.exception` re-exports them, as
`metaflow.exception` holds Metaflow's. Every one is an SfnflowError: the CLI shows its
message as one sentence, never a traceback.
"""
from __future__ import annotations

from .diagnostics import SfnflowError


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
    "CommandException", "InvalidNextException", "MetaflowDataMissing", "MetaflowException",
    "MetaflowInternalError", "MetaflowInvalidPathspec", "MetaflowNamespaceMismatch", "MetaflowNotFound",
    "MetaflowTaggingError", "MetaflowUnknownUser", "MissingInMergeArtifactsException", "ParameterFieldFailed",
    "UnhandledInMergeArtifactsException",
]
