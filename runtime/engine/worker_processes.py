"""How the worker pool watches and ends worker processes, and whatever they started.

Each worker leads its own process group, so a step's children (subprocess.Popen, a
forked helper, a pool of processes) can be ended with it: after every task the worker
ends the rest of its group (a finished task leaves nothing running), and when a worker
dies the engine kills its whole group, which also closes the copies of the worker's
socket that a forked child inherited (else the engine would wait for that child).

A dead worker is noticed from its pidfd (Linux: readable when the process exits), not
only from EOF on its socket, for the same reason. Its exit status is turned into words
for the attempt record: "was killed by SIGSEGV", "exited with code 1".
"""
from __future__ import annotations

import os
import select
import signal
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["describe_exit", "die_with_parent", "end_strays", "lead_own_group", "open_pidfd", "signal_group",
           "wait_reply", "watch_parent"]

UNKNOWN = -(1 << 31)  # "no exit status to tell"


def lead_own_group() -> None:
    """In a new worker: its own process group, stdin from /dev/null (a background group
    reading the terminal would be stopped by SIGTTIN), default SIGTERM/SIGHUP (the engine's
    handlers are for the engine)."""
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
    except OSError:
        pass
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def die_with_parent() -> None:
    """In a zygote-forked worker (Linux): SIGKILL when the zygote ends, which it does as soon as
    the engine is gone. A worker in its own process group no longer gets the signals sent to
    the engine's group (kill -9 of `sfnflow run` and its group), and a task that never ends
    would otherwise keep it alive. (The zygote is single-threaded: the signal fires when it exits.)"""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the zygote was already gone before the call
        os._exit(1)


def watch_parent(every: float = 0.5) -> None:
    """In a worker started as a process of its own (env_worker): end it and its group when the
    engine that started it is gone (it is reparented). A thread, since the engine's threads
    come and go and PR_SET_PDEATHSIG follows the thread that started the worker."""
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        signal_group(os.getpid(), signal.SIGKILL)
        os._exit(1)

    threading.Thread(target=watch, name="sfnflow-parent-watch", daemon=True).start()


def end_strays() -> None:
    """In a worker, after a task: end the processes the task left in the worker's group
    (SIGTERM to the group while ignoring it here), and reap the worker's own children."""
    me = os.getpid()
    if os.getpgid(0) != me:
        return  # not a group leader (setpgid refused): the group is not ours to signal
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.killpg(me, signal.SIGTERM)
    except OSError:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def signal_group(pid: int, sig: int) -> None:
    """Signal the worker's process group (its children too), else the worker alone."""
    try:
        os.killpg(pid, sig)
        return
    except (ProcessLookupError, PermissionError):
        pass
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def open_pidfd(pid: int) -> int | None:
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except OSError:
        return None


def wait_reply(conn: Connection, pidfd: int | None) -> Any:
    """The worker's reply, or None if the worker died first (EOF on its socket, or its
    process exited while a child it forked still holds the socket open)."""
    try:
        if pidfd is None:
            return conn.recv()
        poller = select.poll()
        poller.register(conn.fileno(), select.POLLIN)
        poller.register(pidfd, select.POLLIN)
        while True:
            ready = {fd for fd, _event in poller.poll()}
            if conn.fileno() in ready or conn.poll(0):
                return conn.recv()
            if pidfd in ready:
                return None
    except (EOFError, OSError, ValueError):
        return None


def describe_exit(code: int | None) -> str:
    """Words for an exit status in returncode form (negative: the signal that killed it)."""
    if code is None or code == UNKNOWN:
        return "exited unexpectedly"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        note = " (out of memory? the kernel's OOM killer sends SIGKILL)" if -code == signal.SIGKILL else ""
        return f"was killed by {name}{note}"
    return f"exited with code {code}"


def exit_code_of(status: int) -> int:
    """os.waitpid's status as a returncode (negative: killed by that signal)."""
    try:
        return os.waitstatus_to_exitcode(status)
    except ValueError:
        return UNKNOWN
