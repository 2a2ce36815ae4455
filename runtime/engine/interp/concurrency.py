"""Threads for the interpreter, without a thread per Map item.

* Scope: what can be cancelled together (an execution, one Parallel's branches, one
  Map's iterations). Cancelling it cancels its child scopes and every task handle
  attached to it (which kills the worker running that task).
* Threads: a cache of parked threads reused for branches and Map runners; a new thread
  starts only when none is idle. A Map runs its items on at most `bound` runners, so the
  number of threads follows the worker pool's size, not the fan-out.
* Timers: one thread firing callbacks at deadlines (TimeoutSeconds).
"""
from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from typing import Any, Callable

from .errors import RUNTIME, Cancelled, StatesError

__all__ = ["FanOut", "Scope", "Threads", "Timers"]

LOG = logging.getLogger(__name__)


class Scope:
    __slots__ = ("cancelled", "parent", "_lock", "_handles", "_children", "_wakeup")

    def __init__(self, parent: "Scope | None" = None) -> None:
        self.cancelled = False
        self.parent = parent
        self._lock = threading.Lock()
        self._handles: set[Any] = set()
        self._children: set[Scope] = set()
        self._wakeup: threading.Event | None = None

    def child(self) -> "Scope":
        child = Scope(self)
        with self._lock:
            if self.cancelled:
                child.cancelled = True
            else:
                self._children.add(child)
        return child

    def close(self) -> None:
        """Detach from the parent (the work of this scope is over)."""
        parent = self.parent
        if parent is not None:
            with parent._lock:
                parent._children.discard(self)

    def attach(self, handle: Any) -> None:
        """Cancel `handle` (anything with .cancel()) with this scope; at once if already cancelled."""
        with self._lock:
            if not self.cancelled:
                self._handles.add(handle)
                return
        handle.cancel()

    def detach(self, handle: Any) -> None:
        with self._lock:
            self._handles.discard(handle)

    def cancel(self) -> None:
        with self._lock:
            if self.cancelled:
                return
            self.cancelled = True
            handles, children = list(self._handles), list(self._children)
            self._handles.clear()
            self._children.clear()
            wakeup = self._wakeup
        if wakeup is not None:
            wakeup.set()
        for handle in handles:
            try:
                handle.cancel()
            except Exception:  # a dead worker is already what cancelling wants
                LOG.debug("cancelling a task handle failed", exc_info=True)
        for child in children:
            child.cancel()

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled()

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake up (and raise Cancelled) as soon as the scope is cancelled."""
        if seconds <= 0:
            self.check()
            return
        with self._lock:
            if self._wakeup is None:
                self._wakeup = threading.Event()
            wakeup = self._wakeup
            if self.cancelled:
                wakeup.set()
        wakeup.wait(seconds)
        self.check()


class Done:
    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def wait(self) -> None:
        self._event.wait()


class Threads:
    """Runs callables on reused daemon threads; `submit` never blocks and never deadlocks
    (a new thread starts whenever none is idle)."""

    def __init__(self, name: str = "sfnflow-interp") -> None:
        self._name = name
        self._work: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._count = 0
        self._closed = False
        self.started = 0  # threads ever started (tests, bench)

    def submit(self, fn: Callable[[], None]) -> Done:
        done = Done()
        with self._lock:
            if self._closed:
                raise RuntimeError("the interpreter's threads are shut down")
            spawn = self._idle == 0
            if spawn:
                self._count += 1
                self.started += 1
            else:
                self._idle -= 1
        self._work.put((fn, done))
        if spawn:
            threading.Thread(target=self._loop, name=f"{self._name}-{self.started}", daemon=True).start()
        return done

    def _loop(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            fn, done = item
            try:
                fn()
            except BaseException:  # fn reports its own errors; never lose the thread silently
                LOG.exception("interpreter thread failed")
            with self._lock:  # idle before done: a submit right after the wait reuses this thread
                self._idle += 1
            done._event.set()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            count, self._count = self._count, 0
        for _ in range(count):
            self._work.put(None)


class Timers:
    """Calls `callback` after `seconds` on one background thread; `cancel` the returned token."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, list[Any]]] = []
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False

    def after(self, seconds: float, callback: Callable[[], None]) -> list[Any]:
        token = [callback]
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + seconds, next(self._ids), token))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="sfnflow-interp-timers", daemon=True)
                self._thread.start()
            self._cond.notify()
        return token

    @staticmethod
    def cancel(token: list[Any]) -> None:
        token[0] = None

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._cond.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                if self._closed:
                    return
                _, _, token = heapq.heappop(self._heap)
            callback = token[0]
            if callback is not None:
                try:
                    callback()
                except Exception:
                    LOG.exception("timer callback failed")

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()


class FanOut:
    """Run job(0), ..., job(count - 1) on at most `bound` runners, this thread being one.

    The first StatesError stops the fan-out: no new job starts, `scope` is cancelled (the
    running jobs unwind with Cancelled), and `run` raises it once every runner has ended.
    If `scope` was cancelled from outside, `run` raises Cancelled.
    """

    __slots__ = ("_count", "_next", "_lock", "error", "_scope", "_job")

    def __init__(self, count: int, scope: Scope, job: Callable[[int], None]) -> None:
        self._count, self._next = count, 0
        self._lock = threading.Lock()
        self.error: StatesError | None = None
        self._scope, self._job = scope, job

    def run(self, bound: int, threads: Threads) -> None:
        runners = max(1, min(bound, self._count))
        done = [threads.submit(self._runner) for _ in range(runners - 1)]
        self._runner()
        for d in done:
            d.wait()
        if self.error is not None:
            raise self.error
        if self._scope.cancelled:
            raise Cancelled()

    def _take(self) -> int | None:
        with self._lock:
            if self._next >= self._count or self.error is not None or self._scope.cancelled:
                return None
            i = self._next
            self._next += 1
            return i

    def fail(self, error: StatesError) -> None:
        with self._lock:
            first = self.error is None
            if first:
                self.error = error
        if first:
            self._scope.cancel()

    def _runner(self) -> None:
        job = self._job
        while True:
            i = self._take()
            if i is None:
                return
            try:
                job(i)
            except StatesError as exc:
                self.fail(exc)
            except Cancelled:
                pass  # the scope was cancelled: _take() returns None next
            except Exception as exc:  # an interpreter bug: fail the branch, loudly, not the thread
                LOG.exception("the local interpreter failed")
                self.fail(StatesError(RUNTIME, f"the local interpreter failed: {type(exc).__name__}: {exc}"))
