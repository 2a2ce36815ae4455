"""Where a step runs: the one rule shared by validation, compilation and `show`.

Lambda by default. @batch, or needs beyond what Lambda offers (a GPU, more than
10,240 MB, more than 6 vCPUs, a @timeout over 15 minutes), put a step on AWS Batch,
unless the step insists on Lambda with @aws_lambda (validation then reports what
Lambda can't give). `--with batch` moves every step not marked @aws_lambda to Batch.
"""
from __future__ import annotations

from typing import Any

from .graph.model import StepNode

# AWS Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
LAMBDA_MIN_MEMORY_MB = 128
LAMBDA_MAX_MEMORY_MB = 10_240
LAMBDA_MAX_TIMEOUT_S = 900
LAMBDA_MAX_VCPU = 6  # CPU scales with memory; 10,240 MB gives 6 vCPUs
LAMBDA_MAX_EPHEMERAL_MB = 10_240  # /tmp
LAMBDA_ARCHITECTURES = ("x86_64", "arm64")
# Python runtimes Lambda offers for new functions (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html;
# python3.9 and older are deprecated or blocked, and below sfnflow's 3.10 floor anyway).
LAMBDA_PYTHON_VERSIONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
# A function's code and layers, unzipped, together (the same quota page).
LAMBDA_MAX_UNZIPPED_BYTES = 250 * 1024 * 1024


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def beyond_lambda(spec: Any) -> list[str]:
    """What a @resources/@batch spec asks for that Lambda cannot give, as phrases."""
    asks = []
    if (_number(spec.gpu) or 0) > 0:
        asks.append(f"gpu={spec.gpu}")
    if (_number(spec.memory) or 0) > LAMBDA_MAX_MEMORY_MB:
        asks.append(f"memory={spec.memory} (Lambda's most is {LAMBDA_MAX_MEMORY_MB} MB)")
    if (_number(spec.cpu) or 0) > LAMBDA_MAX_VCPU:
        asks.append(f"cpu={spec.cpu} (Lambda's most is {LAMBDA_MAX_VCPU} vCPUs)")
    if (_number(getattr(spec, "disk", None)) or 0) > LAMBDA_MAX_EPHEMERAL_MB:
        asks.append(f"disk={spec.disk} (Lambda's most is {LAMBDA_MAX_EPHEMERAL_MB} MB of /tmp)")
    return asks


def compute_notes(graph: Any, with_batch: bool = False) -> list[str]:
    """One line per step whose compute came from a decorator sfnflow reads differently (@kubernetes)."""
    notes = []
    for node in graph.steps:
        spec = node.decorator("resources")
        if spec is not None and getattr(spec, "source", "").startswith("@kubernetes"):
            target = "AWS Batch" if goes_to_batch(node, with_batch) else "AWS Lambda"
            notes.append(f"note: step '{node.name}': {spec.source} is read as a resource request; "
                         f"sfnflow has no Kubernetes, so the step runs on {target}.")
    return notes


def goes_to_batch(node: StepNode, with_batch: bool = False) -> bool:
    if node.decorator("batch") is not None:
        return True
    if node.decorator("aws_lambda") is not None:
        return False
    if with_batch:
        return True
    resources = node.decorator("resources")
    if resources is not None and beyond_lambda(resources):
        return True
    timeout = node.decorator("timeout")
    return timeout is not None and timeout.seconds > LAMBDA_MAX_TIMEOUT_S


def timeout_backstop(seconds: int) -> int:
    """The state machine's (and Lambda's) timeout for a step with @timeout(seconds).

    The task interrupts the step itself at `seconds` (runtime/timeouts.py) and saves what
    it had set; this later limit only stops a step that ignored the interruption.
    """
    return int(seconds) + max(5, min(60, int(seconds) // 10))
