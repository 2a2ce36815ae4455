"""Where a cloud task's own log lines are, recorded on its attempt so `sfnflow logs` finds them.

    Lambda: the function's log group and stream (Lambda sets AWS_LAMBDA_LOG_GROUP_NAME and
            AWS_LAMBDA_LOG_STREAM_NAME); a warm container's stream holds many invocations,
            so each task's lines sit between a begin and an end marker line.
    Batch:  the job id (AWS_BATCH_JOB_ID); DescribeJobs names its stream.

The step's output also reaches the artifact store (captured and teed), so logs stay
readable where CloudWatch is not (retention passed, no permission); CloudWatch also has
what happened outside the step (a crash, a timeout, an out-of-memory kill).
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

__all__ = ["begin_marker", "end_marker", "log_location", "read_location", "task_lines"]

KIND_CLOUDWATCH = "cloudwatch"
KIND_BATCH = "batch"
_BEGIN = "[sfnflow] task {} attempt {} begins"
_END = "[sfnflow] task {} attempt {} ends"


def log_location(environ: Mapping[str, str]) -> str | None:
    """The attempt record's `logs` field for a task running here (None: a local worker)."""
    group, stream = environ.get("AWS_LAMBDA_LOG_GROUP_NAME"), environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
    if group and stream:
        return json.dumps({"kind": KIND_CLOUDWATCH, "group": group, "stream": stream}, sort_keys=True)
    job = environ.get("AWS_BATCH_JOB_ID")
    if job:
        return json.dumps({"kind": KIND_BATCH, "job_id": job}, sort_keys=True)
    return None


def read_location(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) and found.get("kind") in (KIND_CLOUDWATCH, KIND_BATCH) else None


def begin_marker(pathspec: str, attempt: int) -> str:
    return _BEGIN.format(pathspec, attempt)


def end_marker(pathspec: str, attempt: int) -> str:
    return _END.format(pathspec, attempt)


def task_lines(lines: Iterable[str], pathspec: str, attempt: int) -> list[str] | None:
    """The lines between this attempt's markers (None: its begin marker is not there)."""
    begin, end = begin_marker(pathspec, attempt), end_marker(pathspec, attempt)
    found: list[str] | None = None
    for line in lines:
        text = line.rstrip("\n")
        if found is None:
            if text == begin:
                found = []
            continue
        if text == end:
            break
        found.append(text)
    return found
