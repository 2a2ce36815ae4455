"""A pool of warm local worker processes that run one task at a time each.

Start-up forks one "zygote" process while the engine process has no threads yet (before
moto starts its interpreter threads): the zygote imports the runtime and the flow module
once, then forks every worker on request. Workers are therefore warm (no imports per
task), cheap to replace (a fork of a warm, single-threaded process, ~ms), and never
forked from the threaded engine process (fork with threads running can copy held locks).

Each worker talks to the engine over its own socket pair (the zygote passes the engine's
end over a control socket with SCM_RIGHTS). A task is one round trip: payload out,
("ok", result) or ("err", error_name, message, traceback) back.

`WorkerPool.call` blocks the calling thread (one of the interpreter's threads) until a
worker is free and has answered. `CallHandle.cancel()` (a TimeoutSeconds or a stop) kills
the worker running the task and replaces it, so the pool never loses capacity and no
abandoned step keeps running. Workers ignore SIGINT: Ctrl-C is the engine's to handle.

A worker that dies while it runs a task (os._exit, a segfault, the OOM killer, kill -9)
is reported with its exit status ("was killed by SIGSEGV"), its process group is killed
(a child it forked must not keep the run waiting), and `on_crash(payload, description)`
runs in the engine process so the task's attempt record says what happened
(RunTaskExecutor.record_crash). worker_processes.py has the process-level details.
This module must not import moto.
"""
from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
import socket
import sys
import threading
import traceback
import time
from multiprocessing.connection import Connection
from typing import Any, Callable, Sequence

from . import worker_processes as procs

__all__ = ["CallHandle", "Cancelled", "Executor", "PoolClosed", "WorkerCrashed", "WorkerError", "WorkerPool",
           "RunTaskExecutor", "resolve_executor"]

Executor = Callable[[dict[str, Any]], Any]


class WorkerError(Exception):
    """The executor raised in the worker: `name` is the exception's class name."""

    def __init__(self, name: str, message: str, tb: str = "") -> None:
        super().__init__(f"{name}: {message}")
        self.name, self.message, self.traceback = name, message, tb


class WorkerCrashed(Exception):
    """The worker process died while running a task (not cancelled by us); `how` says how
    ("was killed by SIGSEGV", "exited with code 1")."""

    def __init__(self, how: str) -> None:
        super().__init__(f"the worker process running this task {how}")
        self.how = how


class PoolClosed(Exception):
    """The pool was shut down while a call waited or ran."""


def resolve_executor(spec: str | Executor) -> Executor:
    """A callable, or "package.module:function" imported in the zygote."""
    if callable(spec):
        return spec
    module, _, attr = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"executor {spec!r} is not callable")
    return obj  # type: ignore[no-any-return]


# -- processes (zygote and workers) ----------------------------------------------------------
def _worker_loop(conn: Connection, executor: Executor) -> None:
    while True:
        try:
            payload = conn.recv()
        except (EOFError, OSError):
            return
        if payload is None:
            return
        try:
            reply: tuple[Any, ...] = ("ok", executor(payload))
        except BaseException as exc:  # every failure goes back to the engine, by class name
            reply = ("err", type(exc).__name__, str(exc), traceback.format_exc())
        procs.end_strays()  # what the task started ends with it
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return
        except Exception as exc:  # the result did not pickle
            conn.send(("err", "PlatformError", f"task result could not be sent to the engine: {exc}", ""))


def _zygote_main(ctrl: socket.socket, engine_end: socket.socket, executor_spec: Any,
                 preload: Sequence[str], warm: Callable[[], None] | None) -> None:
    engine_end.close()  # else the zygote never sees EOF when the engine dies
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the engine across the fork
    for sig in (signal.SIGTERM, signal.SIGHUP):  # the engine's handlers (sfnflow.local_run) are the engine's
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # workers stay zombies until reaped here: their status is told
    exited: dict[int, int] = {}  # pid -> returncode of workers reaped before anyone asked
    status = b"ready"
    try:
        for module in preload:
            importlib.import_module(module)
        if warm is not None:
            warm()
        executor = resolve_executor(executor_spec)
    except BaseException as exc:
        status = f"failed {type(exc).__name__}: {exc}".encode()[:4000]
    ctrl.sendall(len(status).to_bytes(4, "big") + status)
    if status != b"ready":
        return
    while True:
        try:
            cmd = ctrl.recv(1)
        except OSError:
            return
        if cmd == b"w":  # how did worker <pid> end?
            pid = int.from_bytes(_recv_all(ctrl, 8), "big")
            code = exited.pop(pid, None)
            if code is None:
                code = _wait_worker(pid)
            ctrl.sendall(code.to_bytes(8, "big", signed=True))
            continue
        if cmd != b"s":  # EOF or "q": the engine is gone or done
            return
        _reap_workers(exited)
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            ctrl.close()
            theirs.close()
            procs.lead_own_group()
            procs.die_with_parent()
            code = 0
            try:
                _worker_loop(Connection(ours.detach()), executor)
            except BaseException:
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        ours.close()
        socket.send_fds(ctrl, [pid.to_bytes(8, "big")], [theirs.fileno()])
        theirs.close()


