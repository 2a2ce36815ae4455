"""Flow, Run, Step, Task: read past runs and their artifacts, as Metaflow users know them.

    Flow("TrainFlow").latest_successful_run["join"].task.data.best

Everything is read lazily through the store protocols (runtime.stores.base), so the
same objects read local runs and, later, cloud runs.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Iterator

from sfn_compiler.exceptions import MetaflowNamespaceMismatch, MetaflowNotFound, MetaflowTaggingError
from sfn_compiler.identity import is_system_tag

from .artifacts import DataArtifact, DataView, MetadataEntry
from .namespaces import default_namespace, get_namespace, in_namespace, namespace
from .stores import get_stores

__all__ = ["DataArtifact", "DataView", "Flow", "NotFound", "Run", "RunCode", "Step", "Task",
           "default_namespace", "get_namespace", "namespace"]


class NotFound(MetaflowNotFound, KeyError):
    """No such flow, run, step, task or artifact in the store being read.

    A MetaflowNotFound (as Metaflow raises) and a KeyError (so `flow["bad"]` behaves as a
    mapping would)."""


def _when(ts: float | None) -> _dt.datetime | None:
    # Naive local time, as Metaflow's client gives it (so `run.finished_at - run.created_at`
    # and comparisons with datetime.now() work as in a Metaflow notebook).
    return _dt.datetime.fromtimestamp(ts) if ts else None


def _split(pathspec: str, parts: int, what: str) -> list[str]:
    pieces = str(pathspec).split("/")
    if len(pieces) != parts or not all(pieces):
        example = "/".join(["Flow", "run_id", "step", "task_id"][:parts])
        raise NotFound(f"{what} pathspec {pathspec!r} should look like {example!r}")
    return pieces


def _task_order(task_id: str) -> list[int]:
    return [int(i) if i.isdigit() else -1 for i in task_id.split(".")]


class RunCode:
    """The code a run ran: the flow file it started from (`path`) and its text (`flowspec`):
    the file itself for a local run, the copy a deployed run keeps in the datastore
    (runtime/run_code.py) for a cloud run."""

    def __init__(self, path: str | None, code_version: str | None, kept: Any = None) -> None:
        self.path = path
        self.info = {"code_version": code_version, "flow_file": path}
        self.tarball = None  # Metaflow's code tarball; sfnflow packages code only for deploys
        self._kept = kept  # () -> bytes of the datastore's copy, or None

    @property
    def flowspec(self) -> str | None:
        try:
            if self._kept is not None:
                return self._kept().decode("utf-8", "replace")
            with open(self.path or "", encoding="utf-8") as fh:
                return fh.read()
        except (KeyError, OSError):
            return None

    def __repr__(self) -> str:
        return f"RunCode({self.path!r})"


class _Bound:
    """A client object reads the stores it was made with (a Runner's run reads the store its
    run went to), else the ones the client reads its flow from (get_stores(flow))."""

    _stores: Any = None

    @property
    def _st(self) -> Any:
        if self._stores is not None:
            return self._stores
        return get_stores(self.name if isinstance(self, Flow) else self.flow_name)


class Flow(_Bound):
    def __init__(self, name: str, _check: bool = True, *, _stores: Any = None) -> None:
        self.name = self.id = self.pathspec = name
        self._stores = _stores
        # list_runs, not list_flows: a run the state machine recorded by itself (a start that
        # crashed) has no flow marker, and it must still be found.
        if _check and not self._st.metadata.list_runs(name):
            raise NotFound(f"no runs of {name} yet. Start one with: sfnflow run <flow file>")

    def runs(self, *tags: str) -> list["Run"]:
        """Runs of this flow in the current namespace, newest first (only those carrying every given tag)."""
        wanted = set(tags)
        records = self._st.metadata.list_runs(self.name)
        return [Run._from_record(r, self._stores) for r in records if wanted.issubset(r.tags) and in_namespace(r.tags)]

    def __iter__(self) -> Iterator["Run"]:
        return iter(self.runs())

    def __getitem__(self, run_id: str | int) -> "Run":
        return Run(f"{self.name}/{run_id}", _stores=self._stores)

    def __contains__(self, run_id: str | int) -> bool:
        return self._st.metadata.get_run(self.name, str(run_id)) is not None

    @property
    def latest_run(self) -> "Run | None":
        runs = self.runs()
        return runs[0] if runs else None

    @property
    def latest_successful_run(self) -> "Run | None":
        return next((r for r in self.runs() if r.successful), None)

    def __repr__(self) -> str:
        return f"Flow('{self.name}')"


class Run(_Bound):
    def __init__(self, pathspec: str, _check: bool = True, *, _namespace_check: bool = True,
                 _stores: Any = None) -> None:
        self.flow_name, self.id = _split(pathspec, 2, "run")
        self.pathspec = f"{self.flow_name}/{self.id}"
        self._record: Any = None
        self._stores = _stores
        if _check and _namespace_check:
            ns = get_namespace()
            if not in_namespace(self.record.tags, ns):
                raise MetaflowNamespaceMismatch(ns, f"run {self.pathspec} is not in namespace '{ns}' "
                                                    "(namespace(None) shows every run)")

    @classmethod
    def _from_record(cls, record: Any, stores: Any = None) -> "Run":
        run = cls(f"{record.flow}/{record.run_id}", _check=False, _stores=stores)
        run._record = record
        return run

    @property
    def record(self) -> Any:
        if self._record is None:
            self._record = self._st.metadata.get_run(self.flow_name, self.id)
            if self._record is None:
                raise NotFound(f"no run {self.pathspec} in {self._st.root}")
        return self._record

    status = property(lambda self: self.record.status)
    finished = property(lambda self: self.record.status != "RUNNING")
    created_at = property(lambda self: _when(self.record.created_at))
    finished_at = property(lambda self: _when(self.record.finished_at))
    parameters = property(lambda self: dict(self.record.parameters))
    tags = property(lambda self: frozenset(self.record.tags))
    user_tags = property(lambda self: frozenset(t for t in self.record.tags if not is_system_tag(t)))
    system_tags = property(lambda self: frozenset(t for t in self.record.tags if is_system_tag(t)))
    origin_run_id = property(lambda self: self.record.origin_run_id)
    origin_pathspec = property(lambda self: f"{self.flow_name}/{self.origin_run_id}" if self.origin_run_id else None)
    parent = property(lambda self: Flow(self.flow_name, _check=False, _stores=self._stores))
    @property
    def code(self) -> RunCode:
        """A local run: its flow file. A deployed run: the copy of it kept with the run."""
        from runtime.run_code import code_prefix

        record = self.record
        if record.flow_file:
            return RunCode(record.flow_file, record.code_version)
        blobs = self._st.artifacts.blobs
        kept = blobs.list(code_prefix(self.flow_name, self.id))
        return RunCode(kept[0] if kept else None, record.code_version,
                       (lambda: blobs.get(kept[0])) if kept else None)

    # -- user tags can change after the run, as in Metaflow --------------------------------
    def add_tag(self, tag: str) -> None:
        self.replace_tags([], [tag])

    def add_tags(self, tags: list[str]) -> None:
        self.replace_tags([], tags)

    def remove_tag(self, tag: str) -> None:
        self.replace_tags([tag], [])

    def remove_tags(self, tags: list[str]) -> None:
        self.replace_tags(tags, [])

    def replace_tag(self, tag_to_remove: str, tag_to_add: str) -> None:
        self.replace_tags([tag_to_remove], [tag_to_add])

    def replace_tags(self, tags_to_remove: list[str], tags_to_add: list[str]) -> None:
        bad = [t for t in [*tags_to_remove, *tags_to_add] if not isinstance(t, str) or not t or is_system_tag(t)]
        if bad:
            raise MetaflowTaggingError(f"cannot change tag(s) {bad} of {self.pathspec}: system tags "
                                       "(user:, runtime:, python_version:, sfnflow_version:) are fixed, "
                                       "and a tag is a non-empty string.")
        current = set(self._st.metadata.get_run(self.flow_name, self.id).tags)
        updated = (current - set(tags_to_remove)) | set(tags_to_add)
        self._st.metadata.set_tags(self.flow_name, self.id, sorted(updated))
        self._record = None

    @property
    def successful(self) -> bool:
        """The run ended well and its end task did its work (a caught end task did not, as in Metaflow)."""
        if self.record.status != "SUCCEEDED":
            return False
        end = self._st.metadata.list_tasks(self.flow_name, self.id, "end")
        return not end or end[0].status != "CAUGHT"

    @property
    def exception(self) -> Any:
        """What made the run fail: {"type", "message", "step", ...}, or None."""
        return self.record.error

    def steps(self) -> list["Step"]:
        seen: dict[str, Step] = {}
        for record in self._st.metadata.list_tasks(self.flow_name, self.id):
            seen.setdefault(record.step, Step(f"{self.pathspec}/{record.step}", _stores=self._stores))
        return list(seen.values())

    def __iter__(self) -> Iterator["Step"]:
        """Steps newest first (the end step first), as Metaflow lists them; steps() is flow order."""
        starts: dict[str, float] = {}
        for record in self._st.metadata.list_tasks(self.flow_name, self.id):
            starts[record.step] = min(starts.get(record.step, record.started_at), record.started_at)
        return iter(sorted(self.steps(), key=lambda s: starts.get(s.id, 0.0), reverse=True))

    def __getitem__(self, step: str) -> "Step":
        found = Step(f"{self.pathspec}/{step}", _stores=self._stores)
        if not found.tasks():
            raise NotFound(f"run {self.pathspec} has no step '{step}' (steps that ran: "
                           f"{', '.join(s.id for s in self.steps()) or 'none'})")
        return found

    def __contains__(self, step: str) -> bool:
        return any(s.id == step for s in self.steps())

    @property
    def end_task(self) -> "Task | None":
        tasks = Step(f"{self.pathspec}/end", _stores=self._stores).tasks()
        return tasks[0] if tasks else None

    @property
    def data(self) -> "DataView | None":
        """The end step's artifacts (every artifact that reached the end of the flow); None
        when the run has no successful end task (Metaflow gives None for a failed run)."""
        end = self.end_task
        if end is None or end.index_record is None:
            return None
        return end.data

    def __repr__(self) -> str:
        return f"Run('{self.pathspec}')"


class Step(_Bound):
    def __init__(self, pathspec: str, *, _stores: Any = None) -> None:
        self.flow_name, self.run_id, self.id = _split(pathspec, 3, "step")
        self.pathspec = pathspec
        self._stores = _stores

    def tasks(self) -> list["Task"]:
        """The step's tasks by position (task ids are foreach index paths: 0, 1, ... or 3.7)."""
        records = self._st.metadata.list_tasks(self.flow_name, self.run_id, self.id)
        records.sort(key=lambda r: _task_order(r.task_id))
        return [Task._from_record(r, self._stores) for r in records]

    def __iter__(self) -> Iterator["Task"]:
        """Tasks by descending id, as Metaflow lists them; tasks() is ascending."""
        return iter(reversed(self.tasks()))

    def __getitem__(self, task_id: str | int) -> "Task":
        return Task(f"{self.pathspec}/{task_id}", _stores=self._stores)

    parent = property(lambda self: Run(f"{self.flow_name}/{self.run_id}", _check=False, _stores=self._stores))

    @property
    def created_at(self) -> _dt.datetime | None:
        """When the step's first task started."""
        starts = [t.record.started_at for t in self.tasks() if t.record.started_at]
        return _when(min(starts)) if starts else None

    @property
    def finished_at(self) -> _dt.datetime | None:
        """When its last task finished; None while any task is still running."""
        records = [t.record for t in self.tasks()]
        if not records or any(r.finished_at is None for r in records):
            return None
        return _when(max(r.finished_at for r in records))

    def control_tasks(self) -> Iterator["Task"]:
        """The control task of a @parallel step (node 0); none for other steps."""
        return iter(())

    @property
    def task(self) -> "Task":
        tasks = self.tasks()
        if not tasks:
            raise NotFound(f"step {self.pathspec} has no tasks")
        return tasks[0]

    def __repr__(self) -> str:
        return f"Step('{self.pathspec}')"


