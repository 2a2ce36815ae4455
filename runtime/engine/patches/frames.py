"""Frames: tell the router at once when the frame of a running task ends.

moto abandons a task's thread when its frame ends (TimeoutSeconds, StopExecution, a
failed sibling branch): `Environment.set_ended()` and friends. The patch below fires the
FrameWatch of that frame, so the router kills the worker running the task instead of
letting an abandoned step run on.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from .registry import REGISTRY

__all__ = ["FRAMES", "FrameWatch"]

FRAMES = "frames"
_ENV = "moto.stepfunctions.parser.asl.eval.environment"


class FrameWatch:
    """Calls its callback once when the interpreter frame of a running task stops running."""

    __slots__ = ("env", "_callback", "fired", "_lock")

    def __init__(self, env: Any) -> None:
        self.env, self._callback, self.fired = env, None, False
        self._lock = threading.Lock()

    def bind(self, callback: Callable[[], None]) -> None:
        """Set the callback; call it now if the frame has already ended."""
        with self._lock:
            self._callback = callback
            fired = self.fired
        if fired:
            callback()

    def fire(self) -> None:
        with self._lock:
            if self.fired:
                return
            self.fired = True
            callback = self._callback
        if callback is not None:
            callback()


def _fires_watch(name: str) -> Callable[[Any, Any], Any]:
    def make(original: Callable[..., None], hooks: Any) -> Callable[..., None]:
        def patched(self: Any, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            hooks.frame_ended(self)

        patched.__name__ = name
        return patched

    return make


for _method in ("set_ended", "set_stop", "set_error", "set_timed_out"):
    REGISTRY.replaces(_ENV, f"Environment.{_method}", group=FRAMES)(_fires_watch(_method))
REGISTRY.relies_on(FRAMES, _ENV, "Environment.is_running")
