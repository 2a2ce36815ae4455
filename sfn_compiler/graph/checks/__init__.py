"""The named checks `validate` runs, grouped by what they look at. Each check is a pure
function (graph, analysis) -> findings; `ALL_CHECKS` is the registry, in report order."""
from __future__ import annotations

from . import compute, environments, names, parallel, schedule, structure, switches, transitions, triggers
from .base import Analysis, Check, Finding, analyze

ALL_CHECKS: tuple[Check, ...] = (
    *transitions.CHECKS, *structure.CHECKS, *switches.CHECKS, *parallel.CHECKS, *names.CHECKS, *compute.CHECKS, *environments.CHECKS, *schedule.CHECKS,
    *triggers.CHECKS,
)

__all__ = ["ALL_CHECKS", "Analysis", "Check", "Finding", "analyze"]
