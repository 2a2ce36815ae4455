"""MetadataStore on SQLite, at `<root>/metadata.sqlite`, for local runs.

Several warm worker processes write at once, so: WAL journal (readers never block the
writer), a generous busy timeout (writers queue instead of failing), one autocommitted
statement per write (locks are held for microseconds), synchronous=NORMAL (no fsync per
commit in WAL mode; a crash may lose the last commits but never corrupts the file).
Each process opens its own connection, lazily, and reopens it after a fork.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from typing import Any

from .base import ATTEMPT_RUNNING, RUN_RUNNING, AttemptRecord, RunExistsError, RunRecord

__all__ = ["SqliteMetadataStore"]

_BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    flow TEXT NOT NULL, run_id TEXT NOT NULL, status TEXT NOT NULL,
    created_at REAL NOT NULL, finished_at REAL, parameters TEXT, tags TEXT,
    origin_run_id TEXT, resume_steps TEXT, error TEXT, trigger TEXT, code_version TEXT, flow_file TEXT,
    PRIMARY KEY (flow, run_id));
CREATE INDEX IF NOT EXISTS runs_by_time ON runs (flow, created_at);
CREATE TABLE IF NOT EXISTS attempts (
    flow TEXT NOT NULL, run_id TEXT NOT NULL, step TEXT NOT NULL, task_id TEXT NOT NULL,
    attempt INTEGER NOT NULL, status TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL,
    compute TEXT, error TEXT, logs TEXT,
    PRIMARY KEY (flow, run_id, step, task_id, attempt));
"""

_RUN_COLUMNS = ("flow, run_id, status, created_at, finished_at, parameters, tags, origin_run_id, "
                "resume_steps, error, trigger, code_version, flow_file")
_ATTEMPT_COLUMNS = "flow, run_id, step, task_id, attempt, status, started_at, finished_at, compute, error, logs"


class SqliteMetadataStore:
    """MetadataStore backed by one SQLite file; safe across processes and threads."""

    def __init__(self, root: str, filename: str = "metadata.sqlite") -> None:
        self.root = os.path.abspath(root)
        self.path = os.path.join(self.root, filename)
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"SqliteMetadataStore({self.path!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"root": self.root, "path": self.path}  # connections never cross processes

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.root, self.path = state["root"], state["path"]
        self._local = threading.local()

    # -- connection -----------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        os.makedirs(self.root, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        _retry_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"))
        conn.execute("PRAGMA synchronous=NORMAL")
        _retry_locked(lambda: conn.executescript(_SCHEMA))
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local.conn = None

    # -- runs -----------------------------------------------------------------------
    def create_run(self, record: RunRecord) -> None:
        """Insert the run; RunExistsError if it is already recorded (as the DynamoDB store)."""
        created = record.created_at or time.time()
        try:
            self._db().execute(
                f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (record.flow, record.run_id, record.status, created, record.finished_at,
                 _dump(record.parameters), _dump(record.tags), record.origin_run_id, _dump(record.resume_steps),
                 _dump(record.error), record.trigger, record.code_version, record.flow_file),
            )
        except sqlite3.IntegrityError as exc:
            raise RunExistsError(f"run {record.flow}/{record.run_id} is already recorded") from exc

    def finish_run(self, flow: str, run_id: str, status: str, error: dict[str, Any] | None = None) -> None:
        self._db().execute(
            # First terminal status wins, as in the DynamoDB store.
            "UPDATE runs SET status=?, finished_at=?, error=? WHERE flow=? AND run_id=? AND status=?",
            (status, time.time(), _dump(error), flow, run_id, RUN_RUNNING),
        )

    def get_run(self, flow: str, run_id: str) -> RunRecord | None:
        row = self._db().execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE flow=? AND run_id=?", (flow, run_id)
        ).fetchone()
        return _run(row) if row else None

    def list_runs(self, flow: str) -> list[RunRecord]:
        rows = self._db().execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE flow=? ORDER BY created_at DESC, run_id DESC", (flow,)
        ).fetchall()
        return [_run(row) for row in rows]

    def list_flows(self) -> list[str]:
        return [row[0] for row in self._db().execute("SELECT DISTINCT flow FROM runs ORDER BY flow")]

    # -- attempts -------------------------------------------------------------------
    def start_attempt(self, record: AttemptRecord) -> None:
        self._db().execute(
            f"INSERT OR REPLACE INTO attempts ({_ATTEMPT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (record.flow, record.run_id, record.step, record.task_id, record.attempt,
             record.status or ATTEMPT_RUNNING, record.started_at or time.time(), record.finished_at,
             record.compute, _dump(record.error), record.logs),
        )

    def finish_attempt(
        self, flow: str, run_id: str, step: str, task_id: str, attempt: int, status: str,
        error: dict[str, Any] | None = None,
    ) -> None:
        self._db().execute(
            "UPDATE attempts SET status=?, finished_at=?, error=? "
            "WHERE flow=? AND run_id=? AND step=? AND task_id=? AND attempt=?",
            (status, time.time(), _dump(error), flow, run_id, step, task_id, attempt),
        )

    def list_tasks(self, flow: str, run_id: str, step: str | None = None) -> list[AttemptRecord]:
        sql = f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE flow=? AND run_id=?"
        args: tuple[Any, ...] = (flow, run_id)
        if step is not None:
            sql += " AND step=?"
            args += (step,)
        latest: dict[tuple[str, str], AttemptRecord] = {}
        for row in self._db().execute(sql + " ORDER BY attempt", args):
            record = _attempt(row)
            latest[(record.step, record.task_id)] = record
        return sorted(latest.values(), key=lambda r: (r.started_at, r.step, _task_sort_key(r.task_id)))

    def list_attempts(self, flow: str, run_id: str, step: str, task_id: str) -> list[AttemptRecord]:
        rows = self._db().execute(
            f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE flow=? AND run_id=? AND step=? AND task_id=? "
            "ORDER BY attempt", (flow, run_id, step, task_id)
        ).fetchall()
        return [_attempt(row) for row in rows]


def _retry_locked(work: Any, limit: float = _BUSY_TIMEOUT_MS / 1000) -> Any:
    """Run `work`, retrying while the database is locked.

    Two processes opening a new store at once (two runs started together) both hold a
    shared lock while switching it to WAL; SQLite then fails one of them at once with
    "database is locked" instead of calling the busy handler (it would deadlock), so
    busy_timeout alone does not cover it.
    """
    deadline, delay = time.monotonic() + limit, 0.005
    while True:
        try:
            return work()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _run(row: tuple[Any, ...]) -> RunRecord:
    return RunRecord(
        flow=row[0], run_id=row[1], status=row[2], created_at=row[3], finished_at=row[4],
        parameters=_load(row[5]) or {}, tags=_load(row[6]) or [], origin_run_id=row[7],
        resume_steps=_load(row[8]) or [], error=_load(row[9]), trigger=row[10] or "local", code_version=row[11],
        flow_file=row[12],
    )


def _attempt(row: tuple[Any, ...]) -> AttemptRecord:
    return AttemptRecord(
        flow=row[0], run_id=row[1], step=row[2], task_id=row[3], attempt=row[4], status=row[5],
        started_at=row[6], finished_at=row[7], compute=row[8] or "local", error=_load(row[9]), logs=row[10],
    )


def _task_sort_key(task_id: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in task_id.split("."))
    except ValueError:
        return ()
