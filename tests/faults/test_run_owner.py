"""Who owns a RUNNING run, and when readers call it dead (runtime/stores/run_owner.py)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from runtime.stores import local_stores
from runtime.stores.base import RunRecord
from runtime.stores.run_owner import STALE_AFTER, current_owner, owner_gone


def test_a_living_owner_is_alive_and_a_dead_one_is_gone() -> None:
    assert owner_gone(current_owner(), time.time()) is None
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = dict(current_owner(), pid=int(child.stdout))
    assert "is gone" in (owner_gone(dead, time.time()) or "")


def test_a_reused_pid_is_not_mistaken_for_the_owner() -> None:
    me = current_owner()
    if me["start"] is None:  # no /proc: nothing to tell a reused pid by
        return
    assert "another process" in (owner_gone(dict(me, start=me["start"] - 1), time.time()) or "")


def test_another_machine_is_trusted_until_its_heartbeat_is_stale() -> None:
    elsewhere = {"pid": 4242, "host": "another-host", "boot": "x", "start": 1}
    now = time.time()
    assert owner_gone(elsewhere, now - 5, now) is None
    assert "not been heard from" in (owner_gone(elsewhere, now - STALE_AFTER - 1, now) or "")


def test_runs_recorded_before_owners_existed_stay_as_recorded(tmp_path) -> None:
    _, metadata = local_stores(str(tmp_path))
    metadata.create_run(RunRecord("F", "old", created_at=time.time()))
    assert metadata.get_run("F", "old").status == "RUNNING"


def test_the_store_reports_a_dead_owner_as_aborted_and_resume_writes_it_down(tmp_path) -> None:
    _, metadata = local_stores(str(tmp_path))
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    metadata.create_run(RunRecord("F", "r", created_at=time.time(), owner=dict(current_owner(), pid=int(child.stdout)),
                                  heartbeat_at=time.time()))
    seen = metadata.get_run("F", "r")
    assert seen.status == "ABORTED" and seen.error["type"] == "OwnerGone" and seen.finished_at is None
    assert metadata.close_dead_run(seen) is True
    assert metadata.get_run("F", "r").finished_at is not None
    assert os.getpid() == current_owner()["pid"]
