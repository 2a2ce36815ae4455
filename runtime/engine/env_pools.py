"""A worker pool per step environment: the seam between the engine and the environments.

The default pool (workers.WorkerPool) forks its workers from a zygote of the engine's own
interpreter. A step that asks for its own Python and packages (@pypi/@conda) needs its
workers in that environment's interpreter instead, so `InterpreterWorkerPool` starts each
worker as a fresh process of the venv's Python (`python -m runtime.engine.env_worker`),
hands it one end of a socket pair, and from then on is the same pool: same call/cancel/
replace behaviour, same wire protocol (multiprocessing Connection, pickled envelopes and
results, which are plain data any Python 3.10+ reads).

`EnvironmentPools` picks the pool for a step: `pool_for(step)`. This module does not
import moto.
"""
from __future__ import annotations

import os
import socket
import subprocess
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Mapping, Sequence

from sfn_compiler.contract import task_config

from .workers import RunTaskExecutor, WorkerPool, _Worker, local_client_environment

__all__ = ["EnvironmentPools", "InterpreterWorkerPool", "PoolEnvironment"]

_READY_TIMEOUT_S = 120.0  # importing a flow (and what it imports at module level) in a cold venv


@dataclass(frozen=True)
class PoolEnvironment:
    """What the engine needs to run some steps in their own interpreter."""

    key: str  # names the environment in messages ("py311_2")
    python: str  # the environment's interpreter
    steps: tuple[str, ...]
    pythonpath: str = ""  # where sfnflow's packages are for that interpreter
    hash: str = ""  # the environment's hash, recorded with each task it runs (SFNFLOW_ENVIRONMENT)


class InterpreterWorkerPool(WorkerPool):
    """WorkerPool whose workers are fresh processes of another interpreter (see above)."""

    def __init__(self, env: PoolEnvironment, *, flow_file: str, root: str, tee: bool = False,
                 max_workers: int | None = None) -> None:
        super().__init__("runtime.task:run_task", max_workers, on_crash=RunTaskExecutor(flow_file, root).record_crash)
        self.env, self.flow_file, self.root, self.tee = env, flow_file, root, tee
        self._procs: dict[int, subprocess.Popen[bytes]] = {}
        self._procs_lock = threading.Lock()

    def start(self) -> None:
        """Start every worker at once (they import in parallel), then wait for each to be ready."""
        started = [self._launch() for _ in range(self.max_workers)]
        self._closed = False
        try:
            for proc, conn in started:
                self._idle.append(self._ready(proc, conn))
        except BaseException:
            self.close()
            raise

    def _spawn(self) -> _Worker:
        """A replacement worker (the one before it crashed, or was killed by a cancel)."""
        return self._ready(*self._launch())

    def _launch(self) -> tuple[subprocess.Popen[bytes], Connection]:
        self._reap_exited()
        ours, theirs = socket.socketpair()
        args = [self.env.python, "-m", "runtime.engine.env_worker", "--fd", str(theirs.fileno()),
                "--flow-file", self.flow_file, "--root", self.root] + (["--tee"] if self.tee else [])
        environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        if self.env.pythonpath:
            environ["PYTHONPATH"] = self.env.pythonpath
        if self.env.hash:
            environ[task_config.ENV_ENVIRONMENT] = self.env.hash
        environ.update(local_client_environment(self.root))
        try:
            # Its own session (so its own process group): what a step starts ends with the worker.
            proc = subprocess.Popen(args, pass_fds=(theirs.fileno(),), env=environ, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        finally:
            theirs.close()
        with self._procs_lock:
            self._procs[proc.pid] = proc
        return proc, Connection(ours.detach())

    def _ready(self, proc: subprocess.Popen[bytes], conn: Connection) -> _Worker:
        status: tuple[str, ...] | None = None
        try:
            if conn.poll(_READY_TIMEOUT_S):
                status = conn.recv()
        except (EOFError, OSError):
            status = None
        if not status or status[0] != "ready":
            conn.close()
            proc.kill()
            proc.wait()
            why = status[1] if status and len(status) > 1 else f"the worker exited with status {proc.returncode}"
            raise RuntimeError(f"the worker for environment {self.env.key} ({self.env.python}) could not start: "
                               f"{why}")
        worker = _Worker(proc.pid, conn)
        with self._cond:
            self._all[worker.pid] = worker
        self.spawned += 1
        return worker

    def exit_status(self, worker: _Worker) -> int | None:
        """Our own child: its returncode, from the process itself."""
        with self._procs_lock:
            proc = self._procs.get(worker.pid)
        if proc is None:
            return None
        try:
            return proc.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            return None

    def _reap_exited(self) -> None:
        with self._procs_lock:
            for pid, proc in list(self._procs.items()):
                if proc.poll() is not None:
                    del self._procs[pid]

    def close(self, grace: float = 1.0) -> None:
        super().close(grace)
        with self._procs_lock:
            procs, self._procs = list(self._procs.values()), {}
        for proc in procs:  # our children, not a zygote's: wait for them so none is left a zombie
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class EnvironmentPools:
    """The default pool plus one InterpreterWorkerPool per environment; `pool_for(step)`."""

    def __init__(self, default: WorkerPool, envs: Sequence[PoolEnvironment], *, flow_file: str, root: str,
                 tee: bool = False, max_workers: int | None = None, default_needed: bool = True) -> None:
        self.default, self.default_needed = default, default_needed
        self.by_env: dict[str, InterpreterWorkerPool] = {
            env.key: InterpreterWorkerPool(env, flow_file=flow_file, root=root, tee=tee, max_workers=max_workers)
            for env in envs}
        self._by_step: Mapping[str, WorkerPool] = {
            step: self.by_env[env.key] for env in envs for step in env.steps}

    def pool_for(self, step: str) -> WorkerPool:
        return self._by_step.get(step, self.default)

    def start(self) -> None:
        """The default pool first (it forks: before any thread exists), then the others."""
        if self.default_needed:
            self.default.start()
        for pool in self.by_env.values():
            pool.start()

    def close(self) -> None:
        for pool in [self.default, *self.by_env.values()]:
            pool.close()
