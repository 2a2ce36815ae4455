"""Capture a task's stdout/stderr as its logs, written to disk as they are printed.

A worker runs one task at a time, so swapping sys.stdout/sys.stderr for the task's
duration is enough. Not captured: output written to file descriptors 1/2 directly
(C extensions, subprocesses) and logging handlers that kept a reference to the old
stream. `tee=True` also copies to the real streams (Batch / Lambda, where CloudWatch
reads them, or a local run with --verbose).

Where the store is a local disk, each stream goes to its log file (`<attempt>.stdout`)
as it is written, unbuffered, so a worker that crashes (a segfault, os._exit, the OOM
killer) leaves what the step printed until then. The file is created on the first write:
a silent task writes no files. Elsewhere (S3) the text is kept and stored when the task
ends.

The seam for live output: `on_output(stream, text)` is called with every write ("stdout"
or "stderr", the text as written); a display in another process can also follow the log
files, which only grow while the task runs.
"""
from __future__ import annotations

import io
import sys
from contextlib import contextmanager
from typing import BinaryIO, Callable, Iterator, Mapping, TextIO

__all__ = ["Captured", "OutputTap", "SinkOpener", "capture_output"]

OutputTap = Callable[[str, str], None]  # (stream, text)
SinkOpener = Callable[[str], "BinaryIO | None"]  # stream -> a file to append to, or None (keep in memory)


class _Stream(io.TextIOBase):
    """A text stream that keeps what is written, optionally copying it elsewhere."""

    def __init__(self, name: str, copy_to: TextIO | None, open_sink: SinkOpener | None,
                 tap: OutputTap | None) -> None:
        super().__init__()
        self._name = name
        self._parts: list[str] = []
        self._copy_to = copy_to
        self._open_sink, self._sink, self.streamed = open_sink, None, False
        self._tap = tap

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:  # type: ignore[override]
        self._parts.append(text)
        if self._open_sink is not None and text:
            self._to_sink(text)
        if self._copy_to is not None:
            self._copy_to.write(text)
        if self._tap is not None:
            try:
                self._tap(self._name, text)
            except Exception:  # a display bug must not fail the step
                self._tap = None
        return len(text)

    def _to_sink(self, text: str) -> None:
        try:
            if self._sink is None:
                self._sink = self._open_sink(self._name) if self._open_sink else None
                if self._sink is None:
                    self._open_sink = None
                    return
                self.streamed = True
            self._sink.write(text.encode("utf-8", "replace"))
        except OSError:
            # The disk is full or gone: keep the text in memory; the end of the task stores it if it can.
            self._open_sink, self.streamed = None, False
            self.close_sink()

    def close_sink(self) -> None:
        sink, self._sink = self._sink, None
        if sink is not None:
            try:
                sink.close()
            except OSError:
                pass

    def flush(self) -> None:
        if self._copy_to is not None:
            self._copy_to.flush()

    def isatty(self) -> bool:
        return False

    def getvalue(self) -> str:
        return "".join(self._parts)


class Captured:
    """What a task printed. `stderr` may get lines appended by the runtime (tracebacks)."""

    def __init__(self, tee: bool, open_sink: SinkOpener | None = None, on_output: OutputTap | None = None) -> None:
        self._out = _Stream("stdout", sys.stdout if tee else None, open_sink, on_output)
        self._err = _Stream("stderr", sys.stderr if tee else None, open_sink, on_output)

    @property
    def stdout(self) -> str:
        return self._out.getvalue()

    @property
    def stderr(self) -> str:
        return self._err.getvalue()

    def streamed(self, stream: str) -> bool:
        """Whether that stream's text is already in its log file (nothing left to store)."""
        return (self._out if stream == "stdout" else self._err).streamed

    def add_stderr(self, text: str) -> None:
        self._err.write(text)

    def close(self) -> None:
        self._out.close_sink()
        self._err.close_sink()


@contextmanager
def capture_output(tee: bool = False, open_sink: SinkOpener | None = None,
                   on_output: OutputTap | None = None) -> Iterator[Captured]:
    captured = Captured(tee, open_sink, on_output)
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = captured._out, captured._err  # type: ignore[assignment]
    try:
        yield captured
    finally:
        sys.stdout, sys.stderr = old_out, old_err
        captured.close()


def sinks_for(paths: Mapping[str, str]) -> SinkOpener:
    """A SinkOpener writing each stream to its path, unbuffered (every write reaches the file)."""
    def open_sink(stream: str) -> BinaryIO | None:
        import os

        path = paths.get(stream)
        if path is None:
            return None
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return open(path, "wb", buffering=0)

    return open_sink
