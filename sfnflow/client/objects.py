"""Flow, Run, Step, Task: read past runs and their artifacts, as Metaflow users know them.

    Flow("TrainFlow").latest_successful_run["join"].task.data.best

Everything is read lazily through the store protocols (runtime.stores.base), so the
same objects read local runs and, later, cloud runs.
"""
from __future__ import annotations

import datetime as _dt
import os
from typing import Any, Iterator

from sfn_compiler.diagnostics import SfnflowError

from .stores import get_stores

_namespace_tags: tuple[str, ...] = ()


def namespace(tag: str | None) -> None:
    """Only show runs carrying this tag (None: all runs), like Metaflow's namespace()."""
    global _namespace_tags
    _namespace_tags = (tag,) if tag else ()


def get_namespace() -> str | None:
    return _namespace_tags[0] if _namespace_tags else None


def default_namespace() -> None:
    namespace(None)


class NotFound(SfnflowError, KeyError):
    """No such flow, run, step, task or artifact in the store being read."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def _when(ts: float | None) -> _dt.datetime | None:
    return _dt.datetime.fromtimestamp(ts, tz=_dt.timezone.utc) if ts else None


def _split(pathspec: str, parts: int, what: str) -> list[str]:
    pieces = pathspec.split("/")
    if len(pieces) != parts or not all(pieces):
        example = "/".join(["Flow", "run_id", "step", "task_id"][:parts])
        raise NotFound(f"{what} pathspec {pathspec!r} should look like {example!r}")
    return pieces


class Flow:
    def __init__(self, name: str) -> None:
        self.name = self.id = self.pathspec = name

    def runs(self, *tags: str) -> list["Run"]:
        """Runs of this flow, newest first (only those carrying every given tag)."""
        wanted = set(tags) | set(_namespace_tags)
        records = get_stores().metadata.list_runs(self.name)
        return [Run._from_record(r) for r in records if wanted.issubset(r.tags)]

    def __iter__(self) -> Iterator["Run"]:
        return iter(self.runs())

    def __getitem__(self, run_id: str) -> "Run":
        return Run(f"{self.name}/{run_id}")

    @property
    def latest_run(self) -> "Run | None":
        runs = self.runs()
        return runs[0] if runs else None

    @property
    def latest_successful_run(self) -> "Run | None":
        return next((r for r in self.runs() if r.successful), None)

    def __repr__(self) -> str:
        return f"Flow('{self.name}')"


class Run:
    def __init__(self, pathspec: str) -> None:
        self.flow_name, self.id = _split(pathspec, 2, "run")
        self.pathspec = pathspec
        self._record: Any = None

    @classmethod
    def _from_record(cls, record: Any) -> "Run":
        run = cls(f"{record.flow}/{record.run_id}")
        run._record = record
        return run

    @property
    def record(self) -> Any:
        if self._record is None:
            self._record = get_stores().metadata.get_run(self.flow_name, self.id)
            if self._record is None:
                raise NotFound(f"no run {self.pathspec} in {get_stores().root}")
        return self._record

    status = property(lambda self: self.record.status)
    finished = property(lambda self: self.record.status != "RUNNING")
    successful = property(lambda self: self.record.status == "SUCCEEDED")
    created_at = property(lambda self: _when(self.record.created_at))
    finished_at = property(lambda self: _when(self.record.finished_at))
    parameters = property(lambda self: dict(self.record.parameters))
    tags = property(lambda self: frozenset(self.record.tags))
    origin_run_id = property(lambda self: self.record.origin_run_id)

    @property
    def exception(self) -> Any:
        """What made the run fail: {"type", "message", "step", ...}, or None."""
        return self.record.error

    def steps(self) -> list["Step"]:
        seen: dict[str, Step] = {}
        for record in get_stores().metadata.list_tasks(self.flow_name, self.id):
            seen.setdefault(record.step, Step(f"{self.pathspec}/{record.step}"))
        return list(seen.values())

    def __iter__(self) -> Iterator["Step"]:
        return iter(self.steps())

    def __getitem__(self, step: str) -> "Step":
        found = Step(f"{self.pathspec}/{step}")
        if not found.tasks():
            raise NotFound(f"run {self.pathspec} has no step '{step}' (steps that ran: "
                           f"{', '.join(s.id for s in self.steps()) or 'none'})")
        return found

    def __contains__(self, step: str) -> bool:
        return any(s.id == step for s in self.steps())

    @property
    def end_task(self) -> "Task | None":
        tasks = Step(f"{self.pathspec}/end").tasks()
        return tasks[0] if tasks else None

    @property
    def data(self) -> "DataView":
        """The end step's artifacts (every artifact that reached the end of the flow)."""
        end = self.end_task
        if end is None:
            raise NotFound(f"run {self.pathspec} has no end task yet (status {self.status})")
        return end.data

    def __repr__(self) -> str:
        return f"Run('{self.pathspec}')"


