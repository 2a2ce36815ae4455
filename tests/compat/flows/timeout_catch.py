import time

from sfnflow import FlowSpec, catch, step, timeout


class TimeoutCatchFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.slow)

    @catch(var="timed_out")
    @timeout(seconds=1)
    @step
    def slow(self):
        self.before_sleep = "set"
        time.sleep(30)
        self.after_sleep = "never"
        self.next(self.end)

    @step
    def end(self):
        self.kind = self.timed_out.type
        self.saw = self.before_sleep


if __name__ == "__main__":
    TimeoutCatchFlow()
