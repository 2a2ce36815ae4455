"""The artifact store verifies what it reads and heals what it rewrites (issue 13, D3).

A blob's name is the sha of its content: reads check it, a damaged blob is reported as
the store's fault (naming the artifact and its task, never as the user's traceback) and
set aside, and the next write of the same value stores it afresh.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from faultrun import FOREACH, sfnflow, write_flow

from runtime import serialize as ser
from runtime.stores import local_stores
from runtime.stores.artifacts import ArtifactDamaged, ArtifactMissing
from sfnflow import Flow
from sfnflow.client.artifacts import ArtifactUnreadable


def _blob_path(root: Path, flow: str, run_id: str, step: str, task: str, name: str) -> Path:
    artifacts, _ = local_stores(str(root))
    sha = artifacts.get_index(flow, run_id, step, task).artifacts[name]
    return Path(artifacts.blobs.path(artifacts.data_key(flow, sha)))


@pytest.mark.parametrize("value", [7, "text" * 100, list(range(5000)), bytearray(b"xy" * 300_000)])
def test_a_truncated_blob_is_detected_on_read_and_replaced_by_the_next_write(tmp_path: Path, value: object) -> None:
    artifacts, _ = local_stores(str(tmp_path))
    packed = ser.pack_value(value)
    assert artifacts.put_packed("F", packed)
    path = Path(artifacts.blobs.path(artifacts.data_key("F", packed.sha)))
    path.write_bytes(path.read_bytes()[: max(2, path.stat().st_size // 2)])

    fresh, _ = local_stores(str(tmp_path))  # another process: no cache
    assert not fresh.looks_whole("F", packed.sha)
    with pytest.raises(ArtifactDamaged, match="damaged"):
        fresh.load("F", packed.sha)
    assert Path(f"{path}.damaged").exists() and not path.exists()  # set aside, kept for a look

    assert fresh.put_packed("F", packed)  # healed by a write of the same value
    assert local_stores(str(tmp_path))[0].load("F", packed.sha) == value


def test_a_damaged_blob_of_the_same_length_is_caught_by_its_hash(tmp_path: Path) -> None:
    artifacts, _ = local_stores(str(tmp_path))
    packed = ser.pack_value(list(range(100_000)))
    artifacts.put_packed("F", packed)
    path = Path(artifacts.blobs.path(artifacts.data_key("F", packed.sha)))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactDamaged):
        local_stores(str(tmp_path))[0].load("F", packed.sha)


def test_a_whole_blob_is_not_written_twice(tmp_path: Path) -> None:
    artifacts, _ = local_stores(str(tmp_path))
    packed = ser.pack_value(bytes(3_000_000))
    assert artifacts.put_packed("F", packed) is True
    again, _ = local_stores(str(tmp_path))
    assert again.put_packed("F", ser.pack_value(bytes(3_000_000))) is False


def test_a_missing_blob_says_so(tmp_path: Path) -> None:
    with pytest.raises(ArtifactMissing, match="missing"):
        local_stores(str(tmp_path))[0].load("F", "ab" * 32)


def test_a_rerun_heals_a_truncated_blob_that_poisoned_the_store(tmp_path: Path, store_root: Path) -> None:
    """Today a 2-byte blob made every later run producing that value fail inside the join."""
    flow = write_flow(tmp_path, FOREACH, "heal")
    first = sfnflow(store_root, "run", flow, "--max-workers", "2", "--nap", "0")
    assert first.returncode == 0, first.stderr
    run = Flow("FanFlow").latest_run
    path = _blob_path(store_root, "FanFlow", run.id, "body", "7", "v")
    path.write_bytes(b"p\x80")

    with pytest.raises(ArtifactUnreadable, match=rf"artifact 'v' of FanFlow/{run.id}/body/7 .*damaged"):
        run["body"]["7"].data.v

    second = sfnflow(store_root, "run", flow, "--max-workers", "2", "--nap", "0")
    assert second.returncode == 0, second.stderr
    assert Flow("FanFlow").latest_run.data.total == sum(i * 2 for i in range(12))
    assert Flow("FanFlow")[run.id]["body"]["7"].data.v == 14  # the old run reads again: same sha, whole blob


def test_a_join_reading_a_damaged_input_blames_the_store_not_the_user(tmp_path: Path) -> None:
    """What the step sees when an input's blob is damaged: our PlatformError naming the
    artifact and the input task (it used to be an UnpicklingError inside the user's join)."""
    from runtime.context import InputView
    from runtime.errors import PlatformError
    from sfn_compiler.contract.envelope import TaskPath

    artifacts, _ = local_stores(str(tmp_path))
    shas = artifacts.save("F", {"v": list(range(1000))})
    artifacts.put_index("F", "r1", "body", "3", shas)
    path = Path(artifacts.blobs.path(artifacts.data_key("F", shas["v"])))
    path.write_bytes(path.read_bytes()[:10])

    view = InputView(local_stores(str(tmp_path))[0], TaskPath("F", "r1", "body", "3"))
    with pytest.raises(PlatformError, match=r"artifact 'v' of F/r1/body/3 cannot be read: .*damaged.*Rerun"):
        view.v


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_resume_reruns_a_reused_task_whose_blob_is_gone_or_damaged(tmp_path: Path, store_root: Path,
                                                                   damage: str) -> None:
    flow = write_flow(tmp_path, FOREACH, "reuse")
    assert sfnflow(store_root, "run", flow, "--max-workers", "2", "--nap", "0").returncode == 0
    run = Flow("FanFlow").latest_run
    path = _blob_path(store_root, "FanFlow", run.id, "body", "5", "v")
    if damage == "delete":
        os.remove(path)
    else:
        path.write_bytes(path.read_bytes()[:3])

    resumed = sfnflow(store_root, "resume", run.id, "--from", "join", "--max-workers", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert "Traceback" not in resumed.stderr
    new = Flow("FanFlow").latest_run
    assert new.data.total == sum(i * 2 for i in range(12))
    assert new["body"]["5"].status == "SUCCEEDED"  # ran again, and stored its value afresh
    assert new["body"]["4"].status == "REUSED"
    assert Flow("FanFlow")[run.id]["body"]["5"].data.v == 10  # the origin run reads again too


def test_doctor_blobs_finds_and_sets_aside_a_damaged_blob(tmp_path: Path, store_root: Path) -> None:
    flow = write_flow(tmp_path, FOREACH, "doctor")
    assert sfnflow(store_root, "run", flow, "--max-workers", "2", "--nap", "0", "--n", "3").returncode == 0
    run = Flow("FanFlow").latest_run
    path = _blob_path(store_root, "FanFlow", run.id, "body", "1", "v")
    path.write_bytes(path.read_bytes()[:-2] + b"\x00\x00")
    checked = sfnflow(store_root, "doctor", "--blobs")
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    assert "1 damaged" in checked.stdout and path.name in checked.stdout
    assert Path(f"{path}.damaged").exists() and not path.exists()
    assert sfnflow(store_root, "run", flow, "--max-workers", "2", "--nap", "0", "--n", "3").returncode == 0
    assert sfnflow(store_root, "doctor", "--blobs").returncode == 0  # the rerun stored it afresh
