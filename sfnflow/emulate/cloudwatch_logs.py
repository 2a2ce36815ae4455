"""CloudWatch Logs for the emulator's Lambda invocations and Batch jobs, as AWS writes them.

moto keeps no logs for code it does not run itself, so the runners that do run it
(lambdas.ChildProcessLambdaRunner, lambda_environments.EnvironmentLambdaRunner,
batch.BatchRunner) hand their output here: Lambda lines go to the function's log group,
one stream per invocation, or per warm container as on Lambda (`YYYY/MM/DD/[$LATEST]<hex>`,
named before the code starts so the task can record it; a warm container's stderr is not
captured, only its stdout), and a
Batch job's lines go to `/aws/batch/job`, stream `<job definition>/default/<job id>`.
A process's stdout and stderr are captured apart; CloudWatch interleaves them, so the
stderr lines are put before the runtime's end-of-task marker, where they were written.
"""
from __future__ import annotations

import datetime
import time
import uuid
from typing import Any

__all__ = ["lambda_stream", "merged_output", "write_lines"]

_END_PREFIX = "[sfnflow] task "


def lambda_stream(fn: Any) -> tuple[str, str]:
    """(log group, new stream) for one invocation of a moto LambdaFunction."""
    today = datetime.datetime.now(datetime.timezone.utc)
    return str(fn.logs_group_name), f"{today:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"


def merged_output(stdout: str, stderr: str) -> str:
    lines = stdout.splitlines()
    tail = []
    if lines and lines[-1].startswith(_END_PREFIX) and lines[-1].endswith(" ends"):
        tail = [lines.pop()]
    return "\n".join(lines + stderr.splitlines() + tail)


def write_lines(backend: Any, group: str, stream: str, text: str) -> None:
    """Append `text`'s lines to a moto logs backend's stream (created if missing)."""
    if not text:
        return
    backend.ensure_log_group(group)
    backend.ensure_log_stream(group, stream)
    now = int(time.time() * 1000)
    backend.put_log_events(group, stream, [{"timestamp": now, "message": line} for line in text.splitlines()])
