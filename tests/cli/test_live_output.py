"""Live step output: lines of running tasks' log files shown with their task's prefix, rate-limited
with a note saying where the held-back lines are."""
from __future__ import annotations

from pathlib import Path

from runtime.stores.artifacts import ArtifactStore
from runtime.stores.blobs import LocalBlobStore
from sfnflow.cli.live_output import LiveOutput


def _log(root: Path, step: str, task: str, text: str, stream: str = "stdout", attempt: int = 0) -> None:
    store = ArtifactStore(LocalBlobStore(str(root)))
    path = Path(store.blobs.path(store.log_key("F", "r1", step, task, attempt, stream)))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write(text)


def test_lines_of_a_task_show_with_its_prefix_as_they_are_written(tmp_path: Path) -> None:
    shown: list[str] = []
    live = LiveOutput(str(tmp_path), "F", "r1", shown.extend, poll_seconds=10)
    live.on_event("started", "train", "3", attempt=0)
    _log(tmp_path, "train", "3", "epoch 1\nepoch 2 partial")
    live._drain(final=False)
    assert shown == ["[train/3] epoch 1"]  # the unfinished line waits for its end
    _log(tmp_path, "train", "3", " done\n")
    _log(tmp_path, "train", "3", "warn!\n", stream="stderr")
    live.on_event("succeeded", "train", "3", attempt=0)
    live._drain(final=False)
    assert shown == ["[train/3] epoch 1", "[train/3] epoch 2 partial done", "[train/3] warn!"]
    assert not live._tasks  # a finished task is no longer followed


def test_a_retry_follows_its_own_attempt(tmp_path: Path) -> None:
    shown: list[str] = []
    live = LiveOutput(str(tmp_path), "F", "r1", shown.extend, poll_seconds=10)
    _log(tmp_path, "s", "0", "first try\n", attempt=0)
    live.on_event("started", "s", "0", attempt=1)
    _log(tmp_path, "s", "0", "second try\n", attempt=1)
    live.on_event("succeeded", "s", "0", attempt=1)
    live._drain(final=False)
    assert shown == ["[s/0] second try"]


def test_wide_fan_out_is_rate_limited_and_summarised(tmp_path: Path) -> None:
    shown: list[str] = []
    live = LiveOutput(str(tmp_path), "F", "r1", shown.extend, lines_per_second=10, poll_seconds=10)
    for i in range(300):
        live.on_event("started", "body", str(i), attempt=0)
        _log(tmp_path, "body", str(i), f"item {i}\n")
        live.on_event("succeeded", "body", str(i), attempt=0)
    live._drain(final=True)
    lines = [line for line in shown if not line.startswith("[body] ...")]
    notes = [line for line in shown if line.startswith("[body] ...")]
    assert len(lines) == 10 and live.shown == 10 and live.held_back == 290
    assert notes == ["[body] ... 290 more line(s) from 290 task(s) not shown (sfnflow logs r1/body)"]
