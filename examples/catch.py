"""@catch: a step that always raises; the failure is stored and the flow finishes."""
from sfnflow import FlowSpec, catch, step


class CatchFlow(FlowSpec):
    @step
    def start(self):
        self.divisor = 0
        self.next(self.divide)

    @catch(var="failure")
    @step
    def divide(self):
        self.result = 1 / self.divisor
        self.next(self.end)

    @step
    def end(self):
        # `failure` holds the caught exception; `result` was never set.
        print("caught:", self.failure.type, "-", self.failure.exception)


if __name__ == "__main__":
    CatchFlow()
