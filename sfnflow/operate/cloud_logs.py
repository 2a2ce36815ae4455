"""A cloud task's lines from CloudWatch Logs, found through its attempt record
(runtime/log_location.py): Lambda's group and stream, or a Batch job's stream.

Returns None when CloudWatch cannot answer (no location recorded, the stream expired,
no permission); the caller then reads the datastore's copy and says so.
"""
from __future__ import annotations

from typing import Any, Callable

from runtime.log_location import KIND_BATCH, KIND_CLOUDWATCH, read_location, task_lines
from runtime.stores.base import AttemptRecord

__all__ = ["BATCH_LOG_GROUP", "CloudLog", "cloud_task_log"]

BATCH_LOG_GROUP = "/aws/batch/job"  # Batch's default awslogs group
MAX_PAGES = 200


class CloudLog:
    def __init__(self, group: str, stream: str, lines: list[str]) -> None:
        self.group, self.stream, self.lines = group, stream, lines

    @property
    def where(self) -> str:
        return f"CloudWatch Logs {self.group} {self.stream}"

    @property
    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)


def cloud_task_log(record: AttemptRecord, client: Callable[[str], Any]) -> CloudLog | None:
    """`client(service)` makes boto3 clients for the flow's account and Region."""
    import botocore.exceptions as bx

    location = read_location(record.logs)
    if location is None:
        return None
    try:
        if location["kind"] == KIND_CLOUDWATCH:
            group, stream = str(location["group"]), str(location["stream"])
        elif location["kind"] == KIND_BATCH:
            found = _batch_stream(client("batch"), str(location["job_id"]))
            if found is None:
                return None
            group, stream = found
        else:
            return None
        lines = _stream_lines(client("logs"), group, stream)
    except (bx.ClientError, bx.BotoCoreError):
        return None
    mine = task_lines(lines, record.pathspec, record.attempt)
    if mine is None:
        # No markers: a Batch stream holds one job, so all of it is this task's.
        mine = lines if location["kind"] == KIND_BATCH else None
    return None if mine is None else CloudLog(group, stream, mine)


def _batch_stream(batch: Any, job_id: str) -> tuple[str, str] | None:
    jobs = batch.describe_jobs(jobs=[job_id]).get("jobs") or []
    container = (jobs[0].get("container") or {}) if jobs else {}
    stream = container.get("logStreamName")
    if not stream:
        return None
    options = (container.get("logConfiguration") or {}).get("options") or {}
    return str(options.get("awslogs-group") or BATCH_LOG_GROUP), str(stream)


def _stream_lines(logs: Any, group: str, stream: str) -> list[str]:
    lines: list[str] = []
    token = None
    for _ in range(MAX_PAGES):
        kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if token:
            kwargs["nextToken"] = token
        page = logs.get_log_events(**kwargs)
        lines.extend(str(e.get("message", "")).rstrip("\n") for e in page.get("events", []))
        if not page.get("events") or page.get("nextForwardToken") in (None, token):
            break
        token = page.get("nextForwardToken")
    return lines
