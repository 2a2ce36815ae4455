"""The three ways an interpreted execution stops short of its end.

StatesError is a Step Functions error (`Error` / `Cause`): Retry and Catch see it, and an
uncaught one fails the branch, then the execution. Cancelled unwinds a branch whose
execution was stopped or whose sibling failed: nothing sees it. DefinitionError says the
definition uses ASL this interpreter does not run; it is raised before anything runs.
"""
from __future__ import annotations

from sfn_compiler.diagnostics import SfnflowError

__all__ = ["Cancelled", "DefinitionError", "StatesError", "RUNTIME", "TIMEOUT", "TASK_FAILED", "ALL"]

ALL = "States.ALL"
RUNTIME = "States.Runtime"
TIMEOUT = "States.Timeout"
TASK_FAILED = "States.TaskFailed"
DATA_LIMIT = "States.DataLimitExceeded"
RESULT_PATH_MATCH = "States.ResultPathMatchFailure"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
NO_CHOICE = "States.NoChoiceMatched"
ITEM_READER_FAILED = "States.ItemReaderFailed"
THRESHOLD = "States.ExceedToleratedFailureThreshold"
BRANCH_FAILED = "States.BranchFailed"

# Step Functions: "A retry or catch on States.ALL won't catch States.Runtime errors", and
# States.DataLimitExceeded is terminal. Naming them explicitly still matches.
UNCATCHABLE_BY_WILDCARD = frozenset({RUNTIME, DATA_LIMIT})


class StatesError(Exception):
    """A Step Functions error: `error` is its name (e.g. UserCodeError, States.Timeout)."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error, self.cause = error, cause


class Cancelled(Exception):
    """The branch was stopped from outside (execution stopped, sibling failed, timeout)."""


class DefinitionError(SfnflowError, ValueError):
    """The definition needs ASL the local interpreter does not run (or is malformed).

    A user sees its one-line message (what, which state, and that SFNFLOW_LOCAL_ENGINE=moto
    runs more of the language), never a traceback."""
