"""@timeout inside the task: the step is interrupted where it runs, so what it had set is saved.

At the step's deadline a SIGALRM raises TimeoutException in the step's own code (as
Metaflow's @timeout does); the task then fails like any raising step: its artifacts are
kept, @retry retries it and @catch catches it. The state machine's TimeoutSeconds (the
deadline plus `grace_seconds`) stays as the backstop for a step that ignores the signal
(a C call that never returns), and then nothing is saved.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from sfn_compiler.exceptions import TimeoutException
from sfn_compiler.graph.model import StepNode

__all__ = ["step_deadline"]


@contextmanager
def step_deadline(node: StepNode) -> Iterator[None]:
    spec = node.decorator("timeout")
    seconds = spec.seconds if spec is not None else 0
    if not seconds:
        yield
        return
    message = f"step '{node.name}' ran longer than its @timeout ({seconds} s) and was stopped."
    if threading.current_thread() is not threading.main_thread():
        # Signals reach only the main thread (a Lambda runtime may call the handler from
        # another): a timer thread raises the exception in this one instead.
        with _thread_deadline(seconds, message):
            yield
        return

    def expired(_signum: int, _frame: Any) -> None:
        raise TimeoutException(message)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _thread_deadline(seconds: float, message: str) -> Iterator[None]:
    import ctypes

    target = threading.get_ident()
    done = threading.Event()
    lock = threading.Lock()
    fired = []

    def expire() -> None:
        if done.wait(seconds):
            return
        with lock:
            if done.is_set():
                return
            fired.append(True)
            # Raised at the thread's next Python bytecode; the exception class carries the message.
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(_Expired))

    class _Expired(TimeoutException):
        def __init__(self, *args: Any) -> None:
            super().__init__(message)

    _Expired.__name__ = _Expired.__qualname__ = "TimeoutException"
    timer = threading.Thread(target=expire, name="sfnflow-timeout", daemon=True)
    timer.start()
    try:
        yield
    except _Expired as exc:
        raise TimeoutException(message) from exc.__cause__
    finally:
        with lock:
            done.set()
            if fired:  # not delivered yet (the step ended just then): take it back
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)
