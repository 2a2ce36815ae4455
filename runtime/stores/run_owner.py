"""Who runs a local run, and whether it is still alive: so a killed run never reads as RUNNING.

The process that starts a run records its owner (pid, host, the kernel's boot id and
the process's start time, so a pid reused later is not mistaken for it) and refreshes a
heartbeat while it runs. A reader on the same machine asks the kernel whether that very
process still exists; a reader elsewhere (a store on a shared disk) trusts the
heartbeat, which must be younger than STALE_AFTER seconds.

A run whose owner is gone is reported ABORTED, with an error saying so (`OWNER_GONE`);
`sfnflow resume` continues it like any aborted run.
"""
from __future__ import annotations

import os
import socket
import time
from typing import Any

__all__ = ["HEARTBEAT_EVERY", "OWNER_GONE", "STALE_AFTER", "current_owner", "owner_gone"]

HEARTBEAT_EVERY = 10.0  # seconds between heartbeats of a running run
STALE_AFTER = 120.0  # a heartbeat older than this, from another machine, means the owner is gone
OWNER_GONE = "OwnerGone"


def _boot_id() -> str | None:
    try:
        with open("/proc/sys/kernel/random/boot_id") as handle:
            return handle.read().strip()
    except OSError:
        return None


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), None if unknown or gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    try:
        return int(fields[19])  # field 22 of stat(5); fields[0] is field 3
    except (IndexError, ValueError):
        return None


def current_owner() -> dict[str, Any]:
    pid = os.getpid()
    return {"pid": pid, "host": socket.gethostname(), "boot": _boot_id(), "start": _start_ticks(pid)}


def owner_gone(owner: dict[str, Any] | None, heartbeat_at: float | None, now: float | None = None) -> str | None:
    """Why the owner of a RUNNING run is known to be gone, or None if it may be alive."""
    if not owner:
        return None  # recorded before owners were: nothing to go by
    pid = int(owner.get("pid") or 0)
    same_machine = owner.get("host") == socket.gethostname() and owner.get("boot") == _boot_id()
    where = f"process {pid} on {owner.get('host')}"
    if same_machine and pid > 0:
        if not _exists(pid):
            return f"{where}, which ran it, is gone (killed, or it crashed)"
        started = _start_ticks(pid)
        if owner.get("start") is not None and started is not None and started != owner.get("start"):
            return f"{where}, which ran it, is gone (the pid now belongs to another process)"
        return None
    if heartbeat_at is not None and (now or time.time()) - heartbeat_at > STALE_AFTER:
        return f"{where}, which ran it, has not been heard from for {int((now or time.time()) - heartbeat_at)} s"
    if owner.get("host") == socket.gethostname() and owner.get("boot") not in (None, _boot_id()):
        return f"{where}, which ran it, did not survive a reboot"
    return None


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is gone for our purposes
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
