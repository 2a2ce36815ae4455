"""MetadataStore on SQLite, at `<root>/metadata.sqlite`, for local runs.

Several warm worker processes write at once, so: WAL journal (readers never block the
writer), a generous busy timeout (writers queue instead of failing), one autocommitted
statement per write (locks are held for microseconds), synchronous=NORMAL (no fsync per
commit in WAL mode; a crash may lose the last commits but never corrupts the file).
Each process opens its own connection, lazily, and reopens it after a fork.

Damage is explained, not dumped: a corrupt file, an emptied or deleted one while run
folders sit on disk, or a store on a read-only disk each raise one MetadataError
sentence with the path and what to do (`sfnflow doctor` rebuilds the index from the
artifact tree). A read-only store is opened read-only (no WAL switch, no schema), so
`sfnflow runs` and the client still read it.

A RUNNING run whose owner process is gone reads as ABORTED (stores/run_owner.py).
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from typing import Any

from sfn_compiler.diagnostics import SfnflowError

from .base import ATTEMPT_CAUGHT, ATTEMPT_FAILED, ATTEMPT_RUNNING, RUN_ABORTED, RUN_RUNNING, AttemptRecord, RunExistsError, RunRecord
from .run_owner import OWNER_GONE, owner_gone

__all__ = ["MetadataError", "SqliteMetadataStore"]


class MetadataError(SfnflowError):
    """The local run index cannot be used as it is (damaged, lost, read-only)."""

_BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    flow TEXT NOT NULL, run_id TEXT NOT NULL, status TEXT NOT NULL,
    created_at REAL NOT NULL, finished_at REAL, parameters TEXT, tags TEXT,
    origin_run_id TEXT, resume_steps TEXT, error TEXT, trigger TEXT, code_version TEXT, flow_file TEXT,
    owner TEXT, heartbeat_at REAL,
    PRIMARY KEY (flow, run_id));
CREATE INDEX IF NOT EXISTS runs_by_time ON runs (flow, created_at);
CREATE TABLE IF NOT EXISTS attempts (
    flow TEXT NOT NULL, run_id TEXT NOT NULL, step TEXT NOT NULL, task_id TEXT NOT NULL,
    attempt INTEGER NOT NULL, status TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL,
    compute TEXT, error TEXT, logs TEXT,
    PRIMARY KEY (flow, run_id, step, task_id, attempt));
"""

_RUN_COLUMNS = ("flow, run_id, status, created_at, finished_at, parameters, tags, origin_run_id, "
                "resume_steps, error, trigger, code_version, flow_file, owner, heartbeat_at")
_ADDED_RUN_COLUMNS = (("owner", "TEXT"), ("heartbeat_at", "REAL"))  # stores made before owners were recorded
_ATTEMPT_COLUMNS = "flow, run_id, step, task_id, attempt, status, started_at, finished_at, compute, error, logs"


