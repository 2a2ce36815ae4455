"""Say how a slow artifact save is going, so a long quiet pause never looks like a hang.

Nothing is printed for saves that end within `after` seconds (almost all of them); past
that, one line per artifact every `every` seconds: step/task, name, size, percent.
The lines go to `notice` (default: the process's real stderr, which in a local run is
the terminal, beside the progress table; in Lambda/Batch, the task's CloudWatch log).
"""
from __future__ import annotations

import sys
import time
from typing import Callable

__all__ = ["SaveProgress", "to_stderr"]


def to_stderr(line: str) -> None:
    stream = sys.__stderr__
    if stream is not None:
        try:
            stream.write(line + "\n")
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed terminal must not fail the save


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} GiB"


class SaveProgress:
    """`with SaveProgress(where, notice) as p: store.put_packed(..., p.artifact(name, size))`."""

    def __init__(self, where: str, notice: Callable[[str], None], *, after: float = 3.0, every: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.where, self.notice, self.after, self.every, self.clock = where, notice, after, every, clock
        self.started = clock()
        self._next = self.started + after
        self.spoke = False

    def __enter__(self) -> "SaveProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.spoke and exc[0] is None:
            self.notice(f"{self.where}: artifacts saved in {self.clock() - self.started:.1f}s")

    def artifact(self, name: str, size: int) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            now = self.clock()
            if now < self._next:
                return
            self._next = now + self.every
            self.spoke = True
            self.notice(f"{self.where}: saving artifact '{name}' ({_size(size)}): {100 * done // max(total, 1)}%")

        return report
