"""A Distributed Map's tolerated failure threshold, and the error that says it was exceeded.

AWS ("Tolerated failure threshold for Distributed Map state"): a Map Run fails when its
failed or timed-out child executions exceed ToleratedFailureCount or
ToleratedFailurePercentage (of all items); with neither set, one failed child fails it.
The Map state then fails with States.ExceedToleratedFailureThreshold, whose cause leads
with the failed child's own error, so the run's error says what broke.
"""
from __future__ import annotations

from .errors import THRESHOLD, StatesError

__all__ = ["exceeds_tolerated_failures", "threshold_cause", "threshold_error", "tolerance_text"]

CAUSE_MAX = 32768  # AWS caps an error's Cause at 32,768 characters


def exceeds_tolerated_failures(failed: int, total: int, count: int, percentage: float) -> bool:
    """Whether `failed` of `total` items exceed the thresholds; 0 reads as "not set"."""
    if count <= 0 and percentage <= 0:
        return failed > 0
    if count > 0 and failed > count:
        return True
    return percentage > 0 and total > 0 and failed * 100.0 > percentage * total


def tolerance_text(count: int, percentage: float) -> str:
    if count <= 0 and percentage <= 0:
        return "no failure is tolerated"
    limits = ([f"ToleratedFailureCount {count}"] if count > 0 else []) + (
        [f"ToleratedFailurePercentage {percentage:g}"] if percentage > 0 else [])
    return "tolerated: " + ", ".join(limits)


def threshold_cause(map_state: str, index: int, failed: int, total: int, count: int, percentage: float,
                    error: str, cause: str) -> str:
    head = f"{error}: " if error else ""
    detail = (f" [the child execution of item {index} of Map state '{map_state}' failed: "
              f"{failed} of {total} child executions failed or timed out; {tolerance_text(count, percentage)}]")
    room = CAUSE_MAX - len(head) - len(detail)
    if len(cause) > room:
        cause = cause[:max(room - 3, 0)] + "..."
    return f"{head}{cause}{detail}"


def threshold_error(map_state: str, index: int, failed: int, total: int, count: int, percentage: float,
                    error: str, cause: str) -> StatesError | None:
    """The Map's error once child number `failed` (item `index`) crosses the threshold, else None."""
    if not exceeds_tolerated_failures(failed, total, count, percentage):
        return None
    return StatesError(THRESHOLD, threshold_cause(map_state, index, failed, total, count, percentage, error, cause))
