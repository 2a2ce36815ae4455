"""Checks of flow decorators: one of each, and @schedule expressions EventBridge accepts
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html)."""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterator

from ...dsl.specs import ScheduleSpec
from ..model import FlowGraph
from .base import Analysis, Finding

CRON_FIELDS = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")
_CRON_FIELD = re.compile(r"[0-9A-Za-z*?,/#-]+")
_RATE = re.compile(r"(\d+) (minute|minutes|hour|hours|day|days)")


def cron_problem(body: str) -> tuple[str, str] | None:
    """What is wrong with an EventBridge cron body (the text inside `cron(...)`), and a fix."""
    fields = body.split()
    if len(fields) != 6:
        fix = "Write six fields: minutes hours day-of-month month day-of-week year, e.g. \"0 3 * * ? *\"."
        if len(fields) == 5:  # a Unix crontab line: add the year, and a '?' EventBridge needs
            m, h, dom, mon, dow = fields
            dom, dow = (dom, "?") if dow == "*" else ("?", dow) if dom == "*" else (dom, dow)
            fix = f"EventBridge cron adds a year field and needs '?' in one day field, e.g. \"{m} {h} {dom} {mon} {dow} *\"."
        return f"has {len(fields)} fields; EventBridge cron takes 6", fix
    bad = [name for name, value in zip(CRON_FIELDS, fields) if not _CRON_FIELD.fullmatch(value)]
    if bad:
        return f"has an invalid {bad[0]} field", "Use digits, names and * , - / ? L W # only."
    misplaced = [name for name, value in zip(CRON_FIELDS, fields) if "?" in value and name not in CRON_FIELDS[2:5:2]]
    if misplaced:
        return f"uses '?' in the {misplaced[0]} field", "Use '?' only for day-of-month or day-of-week."
    if (fields[2] == "?") == (fields[4] == "?"):
        return ("must have '?' in exactly one of day-of-month and day-of-week",
                "Put '?' in the day field you do not use, e.g. \"0 3 * * ? *\".")
    return None


def rate_problem(body: str) -> tuple[str, str] | None:
    """What is wrong with an EventBridge rate body (the text inside `rate(...)`), and a fix."""
    match = _RATE.fullmatch(body.strip())
    hint = "Write \"<n> <unit>\" with unit minute(s), hour(s) or day(s), e.g. \"1 hour\" or \"5 minutes\"."
    if match is None:
        return "is not \"<number> <unit>\"", hint
    value, unit = int(match.group(1)), match.group(2)
    if value < 1:
        return "must be at least 1", hint
    if (value == 1) != (not unit.endswith("s")):
        right = unit.rstrip("s") if value == 1 else unit + "s"
        return f"needs '{right}' with {value}", f"Write \"{value} {right}\" (EventBridge wants the singular only for 1)."
    return None


def check_schedule_expression(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for spec in graph.flow_decorators:
        if not isinstance(spec, ScheduleSpec):
            continue
        expression = spec.expression
        if expression.startswith("cron(") and expression.endswith(")"):
            problem = cron_problem(expression[5:-1])
        elif expression.startswith("rate(") and expression.endswith(")"):
            problem = rate_problem(expression[5:-1])
        else:
            problem = ("is neither cron(...) nor rate(...)", "Use @schedule(cron=...), rate=..., hourly, daily or weekly.")
        if problem is not None:
            what, fix = problem
            yield Finding(graph.class_line, None, f"@schedule({spec.source or expression}) {what}.", fix)


def check_duplicate_flow_decorator(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    counts = Counter(spec.kind for spec in graph.flow_decorators)
    for kind, count in counts.items():
        if count > 1:
            name = {"packages": "pypi_base/@conda_base"}.get(kind, kind)
            yield Finding(graph.class_line, None, f"flow '{graph.name}' has @{name} {count} times.",
                          f"Keep one @{name} and put all its arguments there.")


CHECKS = (check_schedule_expression, check_duplicate_flow_decorator)