def _recv_all(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("control socket closed")
        data += chunk
    return data


def _wait_worker(pid: int, limit: float = 2.0) -> int:
    """In the zygote: the returncode of worker `pid`, which the engine saw die (UNKNOWN if it
    does not end within `limit`, or was reaped already)."""
    deadline = time.monotonic() + limit
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return procs.UNKNOWN
        if done:
            return procs.exit_code_of(status)
        if time.monotonic() > deadline:
            return procs.UNKNOWN
        time.sleep(0.005)


def _reap_workers(exited: dict[int, int]) -> None:
    """In the zygote: collect workers that ended (killed by a cancel, closed), keeping a few statuses."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        exited[pid] = procs.exit_code_of(status)
        while len(exited) > 256:
            exited.pop(next(iter(exited)))


class _Worker:
    """One worker process as the engine sees it. `close()` may be called from any thread, more
    than once: a Connection closed twice can close an fd another thread reused meanwhile."""

    __slots__ = ("pid", "conn", "pidfd", "_closed", "_lock")

    def __init__(self, pid: int, conn: Connection) -> None:
        self.pid, self.conn = pid, conn
        self.pidfd = procs.open_pidfd(pid)
        self._closed = False
        self._lock = threading.Lock()

    def kill(self) -> None:
        """SIGKILL the worker and everything in its process group."""
        procs.signal_group(self.pid, signal.SIGKILL)

    def terminate(self) -> None:
        procs.signal_group(self.pid, signal.SIGTERM)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self.conn.close()
        except OSError:
            pass
        if self.pidfd is not None:
            try:
                os.close(self.pidfd)
            except OSError:
                pass


class CallHandle:
    """One task's place in the pool; `cancel()` may be called from any thread."""

    __slots__ = ("_pool", "worker", "cancelled", "killed")

    def __init__(self, pool: "WorkerPool") -> None:
        self._pool, self.worker, self.cancelled, self.killed = pool, None, False, False

    def cancel(self) -> None:
        self._pool._cancel(self)


class WorkerPool:
    """`max_workers` warm processes forked from a zygote; see the module docstring."""

    def __init__(self, executor: str | Executor, max_workers: int | None = None, *,
                 preload: Sequence[str] = (), warm: Callable[[], None] | None = None,
                 on_crash: Callable[[Any, str], None] | None = None) -> None:
        self.max_workers = max(1, int(max_workers or os.cpu_count() or 1))
        # Runs in the engine process when a worker dies mid-task: (payload, "was killed by SIGSEGV").
        self.on_crash = on_crash if on_crash is not None else getattr(executor, "record_crash", None)
        self._executor, self._preload, self._warm = executor, tuple(preload), warm
        self._cond = threading.Condition()
        self._spawn_lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._all: dict[int, _Worker] = {}
        self._closed = True
        self._ctrl: socket.socket | None = None
        self._zygote: Any = None
        self.spawned = 0

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Fork the zygote (do this before the process starts threads) and the workers."""
        ours, theirs = socket.socketpair()
        ctx = multiprocessing.get_context("fork")
        self._zygote = ctx.Process(target=_zygote_main, name="sfnflow-zygote",
                                   args=(theirs, ours, self._executor, self._preload, self._warm), daemon=True)
        # A Ctrl-C landing inside fork()'s at-fork hooks is swallowed there ("Exception
        # ignored") and can leave the logging module's lock held, which later hangs the
        # engine: hold SIGINT back across the fork; it is delivered right after.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self._zygote.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        theirs.close()
        self._ctrl = ours
        status = self._recv_exact(int.from_bytes(self._recv_exact(4), "big")).decode()
        if status != "ready":
            self._zygote.join(5)
            raise RuntimeError(f"the local worker pool could not start: {status[len('failed '):]}")
        self._closed = False
        for _ in range(self.max_workers):
            self._idle.append(self._spawn())

    def _recv_exact(self, n: int) -> bytes:
        assert self._ctrl is not None
        data = b""
        while len(data) < n:
            chunk = self._ctrl.recv(n - len(data))
            if not chunk:
                raise RuntimeError("the local worker pool's zygote exited during start-up")
            data += chunk
        return data

    def _spawn(self) -> _Worker:
        with self._spawn_lock:
            ctrl = self._ctrl
            if ctrl is None:
                raise PoolClosed("the local worker pool is closed")
            ctrl.sendall(b"s")
            msg, fds, _flags, _addr = socket.recv_fds(ctrl, 8, 1)
        if not fds:
            raise RuntimeError("the local worker pool's zygote exited")
        worker = _Worker(int.from_bytes(msg, "big"), Connection(fds[0]))
        with self._cond:
            self._all[worker.pid] = worker
            self.spawned += 1
            self._cond.notify_all()
        return worker

    def pids(self) -> list[int]:
        """The worker processes' ids (idle and busy)."""
        with self._cond:
            return list(self._all)

    def wait_spawned(self, count: int, timeout: float) -> bool:
        """Wait until `count` workers have been started in all (replacements included)."""
        with self._cond:
            return self._cond.wait_for(lambda: self.spawned >= count, timeout=timeout)

    def close(self, grace: float = 1.0) -> None:
        """Stop every worker (busy ones are killed after `grace` seconds) and the zygote."""
        with self._cond:
            if self._closed and self._ctrl is None:
                return
            self._closed = True
            workers = list(self._all.values())
            self._all.clear()  # ours now: _release closes none of these (see there)
            idle = {w.pid for w in self._idle}
            self._idle.clear()
            self._cond.notify_all()
        for w in workers:
            if w.pid in idle:
                try:
                    w.conn.send(None)
                except OSError:
                    pass
            else:
                w.terminate()
        for w in workers:
            w.close()
        with self._spawn_lock:  # not while a call thread spawns a replacement or asks for a status
            if self._ctrl is not None:
                try:
                    self._ctrl.sendall(b"q")
                except OSError:
                    pass
                self._ctrl.close()
                self._ctrl = None
        if self._zygote is not None:
            self._zygote.join(grace)
            if self._zygote.is_alive():
                self._zygote.kill()
                self._zygote.join(1)
            self._zygote = None
        _reap(workers, grace)

    def __enter__(self) -> "WorkerPool":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- tasks --------------------------------------------------------------------------------
    def handle(self) -> CallHandle:
        return CallHandle(self)

    def call(self, payload: Any, handle: CallHandle | None = None,
             on_start: Callable[[], None] | None = None) -> Any:
        """Run `payload` on a free worker; return the executor's result.

        Raises WorkerError (the executor raised), WorkerCrashed (the process died),
        Cancelled (`handle.cancel()` was called) or PoolClosed (the pool shut down).
        """
        handle = handle or CallHandle(self)
        with self._cond:
            while not self._idle and not handle.cancelled and not self._closed:
                self._cond.wait()
            if handle.cancelled:
                raise Cancelled()
            if self._closed:
                raise PoolClosed()
            worker = self._idle.pop()
            handle.worker = worker
        if on_start is not None:
            on_start()
        reply: Any = None
        try:
            worker.conn.send(payload)
            reply = procs.wait_reply(worker.conn, worker.pidfd)
        except (EOFError, OSError):
            reply = None
        with self._cond:
            handle.worker = None
            killed = handle.killed or reply is None
        how = None
        if reply is None and not handle.cancelled and not self._closed:
            how = procs.describe_exit(self.exit_status(worker))
        if reply is None:
            worker.kill()  # its group: a child it forked may live on, holding the socket
        self._release(worker, replace=killed)
        if reply is None:
            if handle.cancelled:
                raise Cancelled()
            if self._closed or how is None:
                raise PoolClosed()
            if self.on_crash is not None:
                try:
                    self.on_crash(payload, how)
                except Exception:  # the record is a courtesy; the failure itself must still be raised
                    pass
            raise WorkerCrashed(how)
        if reply[0] == "ok":
            return reply[1]
        raise WorkerError(reply[1], reply[2], reply[3])

    def exit_status(self, worker: _Worker) -> int | None:
        """How a dead worker ended, as a returncode (negative: its signal); None if unknown.
        The zygote is its parent, so the zygote is asked."""
        with self._spawn_lock:
            if self._ctrl is None:
                return None
            try:
                self._ctrl.sendall(b"w" + worker.pid.to_bytes(8, "big"))
                code = int.from_bytes(self._recv_exact(8), "big", signed=True)
            except (OSError, RuntimeError):
                return None
        return None if code == procs.UNKNOWN else code

    def _release(self, worker: _Worker, replace: bool) -> None:
        if replace:
            # Whoever takes a worker out of _all closes its connection, exactly once: close()
            # may be taking them all at this moment, and a second close of the same fd number
            # fails (EBADF), or closes a file someone else has opened since.
            with self._cond:
                ours = self._all.pop(worker.pid, None) is worker
                closed = self._closed
            if ours:
                worker.close()
            if closed:
                return
            try:
                worker = self._spawn()
            except (OSError, RuntimeError, PoolClosed):
                return  # the zygote is gone: the pool is shutting down
        with self._cond:
            if self._closed:
                ours = self._all.pop(worker.pid, None) is worker
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
                if ours:  # spawned after close() took the others
                    worker.close()
                return
            self._idle.append(worker)
            self._cond.notify()

    def _cancel(self, handle: CallHandle) -> None:
        with self._cond:
            if handle.cancelled:
                return
            handle.cancelled = True
            worker = handle.worker
            if worker is not None:
                handle.killed = True
                worker.kill()
            self._cond.notify_all()


class Cancelled(Exception):
    """The call was cancelled (its worker, if any, was killed and replaced)."""


def _reap(workers: list[_Worker], grace: float) -> None:
    """Wait up to `grace` for workers to exit, then SIGKILL the rest (they are the zygote's children)."""
    deadline = time.monotonic() + grace
    alive = [w for w in workers]
    while alive and time.monotonic() < deadline:
        alive = [w for w in alive if _alive(w.pid)]
        if alive:
            time.sleep(0.01)
    for w in alive:
        w.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); the zygote reaps its children, so this is brief.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


