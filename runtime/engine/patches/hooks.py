"""PatchHooks: what the installed patches read, owned by the one object that installed them.

Each owner (a LocalEngine, the emulation's MotoCloud or Emulator, a test) makes its own
PatchHooks and hands it to `REGISTRY.install`; the patches close over it. Nothing here
is process-wide: when the owner closes, its patches are uninstalled and its hooks
marked inactive, so a moto thread still on its way through a patched method learns
that its owner is gone.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from .frames import FrameWatch

__all__ = ["PatchHooks"]


class PatchHooks:
    def __init__(self, *, router: Any = None, lambda_runner: Callable[[Any, Any], tuple[str, bool, str]] | None = None,
                 batch_runner: Callable[[Any], bool] | None = None, fast_retries: bool = False,
                 lean_history: bool = False) -> None:
        # routing: a TaskRouter (routing.py) that runs routed Task states on local workers.
        self.router = router
        # the emulation: fn(moto LambdaFunction, event) -> (payload json, errored, logs), and
        # fn(moto Batch job) -> succeeded.
        self.lambda_runner = lambda_runner
        self.batch_runner = batch_runner
        self.fast_retries = fast_retries  # skip Retry IntervalSeconds sleeps
        self.lean_history = lean_history  # keep only the history events worth reading
        self.stats: Any = None  # history.HistoryStats of what runs now, or None: moto's own history
        self.active = True
        self._watches: dict[int, FrameWatch] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """The owner is done: routed calls still in flight are cancelled."""
        self.active = False
        self.router = None

    # -- frames (frames.py) ------------------------------------------------------------------------
    def watch(self, env: Any) -> FrameWatch:
        """A FrameWatch that fires when the interpreter frame `env` stops running."""
        w = FrameWatch(env)
        with self._lock:
            self._watches[id(env)] = w
        if not env.is_running():  # ended before we started watching
            w.fire()
        return w

    def unwatch(self, w: FrameWatch) -> None:
        with self._lock:
            if self._watches.get(id(w.env)) is w:
                del self._watches[id(w.env)]

    def frame_ended(self, env: Any) -> None:
        if self._watches:
            w = self._watches.get(id(env))
            if w is not None and w.env is env:
                w.fire()
