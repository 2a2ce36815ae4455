"""The store contracts: protocols and plain records, no I/O.

Two stores sit behind small protocols so that the same task runtime runs on a laptop
(local disk + SQLite) and in the cloud (S3 + DynamoDB):

- `BlobStore` moves bytes only (keys are `/`-separated paths relative to a root).
  Content addressing, serialisation and the per-task index sit above it, once, in
  `runtime.stores.artifacts.ArtifactStore`.
- `MetadataStore` records runs and task attempts.

Timestamps are floats: seconds since the epoch (time.time()), UTC by definition. They
sort and subtract without parsing; the client formats them for people.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

# The statuses a run item carries, which the state machine writes too.
from sfn_compiler.contract.table_layout import RUN_FAILED, RUN_RUNNING, RUN_SUCCEEDED

__all__ = [
    "ATTEMPT_CAUGHT", "ATTEMPT_FAILED", "ATTEMPT_REUSED", "ATTEMPT_RUNNING", "ATTEMPT_STATUSES",
    "ATTEMPT_SUCCEEDED", "AttemptRecord", "BlobStore", "MetadataStore", "RUN_ABORTED", "RUN_FAILED",
    "RUN_RUNNING", "RUN_STATUSES", "RUN_SUCCEEDED", "RunExistsError", "RunRecord", "TaskIndex", "TaskRecord",
]

RUN_ABORTED = "ABORTED"
RUN_STATUSES = (RUN_RUNNING, RUN_SUCCEEDED, RUN_FAILED, RUN_ABORTED)

ATTEMPT_RUNNING = "RUNNING"
ATTEMPT_SUCCEEDED = "SUCCEEDED"
ATTEMPT_FAILED = "FAILED"
ATTEMPT_REUSED = "REUSED"  # resume: the origin run's task was reused by reference
ATTEMPT_CAUGHT = "CAUGHT"  # @catch: the step failed for good; its parent's artifacts passed on
ATTEMPT_STATUSES = (ATTEMPT_RUNNING, ATTEMPT_SUCCEEDED, ATTEMPT_FAILED, ATTEMPT_REUSED, ATTEMPT_CAUGHT)


@dataclass
class RunRecord:
    """One run of a flow (one top-level state machine execution)."""

    flow: str
    run_id: str
    status: str = RUN_RUNNING
    created_at: float = 0.0
    finished_at: float | None = None
    parameters: dict[str, Any] = field(default_factory=dict)  # raw values as given
    tags: list[str] = field(default_factory=list)
    origin_run_id: str | None = None  # set by resume: the run whose tasks are reused
    resume_steps: list[str] = field(default_factory=list)  # steps reused from origin_run_id
    error: dict[str, Any] | None = None  # {"type", "message", "step", "task", ...}
    trigger: str = "local"  # local | cli | schedule | event | api ...
    code_version: str | None = None
    flow_file: str | None = None  # where the run was started from (resume finds it here)
    owner: dict[str, Any] | None = None  # local runs: {"pid", "host", "boot", "start"} (stores/run_owner.py)
    heartbeat_at: float | None = None  # local runs: the owner's last sign of life


class RunExistsError(ValueError):
    """create_run found a run with the same flow and id already recorded."""


@dataclass
class AttemptRecord:
    """One attempt of one task. A task's record is its latest attempt."""

    flow: str
    run_id: str
    step: str
    task_id: str
    attempt: int = 0
    status: str = ATTEMPT_RUNNING
    started_at: float = 0.0
    finished_at: float | None = None
    compute: str = "local"  # local | lambda | batch
    error: dict[str, Any] | None = None  # {"type", "message", "traceback"}
    logs: str | None = None  # where the logs live, if not the artifact store's default keys

    @property
    def pathspec(self) -> str:
        return f"{self.flow}/{self.run_id}/{self.step}/{self.task_id}"


TaskRecord = AttemptRecord


@dataclass(frozen=True)
class TaskIndex:
    """What a finished task produced: artifact name -> sha, plus small facts about it.

    `meta` keys the runtime writes: "foreach_n" (cardinality, foreach steps), "foreach_var",
    "branch" (the step's chosen out-edge(s)), "status" (SUCCEEDED | REUSED | CAUGHT),
    "attempt", "origin" (pathspec of the reused task, on resume).
    """

    artifacts: dict[str, str]
    meta: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class BlobStore(Protocol):
    """Moves bytes. `put` is atomic: a reader sees the old value, the new one, or nothing."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes:
        """The bytes at key; KeyError if there are none."""
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> list[str]:
        """Keys under prefix (a folder-like prefix, `a/b/`), sorted."""
        ...


@runtime_checkable
class MetadataStore(Protocol):
    """Runs and task attempts. Safe for several worker processes at once."""

    def create_run(self, record: RunRecord) -> None: ...

    def finish_run(self, flow: str, run_id: str, status: str, error: dict[str, Any] | None = None) -> None: ...

    def get_run(self, flow: str, run_id: str) -> RunRecord | None: ...

    def list_runs(self, flow: str) -> list[RunRecord]:
        """Runs of a flow, newest first."""
        ...

    def list_flows(self) -> list[str]: ...

    def set_tags(self, flow: str, run_id: str, tags: list[str]) -> None:
        """Replace a run's tags (user tags change after the run; system tags are kept by the caller)."""
        ...

    def start_attempt(self, record: AttemptRecord) -> None:
        """Record an attempt as started (replaces a record of the same attempt number)."""
        ...

    def finish_attempt(
        self, flow: str, run_id: str, step: str, task_id: str, attempt: int, status: str,
        error: dict[str, Any] | None = None,
    ) -> None: ...

    def list_tasks(self, flow: str, run_id: str, step: str | None = None) -> list[AttemptRecord]:
        """The latest attempt of each task of a run (of one step if given)."""
        ...

    def list_attempts(self, flow: str, run_id: str, step: str, task_id: str) -> list[AttemptRecord]:
        """Every attempt of one task, oldest first."""
        ...
