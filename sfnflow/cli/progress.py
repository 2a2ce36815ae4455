"""Run progress for a person: a live table on a terminal, plain lines otherwise."""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, TextIO


@dataclass
class _StepCounts:
    running: int = 0
    done: int = 0
    failed: int = 0
    retried: int = 0  # failed attempts that @retry runs again (not failures of the run)


class Progress:
    """Receives engine events (task started / succeeded / failed) and shows them."""

    PLAIN_LINES_PER_STEP = 20  # past this, plain mode prints every 100th task of a step

    def __init__(self, flow: str, run_id: str, stream: TextIO | None = None, live: bool | None = None,
                 retries: dict[str, int] | None = None) -> None:
        """`retries`: step -> @retry(times=...), so a failed attempt that will run again shows as a retry."""
        self.flow, self.run_id = flow, run_id
        self.retries = dict(retries or {})
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.steps: dict[str, _StepCounts] = {}
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._drawn = 0
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> "Progress":
        self._write(f"Run {self.flow}/{self.run_id} started\n")
        if self.live:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._ticker:
            self._ticker.join(timeout=1)
        if self.live:
            with self._lock:
                self._redraw()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def on_event(self, kind: str, step: str, task: str, **info: Any) -> None:
        with self._lock:
            counts = self.steps.setdefault(step, _StepCounts())
            if kind == "started":
                counts.running += 1
            elif kind in ("succeeded", "failed", "cancelled"):
                # "cancelled": the engine stopped the task (its @timeout passed, or the run ended).
                counts.running = max(0, counts.running - 1)
                if kind == "succeeded":
                    counts.done += 1
                elif kind == "failed" and self._will_retry(step, info):
                    kind = "retrying"
                    counts.retried += 1
                else:
                    counts.failed += 1
                if not self.live:
                    self._plain(kind, step, task, counts, info)

    def _will_retry(self, step: str, info: dict[str, Any]) -> bool:
        return int(info.get("attempt") or 0) < self.retries.get(step, 0)

    def _plain(self, kind: str, step: str, task: str, counts: _StepCounts, info: dict[str, Any]) -> None:
        n = counts.done + counts.failed
        if kind == "succeeded" and n > self.PLAIN_LINES_PER_STEP and n % 100:
            return
        if kind == "retrying":
            attempt, times = int(info.get("attempt") or 0), self.retries.get(step, 0)
            what = f"failed ({info.get('error', '')}), retrying: attempt {attempt + 2} of {times + 1}"
        else:
            what = {"succeeded": "ok", "cancelled": "STOPPED"}.get(kind) or f"FAILED {info.get('error', '')}".rstrip()
        suffix = f" ({n} tasks so far)" if n > self.PLAIN_LINES_PER_STEP else ""
        self._write(f"[{self.elapsed():7.1f}s] {step}/{task} {what}{suffix}\n")

    def print_lines(self, lines: list[str]) -> None:
        """Lines of the run's output (live step output), above the live table on a terminal."""
        if not lines:
            return
        with self._lock:
            if self.live and self._drawn:
                # Clear the table, print the lines where it was, draw it again below them.
                self._write(f"\x1b[{self._drawn}A\x1b[J")
                self._drawn = 0
            self._write("".join(line + "\n" for line in lines))
            if self.live:
                self._redraw()

    def _tick(self) -> None:
        while not self._stop.wait(0.25):
            with self._lock:
                self._redraw()

    def _redraw(self) -> None:
        lines = [f"  {step:<24} done {c.done:>6}  running {c.running:>4}  failed {c.failed:>4}"
                 + (f"  retried {c.retried:>4}" if c.retried else "") for step, c in self.steps.items()]
        lines.append(f"  elapsed {self.elapsed():.1f}s")
        up = f"\x1b[{self._drawn}A" if self._drawn else ""
        self._write(up + "".join(f"\x1b[2K{line}\n" for line in lines))
        self._drawn = len(lines)

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
