"""A damaged, emptied or read-only run index is explained in one sentence, reads still work
on a read-only store, and `sfnflow doctor --rebuild` remakes the index from the run folders
(issue 13, D6)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from faultrun import FOREACH, REPO, cli_env, sfnflow, write_flow

from runtime.stores.sqlite_metadata import MetadataError, SqliteMetadataStore
from sfnflow import Flow, client

FAILING_JOIN = FOREACH.replace("        self.total = sum(i.v for i in inputs)",
                               "        raise RuntimeError('join fails on purpose')")


@pytest.fixture
def two_runs(tmp_path: Path, store_root: Path) -> tuple[Path, str, str]:
    """One successful run and one that failed in its join, in a store."""
    good = write_flow(tmp_path, FOREACH, "good")
    bad = write_flow(tmp_path, FAILING_JOIN, "bad")
    assert sfnflow(store_root, "run", good, "--max-workers", "2", "--nap", "0", "--n", "3").returncode == 0
    ok = Flow("FanFlow").latest_run.id
    assert sfnflow(store_root, "run", bad, "--max-workers", "2", "--nap", "0", "--n", "3").returncode == 1
    failed = Flow("FanFlow").latest_run.id
    _forget_client()  # the file is about to change under the open connection
    client.set_root(str(store_root))
    return good, ok, failed


def _one_sentence(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_a_corrupt_index_is_explained_on_every_command(two_runs: tuple[Path, str, str], store_root: Path) -> None:
    flow, ok, _failed = two_runs
    index = store_root / "metadata.sqlite"
    with open(index, "r+b") as handle:  # overwrite the header and the first pages, as a bad disk would
        handle.write(os.urandom(8192))
    for args in (("runs", "FanFlow"), ("resume", ok), ("run", flow, "--n", "2"), ("logs", f"{ok}/end")):
        _one_sentence(sfnflow(store_root, *args), str(index), "damaged", "sfnflow doctor --rebuild")
    with pytest.raises(MetadataError, match="damaged"):
        Flow("FanFlow").runs()


def test_an_emptied_index_is_not_read_as_no_runs(two_runs: tuple[Path, str, str], store_root: Path) -> None:
    (store_root / "metadata.sqlite").write_bytes(b"")
    for name in ("metadata.sqlite-wal", "metadata.sqlite-shm"):
        (store_root / name).unlink(missing_ok=True)
    _one_sentence(sfnflow(store_root, "runs", "FanFlow"), "empty (0 bytes)", "2 run folder(s)", "doctor --rebuild")


def test_doctor_rebuilds_the_index_from_the_run_folders(two_runs: tuple[Path, str, str], store_root: Path) -> None:
    _flow, ok, failed = two_runs
    before = {r.id: (r.status, r.parameters, sorted(t.id for t in r["body"])) for r in Flow("FanFlow")}
    _forget_client()
    (store_root / "metadata.sqlite").write_bytes(b"garbage" * 100)

    check = sfnflow(store_root, "doctor")
    assert check.returncode == 1 and "doctor --rebuild" in check.stderr and "Traceback" not in check.stderr
    rebuilt = sfnflow(store_root, "doctor", "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "2 run(s)" in rebuilt.stdout and "metadata.sqlite.damaged-" in rebuilt.stdout
    assert list(store_root.glob("metadata.sqlite.damaged-*"))  # the damaged file is kept

    _forget_client()
    after = {r.id: (r.status, r.parameters, sorted(t.id for t in r["body"])) for r in Flow("FanFlow")}
    assert after[ok] == before[ok]  # status, parameters and tasks back as they were
    assert after[failed][0] == "FAILED" and after[failed][1:] == before[failed][1:]
    assert Flow("FanFlow")[ok].data.total == 6  # artifacts were never in the index
    assert "Traceback" not in sfnflow(store_root, "runs", "FanFlow").stderr
    assert sfnflow(store_root, "doctor").returncode == 0


@contextmanager
def read_only_view(store_root: Path, tmp_path: Path) -> Iterator[Path]:
    """The store as a read-only bind mount (as root, which ignores permission bits), else a
    copy without write permission."""
    view = tmp_path / "ro"
    view.mkdir()
    if os.geteuid() == 0:
        subprocess.run(["mount", "--bind", str(store_root), str(view)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
            yield view
        finally:
            _forget_client()
            subprocess.run(["umount", str(view)], check=True)
    else:
        shutil.copytree(store_root, view, dirs_exist_ok=True)
        for folder, dirs, files in os.walk(view):
            for name in files:
                os.chmod(os.path.join(folder, name), 0o444)
        for folder, dirs, _files in os.walk(view, topdown=False):
            os.chmod(folder, 0o555)
        try:
            yield view
        finally:
            _forget_client()
            for folder, _dirs, _files in os.walk(view):
                os.chmod(folder, 0o755)


def _forget_client() -> None:
    """Close the client's connections (an open file keeps a mount busy)."""
    for stores in client.stores._cache.values():
        getattr(stores.metadata, "close", lambda: None)()
    client.stores._cache.clear()


@pytest.mark.parametrize("left_wal", [False, True], ids=["closed-cleanly", "wal-left-behind"])
def test_a_read_only_store_can_still_be_read(two_runs: tuple[Path, str, str], store_root: Path, tmp_path: Path,
                                             left_wal: bool) -> None:
    flow, ok, failed = two_runs
    if left_wal:  # a writer killed while open leaves -wal and -shm beside the file
        killed = subprocess.run([sys.executable, "-c", (
            "import os, sys; from runtime.stores.sqlite_metadata import SqliteMetadataStore as S; "
            f"S(sys.argv[1]).heartbeat('FanFlow', {ok!r}); os._exit(9)"), str(store_root)],
            env=cli_env(store_root), cwd=REPO)
        assert killed.returncode == 9 and (store_root / "metadata.sqlite-wal").exists()
    with read_only_view(store_root, tmp_path) as view:
        listed = sfnflow(view, "runs", "FanFlow")
        assert listed.returncode == 0, listed.stderr
        assert ok in listed.stdout and failed in listed.stdout
        client.set_root(str(view))
        assert Flow("FanFlow")[ok].data.total == 6
        _one_sentence(sfnflow(view, "run", flow, "--n", "2"), "read-only", "--root or SFNFLOW_ROOT")
