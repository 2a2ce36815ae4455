"""Live step output: what each task prints, on the terminal while the run goes, as Metaflow
shows it, each line prefixed with its task: `[train/3] epoch 1 loss 0.31`.

A consumer of the workers' output stream: a local worker writes each stream of a task
to its log file as the step prints (runtime/logs.py), and this follows the files of the
tasks the engine says are running (its started / finished events), from a thread of
the CLI process. Nothing in the worker waits on it.

Readable at 1,000-way fan-out: at most `lines_per_second` lines are shown; past that,
each second one line per step says how many lines were held back and where they are
(`sfnflow logs RUN/STEP`), so a wide foreach never floods the terminal and no output is
lost (it is all in the logs).
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["LiveOutput"]

STREAMS = ("stdout", "stderr")


@dataclass
class _Followed:
    step: str
    task: str
    attempt: int
    offsets: dict[str, int] = field(default_factory=lambda: {s: 0 for s in STREAMS})
    partial: dict[str, str] = field(default_factory=lambda: {s: "" for s in STREAMS})
    done: bool = False


class LiveOutput:
    """Follows running tasks' log files and prints their new lines through `show(lines)`."""

    def __init__(self, root: str, flow: str, run_id: str, show: Callable[[list[str]], None], *,
                 lines_per_second: int = 40, poll_seconds: float = 0.1) -> None:
        from runtime.stores.artifacts import ArtifactStore
        from runtime.stores.blobs import LocalBlobStore

        self._blobs = LocalBlobStore(root)
        self._key = ArtifactStore(self._blobs).log_key
        self.flow, self.run_id, self._show = flow, run_id, show
        self.rate, self.poll = max(1, int(lines_per_second)), poll_seconds
        self._lock = threading.Lock()
        self._tasks: dict[tuple[str, str, int], _Followed] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._budget = float(self.rate)
        self._held: dict[str, int] = {}  # step -> lines not shown since the last note
        self._held_tasks: dict[str, set[str]] = {}
        self._last_note = time.monotonic()
        self.shown = 0
        self.held_back = 0
        self.shown_by_task: dict[tuple[str, str], list[str]] = {}

    # -- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> "LiveOutput":
        self._thread = threading.Thread(target=self._loop, name="sfnflow-live-output", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._drain(final=True)

    # -- engine events -------------------------------------------------------------------
    def on_event(self, kind: str, step: str, task: str, **info: Any) -> None:
        key = (step, task, int(info.get("attempt") or 0))
        with self._lock:
            if kind == "started":
                self._tasks[key] = _Followed(step, task, key[2])
            elif key in self._tasks:
                self._tasks[key].done = True  # read what is left, then forget it

    # -- following -----------------------------------------------------------------------
    def _loop(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(self.poll):
            now = time.monotonic()
            self._budget = min(float(self.rate), self._budget + self.rate * (now - last))
            last = now
            self._drain(final=False)

    def _drain(self, final: bool) -> None:
        with self._lock:
            followed = list(self._tasks.items())
        lines: list[str] = []
        for key, item in followed:
            for stream in STREAMS:
                lines += self._read(item, stream, final or item.done)
            if item.done or final:
                with self._lock:
                    self._tasks.pop(key, None)
        shown = self._admit(lines, final)
        note = self._notes(final)
        if shown or note:
            self._show(shown + note)

    def _read(self, item: _Followed, stream: str, finished: bool) -> list[tuple[str, str, str]]:
        path = self._blobs.path(self._key(self.flow, self.run_id, item.step, item.task, item.attempt, stream))
        try:
            with open(path, "rb") as f:
                f.seek(item.offsets[stream])
                data = f.read()
        except OSError:
            return []  # nothing printed yet (the file appears on the first write)
        item.offsets[stream] += len(data)
        text = item.partial[stream] + data.decode("utf-8", "replace")
        parts = text.split("\n")
        item.partial[stream] = "" if finished else parts.pop()
        if finished and parts and parts[-1] == "":
            parts.pop()
        return [(item.step, item.task, line) for line in parts]

    def _admit(self, lines: list[tuple[str, str, str]], final: bool) -> list[str]:  # noqa: ARG002
        shown = []
        for step, task, line in lines:
            if self._budget >= 1:
                self._budget -= 1
                shown.append(f"[{step}/{task}] {line}")
                self.shown += 1
                self.shown_by_task.setdefault((step, task), []).append(line)
            else:
                self._held[step] = self._held.get(step, 0) + 1
                self._held_tasks.setdefault(step, set()).add(task)
                self.held_back += 1
        return shown

    def _notes(self, final: bool) -> list[str]:
        now = time.monotonic()
        if not self._held or (not final and now - self._last_note < 1.0):
            return []
        self._last_note = now
        notes = []
        for step, count in sorted(self._held.items()):
            tasks = len(self._held_tasks.get(step, ()))
            notes.append(f"[{step}] ... {count:,} more line(s) from {tasks:,} task(s) not shown "
                         f"(sfnflow logs {self.run_id}/{step})")
        self._held.clear()
        self._held_tasks.clear()
        return notes


def terminal_writer(progress: Any) -> Callable[[list[str]], None]:
    """Lines through the run's Progress display (which keeps its live table below them)."""

    def show(lines: list[str]) -> None:
        progress.print_lines(lines)

    return show


def enabled(environ: Any = None) -> bool:
    """SFNFLOW_QUIET=1 (or `--quiet`) turns live output off."""
    from sfn_compiler.contract.task_config import ENV_QUIET

    environ = os.environ if environ is None else environ
    return str(environ.get(ENV_QUIET, "")).strip().lower() not in ("1", "true", "yes")
