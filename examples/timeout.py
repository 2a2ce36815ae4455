"""@timeout: `slow_step` is stopped after 10 seconds; it only sleeps when asked to.

    python timeout.py run              # finishes
    python timeout.py run --sleep 15   # fails: slow_step times out

(10 s, not less: the limit covers the whole Task state, not only the step's code, and on
a loaded machine a short one would stop a step that did nothing wrong.)
"""
import time

from sfnflow import FlowSpec, Parameter, step, timeout


class TimeoutFlow(FlowSpec):
    sleep = Parameter("sleep", default=0, help="seconds slow_step sleeps")

    @step
    def start(self):
        self.next(self.slow_step)

    @timeout(seconds=10)
    @step
    def slow_step(self):
        self.asked = self.sleep  # set before the timeout: kept even when the step is stopped
        time.sleep(self.sleep)
        self.slept = self.sleep
        self.next(self.end)

    @step
    def end(self):
        print("slept", self.slept, "s")


if __name__ == "__main__":
    TimeoutFlow()
