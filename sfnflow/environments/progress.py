"""What resolving and building environments prints: what is happening, and how long it took.

Resolving is usually under a second (uv, cached metadata); building a venv the first time
downloads wheels and can take a minute, so each phase says when it starts and ends.
"""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Iterator, TextIO

__all__ = ["EnvironmentProgress"]


class EnvironmentProgress:
    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet

    def line(self, text: str) -> None:
        if not self.quiet:
            self.stream.write(text + "\n")
            self.stream.flush()

    @contextmanager
    def phase(self, doing: str, done: str) -> Iterator[Phase]:
        """`doing ...` now, `done in N s` after (or `... failed after N s`); the body may set
        `phase.done` to say more once it knows."""
        self.line(f"{doing} ...")
        phase = Phase(done)
        started = time.monotonic()
        try:
            yield phase
        except BaseException:
            self.line(f"  failed after {time.monotonic() - started:.1f} s")
            raise
        self.line(f"{phase.done} in {time.monotonic() - started:.1f} s")


class Phase:
    def __init__(self, done: str) -> None:
        self.done = done
