"""Checks of step decorators: conflicting or repeated ones, and resources, timeouts and
retries that no compute target can give (AWS Lambda or AWS Batch)."""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterator

from ..model import FlowGraph
from .base import Analysis, Finding

from ...compute import (  # noqa: F401 - re-exported for the checks' tests
    LAMBDA_ARCHITECTURES,
    LAMBDA_MAX_MEMORY_MB,
    LAMBDA_MAX_TIMEOUT_S,
    LAMBDA_MAX_VCPU,
    LAMBDA_MIN_MEMORY_MB,
    beyond_lambda,
    goes_to_batch,
)

# AWS Batch retryStrategy.attempts is 1-10, so 10 retries is the most both targets honour.
MAX_RETRIES = 10
# A Standard Step Functions execution runs for at most one year.
SFN_MAX_SECONDS = 365 * 24 * 3600

_SPELLING = {"packages": "pypi/@conda"}  # both decorators record a PackagesSpec


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def check_batch_and_lambda(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        if node.decorator("batch") is not None and node.decorator("aws_lambda") is not None:
            yield Finding(node.source_line, node.name, "has both @batch and @aws_lambda.",
                          "Keep one: a step runs on either AWS Batch or AWS Lambda.")


def check_duplicate_decorator(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        counts = Counter(spec.kind for spec in node.decorators if spec.kind != "card")
        cards = Counter(spec.id for spec in node.decorators if spec.kind == "card")
        for card_id, count in cards.items():
            if count > 1:  # several cards are fine (Metaflow's too), each with its own id
                named = "without an id" if card_id is None else f"with id={card_id!r}"
                yield Finding(node.source_line, node.name, f"has {count} @card decorators {named}.",
                              "Give each @card of a step its own id: @card(id='plots').")
        for kind, count in counts.items():
            if count > 1:
                name = _SPELLING.get(kind, kind)
                yield Finding(node.source_line, node.name, f"has @{name} {count} times.",
                              f"Keep one @{name} and put all its arguments there.")


def check_resource_values(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        for spec in node.decorators:
            if spec.kind not in ("resources", "batch", "aws_lambda"):
                continue
            for field in ("cpu", "memory", "gpu", "timeout"):
                value = getattr(spec, field, None)
                if value is None:
                    continue
                number = _number(value)
                if number is None:
                    what = "must be a number"
                elif field == "gpu" and (number < 0 or number != int(number)):
                    what = "must be a whole number, 0 or more"
                elif field != "gpu" and number <= 0:
                    what = "must be more than 0"
                else:
                    continue
                yield Finding(node.source_line, node.name, f"@{spec.kind}({field}={value!r}): {field} {what}.",
                              _unit_hint(field))


def _unit_hint(field: str) -> str:
    return {"cpu": "Give the number of vCPUs, e.g. cpu=2.", "memory": "Give megabytes, e.g. memory=4096.",
            "gpu": "Give the number of GPUs, e.g. gpu=1.", "timeout": "Give seconds, e.g. timeout=600."}[field]


def check_lambda_limits(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        spec = node.decorator("aws_lambda")
        if spec is None:
            continue
        memory, timeout = _number(spec.memory), _number(spec.timeout)
        if memory is not None and memory > 0 and not LAMBDA_MIN_MEMORY_MB <= memory <= LAMBDA_MAX_MEMORY_MB:
            yield Finding(node.source_line, node.name,
                          f"@aws_lambda(memory={spec.memory}) is outside Lambda's "
                          f"{LAMBDA_MIN_MEMORY_MB}-{LAMBDA_MAX_MEMORY_MB} MB.",
                          f"Use {LAMBDA_MIN_MEMORY_MB}-{LAMBDA_MAX_MEMORY_MB} MB, or @batch for more memory.")
        if timeout is not None and timeout > LAMBDA_MAX_TIMEOUT_S:
            yield Finding(node.source_line, node.name,
                          f"@aws_lambda(timeout={spec.timeout}) is more than Lambda's {LAMBDA_MAX_TIMEOUT_S} s.",
                          f"Use at most {LAMBDA_MAX_TIMEOUT_S} s, or @batch for longer steps.")
        if spec.architecture not in LAMBDA_ARCHITECTURES:
            yield Finding(node.source_line, node.name,
                          f"@aws_lambda(architecture={spec.architecture!r}) is not a Lambda architecture.",
                          "Use architecture=\"x86_64\" or \"arm64\".")


def check_lambda_resources(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        resources = node.decorator("resources")
        if node.decorator("aws_lambda") is None or resources is None:
            continue
        asks = beyond_lambda(resources)
        if asks:
            yield Finding(node.source_line, node.name,
                          f"has @aws_lambda but @resources asks for {', '.join(asks)}, which Lambda cannot give.",
                          "Replace @aws_lambda with @batch, or lower @resources.")


def check_timeout_limit(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        spec = node.decorator("timeout")
        if spec is None:
            continue
        seconds = spec.seconds
        if seconds <= 0:
            yield Finding(node.source_line, node.name, f"@timeout adds up to {seconds} s.",
                          "Give a positive duration, e.g. @timeout(minutes=10).")
        elif seconds > SFN_MAX_SECONDS:
            yield Finding(node.source_line, node.name, f"@timeout of {seconds} s is longer than a run may last (1 year).",
                          "Lower the timeout.")
        elif seconds > LAMBDA_MAX_TIMEOUT_S and not goes_to_batch(node):
            yield Finding(node.source_line, node.name,
                          f"@timeout of {seconds} s is more than Lambda's {LAMBDA_MAX_TIMEOUT_S} s, and @aws_lambda keeps this step on Lambda.",
                          f"Drop @aws_lambda (the step then runs on AWS Batch), or lower @timeout to {LAMBDA_MAX_TIMEOUT_S} s.")


def check_retry_limit(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    for node in graph:
        spec = node.decorator("retry")
        if spec is None:
            continue
        if not 0 <= spec.times <= MAX_RETRIES:
            yield Finding(node.source_line, node.name, f"@retry(times={spec.times}) is outside 0-{MAX_RETRIES}.",
                          f"Use 0-{MAX_RETRIES} retries (AWS Batch allows at most {MAX_RETRIES}).")
        if spec.minutes_between_retries < 0:
            yield Finding(node.source_line, node.name,
                          f"@retry(minutes_between_retries={spec.minutes_between_retries:g}) is negative.",
                          "Use 0 or more minutes.")


def check_catch_on_foreach(graph: FlowGraph, analysis: Analysis) -> Iterator[Finding]:
    # A caught step passes its parent's artifacts on; a foreach step that failed has no
    # list to fan out over, so the flow could not continue the way @catch promises.
    for node in graph:
        if node.decorator("catch") is not None and node.is_foreach:
            yield Finding(node.source_line, node.name,
                          "has @catch but fans out with foreach: a caught failure leaves nothing to fan out over.",
                          "Move the risky code to a step before it, or put @catch on the foreach body step.")


CHECKS = (
    check_batch_and_lambda, check_catch_on_foreach, check_duplicate_decorator, check_resource_values, check_lambda_limits,
    check_lambda_resources, check_timeout_limit, check_retry_limit,
)