class Step:
    def __init__(self, pathspec: str) -> None:
        self.flow_name, self.run_id, self.id = _split(pathspec, 3, "step")
        self.pathspec = pathspec

    def tasks(self) -> list["Task"]:
        records = get_stores().metadata.list_tasks(self.flow_name, self.run_id, self.id)
        records.sort(key=lambda r: [int(i) for i in r.task_id.split(".")])
        return [Task._from_record(r) for r in records]

    def __iter__(self) -> Iterator["Task"]:
        return iter(self.tasks())

    def __getitem__(self, task_id: str) -> "Task":
        return Task(f"{self.pathspec}/{task_id}")

    @property
    def task(self) -> "Task":
        tasks = self.tasks()
        if not tasks:
            raise NotFound(f"step {self.pathspec} has no tasks")
        return tasks[0]

    def __repr__(self) -> str:
        return f"Step('{self.pathspec}')"


class Task:
    def __init__(self, pathspec: str) -> None:
        self.flow_name, self.run_id, self.step_name, self.id = _split(pathspec, 4, "task")
        self.pathspec = pathspec
        self._record: Any = None
        self._index: Any = None

    @classmethod
    def _from_record(cls, record: Any) -> "Task":
        task = cls(record.pathspec)
        task._record = record
        return task

    @property
    def record(self) -> Any:
        if self._record is None:
            attempts = get_stores().metadata.list_attempts(self.flow_name, self.run_id, self.step_name, self.id)
            if not attempts:
                raise NotFound(f"no task {self.pathspec}")
            self._record = attempts[-1]
        return self._record

    @property
    def index_record(self) -> Any:
        if self._index is None:
            self._index = get_stores().artifacts.get_index(self.flow_name, self.run_id, self.step_name, self.id)
        return self._index

    status = property(lambda self: self.record.status)
    finished = property(lambda self: self.record.status != "RUNNING")
    successful = property(lambda self: self.record.status in ("SUCCEEDED", "REUSED", "CAUGHT"))
    created_at = property(lambda self: _when(self.record.started_at))
    finished_at = property(lambda self: _when(self.record.finished_at))
    current_attempt = property(lambda self: self.record.attempt)
    exception = property(lambda self: self.record.error)

    @property
    def index(self) -> int:
        """Position in the innermost enclosing foreach (task ids are index paths; 0 outside)."""
        return int(self.id.split(".")[-1])

    @property
    def data(self) -> "DataView":
        index = self.index_record
        if index is None:
            raise NotFound(f"task {self.pathspec} saved no artifacts (status {self.status})")
        return DataView(self.flow_name, index.artifacts, self.pathspec)

    @property
    def artifacts(self) -> list[str]:
        index = self.index_record
        return sorted(index.artifacts) if index else []

    def _log(self, stream: str) -> str:
        data = get_stores().artifacts.get_log(
            self.flow_name, self.run_id, self.step_name, self.id, self.record.attempt, stream
        )
        return data.decode("utf-8", errors="replace")

    stdout = property(lambda self: self._log("stdout"))
    stderr = property(lambda self: self._log("stderr"))

    def __repr__(self) -> str:
        return f"Task('{self.pathspec}')"


class DataView:
    """`task.data.x`: artifacts loaded on first access, then kept."""

    def __init__(self, flow: str, shas: dict[str, str], owner: str) -> None:
        self._flow, self._shas, self._owner, self._loaded = flow, dict(shas), owner, {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._shas:
            raise AttributeError(f"{self._owner} has no artifact '{name}' (it has: {', '.join(sorted(self._shas))})")
        if name not in self._loaded:
            self._loaded[name] = _load(self._flow, self._shas[name], name, self._owner)
        return self._loaded[name]

    def __contains__(self, name: str) -> bool:
        return name in self._shas

    def __dir__(self) -> list[str]:
        return sorted(self._shas)

    def __repr__(self) -> str:
        return f"<data of {self._owner}: {', '.join(sorted(self._shas))}>"


class ArtifactUnreadable(SfnflowError):
    """An artifact's blob is missing or damaged, or its class cannot be imported here."""


def _load(flow: str, sha: str, name: str, owner: str) -> Any:
    from runtime.stores.artifacts import ArtifactDamaged, ArtifactLoadError, ArtifactMissing

    try:
        return get_stores().artifacts.load(flow, sha, name)
    except (ArtifactMissing, ArtifactDamaged) as exc:
        run_id, step = owner.split("/")[1:3]
        raise ArtifactUnreadable(f"artifact '{name}' of {owner} cannot be read: {exc}. Rerun the step that made it "
                                 f"(sfnflow resume {run_id} --from {step}); a rerun stores it afresh.") from None
    except ArtifactLoadError as exc:
        cause = exc.__cause__
        if not isinstance(cause, ModuleNotFoundError):
            raise
        module = cause.name or str(cause)
        record = get_stores().metadata.get_run(flow, owner.split("/")[1])
        folder = os.path.dirname(record.flow_file) if record is not None and record.flow_file else None
        where = f" ({folder})" if folder else ""
        raise ArtifactLoadError(
            f"artifact '{name}' of {owner} holds an object whose class lives in module '{module}', which "
            f"Python cannot import here ({cause}). A class defined in the flow file is stored by reference "
            f"to that file: read it from the flow's folder{where}, or add that folder to sys.path first.") from None
