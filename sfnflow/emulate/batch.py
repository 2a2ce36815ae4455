"""Batch jobs that really run, without Docker: a job's command as a local subprocess.

moto's Batch service (patched in moto_services.py) hands every submitted job to the
owner's BatchRunner. The job's command (the envelope's `python -m runtime.batch_main ...`,
or the stock-image bootstrap) runs in an empty folder, like an image with sfnflow
installed: the job fetches the flow's code package from S3 through the moto server at
`endpoint_url` (the state is shared with the in-process mock, if any). Exit code 0 is
SUCCEEDED, anything else FAILED. Runs synchronously inside SubmitJob: the `.sync` state
polls DescribeJobs after the submit returns and finds the job ended.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any

from sfn_compiler.contract.task_config import is_setting

__all__ = ["BatchJobRun", "BatchRunner"]


@dataclass(frozen=True)
class BatchJobRun:
    """What one Batch job did (for tests and debugging)."""

    job_id: str
    job_name: str
    command: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


_STOCK_IMAGE = re.compile(r"/python:(\d+\.\d+)-slim")


def _image_python(image: str) -> list[str]:
    """A stock `python:X.Y-slim` image plays as an interpreter of X.Y found here, run with `-S`
    (no site-packages: the image has none, so what the job imports comes from the code
    package and the bundle it fetched); any other image as this interpreter, which has
    sfnflow installed as such an image must."""
    match = _STOCK_IMAGE.search(image)
    if match is None:
        return [sys.executable]
    from ..environments.interpreters import pick_interpreter

    found = pick_interpreter(match.group(1))
    return [found.path, "-S"] if found is not None else [sys.executable]


class BatchRunner:
    """PatchHooks.batch_runner: run a moto Batch job's command as a local subprocess."""

    def __init__(self, endpoint_url: str, region: str, timeout_s: float = 600.0) -> None:
        self.endpoint_url, self.region, self.timeout_s = endpoint_url, region, timeout_s
        self.jobs: list[BatchJobRun] = []
        self._lock = threading.Lock()

    def __call__(self, job: Any) -> bool:
        props = job.job_definition.container_properties or {}
        overrides = job.container_overrides or {}
        command = [str(c) for c in (overrides.get("command") or props.get("command") or [])]
        if not command:
            return False
        if command[0] == "python":  # the image's Python: one of its version, bare
            command[:1] = _image_python(str(props.get("image") or ""))
        folder = tempfile.mkdtemp(prefix="sfnflow-batch-")
        started = time.perf_counter()
        try:
            proc = subprocess.run(command, env=self._environment(job, props, overrides), cwd=folder,
                                  capture_output=True, text=True, timeout=self.timeout_s)
            code, out, err = proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired as exc:
            code, out, err = -9, str(exc.stdout or ""), f"{exc.stderr or ''}\nkilled after {self.timeout_s} s"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        with self._lock:
            self.jobs.append(BatchJobRun(job.job_id, job.job_name, tuple(command), code, out, err,
                                         time.perf_counter() - started))
        _job_logs(job, out, err)
        return code == 0

    def _environment(self, job: Any, props: dict[str, Any], overrides: dict[str, Any]) -> dict[str, str]:
        # An image's environment: no PYTHONPATH, none of the caller's sfnflow settings.
        env = {k: v for k, v in dict(os.environ).items() if not is_setting(k) and k != "PYTHONPATH"}
        for pair in list(props.get("environment") or []) + list(overrides.get("environment") or []):
            env[str(pair["name"])] = str(pair["value"])
        env.update({
            "AWS_ENDPOINT_URL": self.endpoint_url,  # the moto server sharing the in-process state
            "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
            "AWS_BATCH_JOB_ID": str(job.job_id),
        })
        return env


def _job_logs(job: Any, out: str, err: str) -> None:
    """The job's lines into CloudWatch, where Batch's awslogs driver puts them (cloudwatch_logs.py)."""
    backend = getattr(job, "_log_backend", None)
    if backend is None:
        return
    from .cloudwatch_logs import merged_output, write_lines

    write_lines(backend, str(job._log_group), str(job._stream_name), merged_output(out, err))
