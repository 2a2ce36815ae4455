"""validate: FlowGraph -> every problem in the flow, as Diagnostics sorted by line.

Each check is a small named function in graph/checks/; the check's name (function name
without `check_`, dashes for underscores) is stamped on its diagnostics, so tests and
users can tell them apart. Nothing here raises for a user's mistake: all problems are
reported at once, each as `file:line: step 'x': what is wrong. How to fix it.`
"""
from __future__ import annotations

from typing import Iterable

from ..diagnostics import Diagnostic
from .checks import ALL_CHECKS, Check, analyze
from .model import FlowGraph

__all__ = ["CHECK_NAMES", "check_name", "validate"]


def check_name(check: Check) -> str:
    """check_unknown_target -> "unknown-target"."""
    return check.__name__.removeprefix("check_").replace("_", "-")


CHECK_NAMES: tuple[str, ...] = tuple(check_name(c) for c in ALL_CHECKS)


def validate(graph: FlowGraph, checks: Iterable[Check] = ALL_CHECKS) -> list[Diagnostic]:
    """Run every check on the graph; return all diagnostics, sorted by line.

    Args:
        graph: the IR from build_graph.
        checks: the checks to run (default: all of them).

    Returns:
        Diagnostics in line order (checks' order within a line); empty if the flow is valid.
    """
    analysis = analyze(graph)
    found = [
        Diagnostic(check=check_name(check), file=graph.source_file, line=f.line, step=f.step,
                   message=f.message, hint=f.hint)
        for check in checks
        for f in check(graph, analysis)
    ]
    return sorted(found, key=lambda d: d.line)