# -- the default executor ---------------------------------------------------------------------
def local_client_environment(root: str) -> dict[str, str]:
    """What a local run's step code reads through the client: this run's own store, even for
    a flow that is also deployed (the deployments profile would point `Flow(...)` at the
    cloud datastore otherwise), as a Metaflow task reads its run's metadata provider."""
    from sfn_compiler.contract import task_config

    return {task_config.ENV_DATASTORE: "local", task_config.ENV_ROOT: root}


class RunTaskExecutor:
    """Runs a task as the Lambda handler would: runtime.task.run_task against the local stores.

    Created in the engine before the pool forks; `warm()` runs once in the zygote (imports
    the flow and builds its graph into runtime.task's flow cache); the TaskEnvironment
    (SQLite connection, artifact cache) is built lazily in each worker, after the fork.
    """

    def __init__(self, flow_file: str, root: str, tee: bool = False) -> None:
        self.flow_file, self.root, self.tee = flow_file, root, tee
        self._env: Any = None
        self._engine_pid = os.getpid()

    def warm(self) -> None:
        from runtime import task

        task.task_process()  # run the flow's __main__ setup code here, as in every Metaflow task process
        task.DEFAULT_CACHE.get(self.flow_file)

    def environment(self) -> Any:
        if self._env is None:
            from runtime.stores.artifacts import ArtifactStore
            from runtime.stores.blobs import LocalBlobStore
            from runtime.stores.sqlite_metadata import SqliteMetadataStore
            from runtime.task import TaskEnvironment

            self._env = TaskEnvironment(flow_file=self.flow_file, artifacts=ArtifactStore(LocalBlobStore(self.root)),
                                        metadata=SqliteMetadataStore(self.root), compute="local", tee=self.tee)
        return self._env

    def __call__(self, payload: dict[str, Any]) -> Any:
        from sfn_compiler.contract.envelope import TaskEnvelope

        from runtime.task import run_task

        if os.getpid() != self._engine_pid:  # a forked worker: its environment is its own
            os.environ.update(local_client_environment(self.root))
        return run_task(TaskEnvelope.from_payload(payload), self.environment())

    def record_crash(self, payload: dict[str, Any], how: str) -> None:
        """In the engine process: the worker running `payload` died; close its attempt as FAILED."""
        from sfn_compiler.contract.envelope import TaskEnvelope

        from runtime.task import record_crash

        record_crash(TaskEnvelope.from_payload(payload), self.environment(), how)
