"""Capture a task's stdout/stderr as its logs.

A worker runs one task at a time, so swapping sys.stdout/sys.stderr for the task's
duration is enough. Not captured: output written to file descriptors 1/2 directly
(C extensions, subprocesses) and logging handlers that kept a reference to the old
stream. `tee=True` also copies to the real streams (Batch / Lambda, where CloudWatch
reads them, or a local run with --verbose).
"""
from __future__ import annotations

import io
import sys
from contextlib import contextmanager
from typing import Iterator, TextIO

__all__ = ["Captured", "capture_output"]


class _Stream(io.TextIOBase):
    """A text stream that keeps what is written, optionally copying it to another stream."""

    def __init__(self, copy_to: TextIO | None) -> None:
        super().__init__()
        self._parts: list[str] = []
        self._copy_to = copy_to

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:  # type: ignore[override]
        self._parts.append(text)
        if self._copy_to is not None:
            self._copy_to.write(text)
        return len(text)

    def flush(self) -> None:
        if self._copy_to is not None:
            self._copy_to.flush()

    def isatty(self) -> bool:
        return False

    def getvalue(self) -> str:
        return "".join(self._parts)


class Captured:
    """What a task printed. `stderr` may get lines appended by the runtime (tracebacks)."""

    def __init__(self, tee: bool) -> None:
        self._out = _Stream(sys.stdout if tee else None)
        self._err = _Stream(sys.stderr if tee else None)

    @property
    def stdout(self) -> str:
        return self._out.getvalue()

    @property
    def stderr(self) -> str:
        return self._err.getvalue()

    def add_stderr(self, text: str) -> None:
        self._err.write(text)


@contextmanager
def capture_output(tee: bool = False) -> Iterator[Captured]:
    captured = Captured(tee)
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = captured._out, captured._err  # type: ignore[assignment]
    try:
        yield captured
    finally:
        sys.stdout, sys.stderr = old_out, old_err