class Task(_Bound):
    def __init__(self, pathspec: str, *, _stores: Any = None) -> None:
        self.flow_name, self.run_id, self.step_name, self.id = _split(pathspec, 4, "task")
        self.pathspec = f"{self.flow_name}/{self.run_id}/{self.step_name}/{self.id}"
        self._record: Any = None
        self._index: Any = None
        self._stores = _stores

    @classmethod
    def _from_record(cls, record: Any, stores: Any = None) -> "Task":
        task = cls(record.pathspec, _stores=stores)
        task._record = record
        return task

    @property
    def record(self) -> Any:
        if self._record is None:
            metadata = self._st.metadata
            attempts = metadata.list_attempts(self.flow_name, self.run_id, self.step_name, self.id)
            if not attempts:
                raise NotFound(f"no task {self.pathspec}")
            self._record = attempts[-1]
        return self._record

    @property
    def index_record(self) -> Any:
        """The finished task's index; for a failed task, what its last attempt had set when it failed."""
        if self._index is None:
            store = self._st.artifacts
            self._index = store.get_index(self.flow_name, self.run_id, self.step_name, self.id)
            if self._index is None and self.record.status == "FAILED":
                self._index = store.get_failed_index(self.flow_name, self.run_id, self.step_name, self.id,
                                                     self.record.attempt)
        return self._index

    status = property(lambda self: self.record.status)
    finished = property(lambda self: self.record.status != "RUNNING")
    # A caught task finished (the flow went on) but did not succeed, as in Metaflow.
    successful = property(lambda self: self.record.status in ("SUCCEEDED", "REUSED"))
    created_at = property(lambda self: _when(self.record.started_at))
    finished_at = property(lambda self: _when(self.record.finished_at))
    current_attempt = property(lambda self: self.record.attempt)

    @property
    def exception(self) -> Any:
        """Why the task failed, as Metaflow's exception object (`.type` 'module.Class',
        `.exception` the message, `.stacktrace`); None if it did not fail (a caught task's
        failure is in its @catch variable)."""
        record = self.record
        if record.status != "FAILED" or not record.error:
            return None
        from runtime.errors import wrapper_from_record

        return wrapper_from_record(record.error)

    @property
    def index(self) -> int:
        """Position in the innermost enclosing foreach (task ids are index paths; 0 outside)."""
        return int(self.id.split(".")[-1])

    @property
    def data(self) -> "DataView":
        index = self.index_record
        if index is None:
            raise NotFound(f"task {self.pathspec} saved no artifacts (status {self.status})")
        return DataView(self.flow_name, index.artifacts, self.pathspec, self._st)

    @property
    def artifacts(self) -> list[str]:
        index = self.index_record
        return sorted(index.artifacts) if index else []

    def _log(self, stream: str) -> str:
        data = self._st.artifacts.get_log(
            self.flow_name, self.run_id, self.step_name, self.id, self.record.attempt, stream
        )
        return data.decode("utf-8", errors="replace")

    stdout = property(lambda self: self._log("stdout"))
    stderr = property(lambda self: self._log("stderr"))

    def loglines(self, stream: str = "stdout", as_unicode: bool = True) -> Iterator[tuple[Any, Any]]:
        """(time, line) pairs of a log, as Metaflow yields them. sfnflow does not time each
        line: every line carries the task's finish time (its start time while it runs)."""
        when = self.finished_at or self.created_at
        for line in self._log(stream).splitlines():
            yield when, line if as_unicode else line.encode("utf-8")

    parent = property(lambda self: Step(f"{self.flow_name}/{self.run_id}/{self.step_name}", _stores=self._stores))
    runtime_name = property(lambda self: self.record.compute)
    code = property(lambda self: self.parent.parent.code)

    @property
    def origin_pathspec(self) -> str | None:
        """The task a resumed run reused instead of running this one again."""
        index = self.index_record
        return index.meta.get("origin") if index is not None else None

    @property
    def metadata(self) -> list["MetadataEntry"]:
        """What Metaflow users look for in a task's metadata: attempts, where it ran, its logs, its origin."""
        return [MetadataEntry(name, value, self) for name, value in self.metadata_dict.items()]

    @property
    def metadata_dict(self) -> dict[str, Any]:
        record, index = self.record, self.index_record
        meta = index.meta if index is not None else {}
        stores = self._st
        facts: dict[str, Any] = {
            "attempt": record.attempt, "attempts": record.attempt + 1, "status": record.status,
            "runtime": record.compute, "started_at": record.started_at, "finished_at": record.finished_at,
            "log_location": record.logs or stores.artifacts.log_key(
                self.flow_name, self.run_id, self.step_name, self.id, record.attempt, "stdout"),
        }
        # Metaflow's task metadata names where they exist (python_version, ds-type, ds-root).
        for name, shown in (("origin", "origin-pathspec"), ("foreach_n", "foreach_n"), ("environment", "environment"),
                            ("python", "python_version"), ("python_version", "python_version"),
                            ("platform", "platform")):
            if meta.get(name) is not None:
                facts[shown] = meta[name]
        remote = stores.root.startswith("s3://")
        facts["ds-type"] = "s3" if remote else "local"
        facts["ds-root"] = stores.root.split(" and ")[0] if remote else stores.root
        if meta.get("origin"):
            facts["origin-run-id"] = str(meta["origin"]).split("/")[1]
        return facts

    @property
    def environment_info(self) -> dict[str, Any]:
        """What sfnflow knows of the environment the task ran in (Python, platform, step environment)."""
        facts = self.metadata_dict
        return {k: facts[k] for k in ("runtime", "python_version", "platform", "environment") if k in facts}

    # -- the task's artifacts as objects, as Metaflow's Task iterates them ------------------
    def __iter__(self) -> Iterator["DataArtifact"]:
        index = self.index_record
        for name in sorted(index.artifacts if index else ()):
            yield DataArtifact(self, name, index.artifacts[name])

    def __getitem__(self, name: str) -> "DataArtifact":
        index = self.index_record
        if index is None or name not in index.artifacts:
            raise NotFound(f"task {self.pathspec} has no artifact '{name}'")
        return DataArtifact(self, name, index.artifacts[name])

    def __contains__(self, name: str) -> bool:
        index = self.index_record
        return index is not None and name in index.artifacts

    def __repr__(self) -> str:
        return f"Task('{self.pathspec}')"