class SqliteMetadataStore:
    """MetadataStore backed by one SQLite file; safe across processes and threads."""

    def __init__(self, root: str, filename: str = "metadata.sqlite", *, fresh: bool = False) -> None:
        """`fresh`: a new index is expected even though run folders exist (sfnflow doctor --rebuild)."""
        self.root = os.path.abspath(root)
        self.fresh = fresh
        self.path = os.path.join(self.root, filename)
        self._local = threading.local()
        self.read_only = False

    def __repr__(self) -> str:
        return f"SqliteMetadataStore({self.path!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"root": self.root, "path": self.path, "fresh": self.fresh}  # connections never cross processes

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.root, self.path, self.fresh = state["root"], state["path"], state.get("fresh", False)
        self._local = threading.local()
        self.read_only = False

    # -- connection -----------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        try:
            conn = self._open()
        except sqlite3.DatabaseError as exc:
            raise self._explain(exc) from None
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _open(self) -> sqlite3.Connection:
        if not self._writable():
            return self._open_read_only()
        if not self.fresh:
            self._check_not_lost()
        os.makedirs(self.root, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        _retry_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"))
        conn.execute("PRAGMA synchronous=NORMAL")
        _retry_locked(lambda: conn.executescript(_SCHEMA))
        _retry_locked(lambda: _add_missing_columns(conn))
        return conn

    def check_writable(self) -> None:
        """Raise the MetadataError a run would meet (damaged, lost, read-only), creating nothing."""
        if os.path.isfile(self.path) and os.path.getsize(self.path) > 0:
            self._db()
        elif not self.fresh:
            self._check_not_lost()
        if self.read_only or (os.path.exists(self.root) and not self._writable()):
            raise self._explain(sqlite3.OperationalError("attempt to write a readonly database"))

    def _writable(self) -> bool:
        folder = self.root
        while not os.path.isdir(folder) and os.path.dirname(folder) != folder:
            folder = os.path.dirname(folder)  # a new root: the folders that will hold it are made then
        if not os.access(folder, os.W_OK):
            return False
        return not os.path.exists(self.path) or os.access(self.path, os.W_OK)

    def _open_read_only(self) -> sqlite3.Connection:
        if not os.path.isfile(self.path) or os.path.getsize(self.path) == 0:
            self._check_not_lost()
            raise MetadataError(f"the local store {self.root} is read-only and has no run index "
                                f"({self.path} is missing or empty). Point --root or SFNFLOW_ROOT at a writable "
                                "store, or copy this one somewhere writable and run `sfnflow doctor --rebuild`.")
        # A WAL database opens read-only when its -wal/-shm files exist (a run left them);
        # after a clean close they are gone and only an immutable open works.
        for query in ("mode=ro", "immutable=1"):
            conn = sqlite3.connect(f"file:{self.path}?{query}", uri=True, isolation_level=None,
                                   check_same_thread=False)
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError:
                conn.close()
                continue
            self.read_only = True
            return conn
        raise MetadataError(f"the run index {self.path} cannot be opened on this read-only store. "
                            "Copy the store somewhere writable and read it there.")

    def _check_not_lost(self) -> None:
        """An absent or 0-byte index while run folders are on disk: history was lost; say so
        instead of silently starting an empty one."""
        if os.path.isfile(self.path) and os.path.getsize(self.path) > 0:
            return
        runs = _run_folders(self.root)
        if runs:
            state = "empty (0 bytes)" if os.path.isfile(self.path) else "missing"
            raise MetadataError(f"the run index {self.path} is {state}, but {runs} run folder(s) are on disk "
                                f"under {self.root}. Rebuild it from them with: sfnflow doctor --rebuild "
                                f"--root {self.root}")

    def _explain(self, exc: sqlite3.Error) -> Exception:
        text = str(exc)
        if "readonly" in text or "read-only" in text:
            return MetadataError(f"the local store {self.root} is read-only ({text}); a run needs to write there. "
                                 "Point --root or SFNFLOW_ROOT at a writable folder.")
        if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
            return exc  # busy beyond the timeout: not damage
        if isinstance(exc, sqlite3.OperationalError) and "unable to open" in text:
            return MetadataError(f"the run index {self.path} cannot be opened ({text}). Check that the folder "
                                 "exists and is readable and writable, or point --root or SFNFLOW_ROOT elsewhere.")
        return MetadataError(f"the run index {self.path} is damaged ({text}). Artifacts and logs are kept apart "
                             f"from it: rebuild it from the run folders with: sfnflow doctor --rebuild --root "
                             f"{self.root} (the damaged file is kept beside it).")

    def _sql(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            return self._db().execute(sql, args)
        except sqlite3.IntegrityError:
            raise
        except sqlite3.DatabaseError as exc:
            raise self._explain(exc) from None

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        try:
            return self._sql(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._explain(exc) from None

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
            self._sql(
                f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (record.flow, record.run_id, record.status, created, record.finished_at,
                 _dump(record.parameters), _dump(record.tags), record.origin_run_id, _dump(record.resume_steps),
                 _dump(record.error), record.trigger, record.code_version, record.flow_file, _dump(record.owner),
                 record.heartbeat_at),
            )
        except sqlite3.IntegrityError as exc:
            raise RunExistsError(f"run {record.flow}/{record.run_id} is already recorded") from exc

    def finish_run(self, flow: str, run_id: str, status: str, error: dict[str, Any] | None = None) -> None:
        self._sql(
            # First terminal status wins, as in the DynamoDB store.
            "UPDATE runs SET status=?, finished_at=?, error=? WHERE flow=? AND run_id=? AND status=?",
            (status, time.time(), _dump(error), flow, run_id, RUN_RUNNING),
        )

    def heartbeat(self, flow: str, run_id: str) -> None:
        """The owner is alive (run_owner.HEARTBEAT_EVERY); readers use it when they cannot ask the kernel."""
        self._sql("UPDATE runs SET heartbeat_at=? WHERE flow=? AND run_id=? AND status=?",
                  (time.time(), flow, run_id, RUN_RUNNING))

    def set_tags(self, flow: str, run_id: str, tags: list[str]) -> None:
        """Replace a run's tags (the client's add_tag / remove_tag / replace_tag)."""
        self._sql("UPDATE runs SET tags=? WHERE flow=? AND run_id=?", (_dump(sorted(set(tags))), flow, run_id))

    def get_run(self, flow: str, run_id: str) -> RunRecord | None:
        rows = self._rows(f"SELECT {_RUN_COLUMNS} FROM runs WHERE flow=? AND run_id=?", (flow, run_id))
        return _run(rows[0]) if rows else None

    def list_runs(self, flow: str) -> list[RunRecord]:
        rows = self._rows(f"SELECT {_RUN_COLUMNS} FROM runs WHERE flow=? ORDER BY created_at DESC, run_id DESC",
                          (flow,))
        return [_run(row) for row in rows]

    def list_flows(self) -> list[str]:
        return [row[0] for row in self._rows("SELECT DISTINCT flow FROM runs ORDER BY flow")]

    def close_dead_run(self, record: RunRecord) -> bool:
        """Write down what readers already report for a run whose owner is gone: ABORTED,
        and its attempts still RUNNING closed. True if this call closed it."""
        if record.status != RUN_ABORTED or (record.error or {}).get("type") != OWNER_GONE:
            return False
        self._sql("UPDATE runs SET status=?, finished_at=?, error=? WHERE flow=? AND run_id=? AND status=?",
                  (RUN_ABORTED, time.time(), _dump(record.error), record.flow, record.run_id, RUN_RUNNING))
        for attempt in self.running_attempts(record.flow, record.run_id):
            self.finish_attempt(record.flow, record.run_id, attempt.step, attempt.task_id, attempt.attempt,
                                ATTEMPT_FAILED, {"type": "Aborted", "message": record.error.get("message", "")})
        return True

    # -- attempts -------------------------------------------------------------------
    def start_attempt(self, record: AttemptRecord) -> None:
        self._sql(
            f"INSERT OR REPLACE INTO attempts ({_ATTEMPT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (record.flow, record.run_id, record.step, record.task_id, record.attempt,
             record.status or ATTEMPT_RUNNING, record.started_at or time.time(), record.finished_at,
             record.compute, _dump(record.error), record.logs),
        )

    def finish_attempt(
        self, flow: str, run_id: str, step: str, task_id: str, attempt: int, status: str,
        error: dict[str, Any] | None = None,
    ) -> None:
        self._sql(
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
        for row in self._rows(sql + " ORDER BY attempt", args):
            record = _attempt(row)
            latest[(record.step, record.task_id)] = record
        return sorted(latest.values(), key=lambda r: (r.started_at, r.step, _task_sort_key(r.task_id)))

    def task_counts(self, flow: str, run_id: str) -> tuple[dict[str, int], int]:
        """({status: tasks}, retries) over each task's latest attempt, as list_tasks would
        give them (retries: the latest attempt numbers, caught tasks aside), in one query
        instead of reading every attempt back (a run's summary line)."""
        rows = self._rows(
            "SELECT a.status, COUNT(*), SUM(a.attempt) FROM attempts a JOIN "
            "(SELECT step, task_id, MAX(attempt) AS latest FROM attempts WHERE flow=? AND run_id=? "
            " GROUP BY step, task_id) t ON a.step=t.step AND a.task_id=t.task_id AND a.attempt=t.latest "
            "WHERE a.flow=? AND a.run_id=? GROUP BY a.status", (flow, run_id, flow, run_id))
        counts = {str(status): int(n) for status, n, _ in rows}
        retries = sum(int(total or 0) for status, _, total in rows if status != ATTEMPT_CAUGHT)
        return counts, retries

    def list_attempts(self, flow: str, run_id: str, step: str, task_id: str) -> list[AttemptRecord]:
        rows = self._rows(
            f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE flow=? AND run_id=? AND step=? AND task_id=? "
            "ORDER BY attempt", (flow, run_id, step, task_id))
        return [_attempt(row) for row in rows]

    def running_attempts(self, flow: str, run_id: str) -> list[AttemptRecord]:
        """Every attempt of the run still recorded RUNNING, earlier (retried) attempts included."""
        rows = self._rows(f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE flow=? AND run_id=? AND status=? "
                          "ORDER BY started_at", (flow, run_id, ATTEMPT_RUNNING))
        return [_attempt(row) for row in rows]


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    have = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
    for name, kind in _ADDED_RUN_COLUMNS:
        if name not in have:
            conn.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")


def _run_folders(root: str) -> int:
    """How many `<flow>/<run>/` folders hold task indexes (cheap: two directory levels)."""
    count = 0
    try:
        flows = [e for e in os.scandir(root) if e.is_dir()]
    except OSError:
        return 0
    for flow in flows:
        try:
            count += sum(1 for e in os.scandir(flow.path) if e.is_dir() and e.name != "data")
        except OSError:
            continue
    return count


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
    record = RunRecord(
        flow=row[0], run_id=row[1], status=row[2], created_at=row[3], finished_at=row[4],
        parameters=_load(row[5]) or {}, tags=_load(row[6]) or [], origin_run_id=row[7],
        resume_steps=_load(row[8]) or [], error=_load(row[9]), trigger=row[10] or "local", code_version=row[11],
        flow_file=row[12], owner=_load(row[13]), heartbeat_at=row[14],
    )
    if record.status == RUN_RUNNING:
        gone = owner_gone(record.owner, record.heartbeat_at)
        if gone:
            record.status = RUN_ABORTED
            record.error = {"type": OWNER_GONE, "message": f"{gone}; everything it saved is kept. "
                            f"Continue it with: sfnflow resume {record.run_id}"}
    return record


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
