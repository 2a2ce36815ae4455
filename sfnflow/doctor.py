"""Check a local store, and rebuild its run index (metadata.sqlite) from the artifact tree.

The tree keeps what a run index needs: each run folder holds `run.json` (written when
the run starts: parameters, flow file, tags, resume origin) and, per task, `index.json`
(written when the task succeeded, was caught or reused: its status and attempt) and the
attempts' logs. So a damaged, emptied or deleted metadata.sqlite loses only what was
never on disk: failed attempts' error records (their logs survive) and how each run
ended, which a rebuild infers: a run whose end step finished SUCCEEDED, any other
FAILED with a note saying the index was rebuilt.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from sfn_compiler.diagnostics import SfnflowError

__all__ = ["Checkup", "check_store", "rebuild_index", "run_manifest_key"]

_INDEX_FILES = ("metadata.sqlite", "metadata.sqlite-wal", "metadata.sqlite-shm")


def run_manifest_key(flow: str, run_id: str) -> str:
    return f"{flow}/{run_id}/run.json"


@dataclass
class Checkup:
    root: str
    index_problem: str | None = None  # why metadata.sqlite cannot be used, if it cannot
    runs_on_disk: int = 0
    runs_indexed: int = 0
    dead_runs: list[str] = field(default_factory=list)  # RUNNING runs whose owner is gone
    blobs_checked: int = 0
    damaged_blobs: list[str] = field(default_factory=list)  # set aside as <name>.damaged

    @property
    def healthy(self) -> bool:
        return not (self.index_problem or self.dead_runs or self.damaged_blobs
                    or self.runs_indexed < self.runs_on_disk)


def check_store(root: str, *, blobs: bool = False) -> Checkup:
    """What is wrong with the store at `root` (nothing is changed, except that damaged blobs
    found with `blobs=True` are set aside so the next run that makes them stores them afresh)."""
    from runtime.stores import local_stores

    if not os.path.isdir(root):
        raise SfnflowError(f"no local store at {root}: the folder does not exist.")
    report = Checkup(root=root, runs_on_disk=sum(1 for _ in _run_folders(root)))
    artifacts, metadata = local_stores(root)
    try:
        problem = _quick_check(metadata)
        if problem:
            report.index_problem = problem
        else:
            for flow in metadata.list_flows():
                for run in metadata.list_runs(flow):
                    report.runs_indexed += 1
                    if (run.error or {}).get("type") == "OwnerGone" and run.finished_at is None:
                        report.dead_runs.append(f"{flow}/{run.run_id}")
    except SfnflowError as exc:
        report.index_problem = str(exc)
    if blobs:
        for key in _data_keys(artifacts):
            report.blobs_checked += 1
            flow, sha = key.split("/")[0], key.rsplit("/", 1)[1]
            try:
                artifacts.load(flow, sha)
            except Exception as exc:  # damaged, or a class this process cannot import
                from runtime.stores.artifacts import ArtifactDamaged

                if isinstance(exc, ArtifactDamaged):
                    report.damaged_blobs.append(key)
    return report


def _quick_check(metadata: Any) -> str | None:
    import sqlite3

    conn = metadata._db()
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return f"the run index {metadata.path} is damaged ({exc})"
    if rows and rows[0][0] != "ok":
        return f"the run index {metadata.path} is damaged ({rows[0][0]})"
    return None


def rebuild_index(root: str) -> tuple[int, int, str | None]:
    """Set the old index aside and build a new one from the tree; (runs, tasks, where the old one went)."""
    from runtime.stores.base import ATTEMPT_FAILED, RUN_FAILED, RUN_SUCCEEDED, RunRecord
    from runtime.stores.sqlite_metadata import SqliteMetadataStore

    if not os.path.isdir(root):
        raise SfnflowError(f"no local store at {root}: the folder does not exist.")
    if not os.access(root, os.W_OK):
        raise SfnflowError(f"the local store {root} is read-only; copy it somewhere writable and rebuild there.")
    kept = _set_aside_index(root)
    metadata = SqliteMetadataStore(root, fresh=True)
    runs = tasks = 0
    for flow, run_id, run_dir in _run_folders(root):
        manifest = _read_json(os.path.join(run_dir, "run.json")) or {}
        attempts = list(_task_attempts(flow, run_id, run_dir))
        created = manifest.get("created_at") or min((a.started_at for a in attempts), default=os.path.getmtime(run_dir))
        ended = any(a.step == "end" and a.status != ATTEMPT_FAILED for a in attempts)
        record = RunRecord(
            flow=flow, run_id=run_id, status=RUN_SUCCEEDED if ended else RUN_FAILED, created_at=created,
            finished_at=max((a.finished_at or 0 for a in attempts), default=created) or created,
            parameters=manifest.get("parameters") or {}, tags=manifest.get("tags") or [],
            origin_run_id=manifest.get("origin_run_id"), resume_steps=manifest.get("resume_steps") or [],
            error=None if ended else {"type": "IndexRebuilt", "message": "the run index was rebuilt from the run "
                                      "folder; the run did not reach its end step, and how it stopped was lost."},
            trigger=manifest.get("trigger") or "local", flow_file=manifest.get("flow_file"),
        )
        metadata.create_run(record)
        for attempt in attempts:
            metadata.start_attempt(attempt)
        runs += 1
        tasks += len({(a.step, a.task_id) for a in attempts})
    return runs, tasks, kept


def _set_aside_index(root: str) -> str | None:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    moved = None
    for name in _INDEX_FILES:
        path = os.path.join(root, name)
        if os.path.exists(path):
            target = f"{path}.damaged-{stamp}"
            os.replace(path, target)
            if name == "metadata.sqlite":
                moved = target
    return moved


def _run_folders(root: str) -> Iterator[tuple[str, str, str]]:
    for flow in sorted(os.scandir(root), key=lambda e: e.name):
        if not flow.is_dir():
            continue
        for run in sorted(os.scandir(flow.path), key=lambda e: e.name):
            if run.is_dir() and run.name != "data":
                yield flow.name, run.name, run.path


def _task_attempts(flow: str, run_id: str, run_dir: str) -> Iterator[Any]:
    """One record per attempt found on disk: the indexed attempt as it ended, the others
    (logs only) as FAILED with their error lost."""
    from runtime.stores.base import ATTEMPT_FAILED, ATTEMPT_SUCCEEDED, AttemptRecord

    for step in sorted(os.scandir(run_dir), key=lambda e: e.name):
        if not step.is_dir():
            continue
        for task in os.scandir(step.path):
            if not task.is_dir():
                continue
            index_path = os.path.join(task.path, "index.json")
            index = _read_json(index_path)
            meta = (index or {}).get("meta") or {}
            done_attempt = int(meta.get("attempt", 0)) if index is not None else None
            seen = set()
            for entry in os.scandir(task.path):
                head, _, tail = entry.name.partition(".")
                if tail in ("stdout", "stderr") and head.isdigit():
                    seen.add(int(head))
            if done_attempt is not None:
                seen.add(done_attempt)
            for number in sorted(seen):
                source = index_path if number == done_attempt else _first_log(task.path, number)
                when = os.path.getmtime(source) if source else os.path.getmtime(task.path)
                if number == done_attempt:
                    status = str(meta.get("status") or ATTEMPT_SUCCEEDED)
                    error = {"type": meta["caught"].split(":")[0], "message": meta["caught"]} if meta.get("caught") else None
                else:
                    status = ATTEMPT_FAILED
                    error = {"type": "IndexRebuilt", "message": "this attempt did not finish; its error record "
                             "was lost with the run index (its logs are kept)."}
                yield AttemptRecord(flow, run_id, step.name, task.name, number, status, when, when, "local", error)


def _first_log(folder: str, attempt: int) -> str | None:
    for stream in ("stderr", "stdout"):
        path = os.path.join(folder, f"{attempt}.{stream}")
        if os.path.exists(path):
            return path
    return None


def _read_json(path: str) -> Any:
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read())
    except (OSError, ValueError):
        return None


def _data_keys(artifacts: Any) -> Iterator[str]:
    root = artifacts.blobs.root
    for flow in sorted(os.listdir(root)):
        data = os.path.join(flow, "data")
        if os.path.isdir(os.path.join(root, data)):
            yield from artifacts.blobs.list(f"{flow}/data/")
