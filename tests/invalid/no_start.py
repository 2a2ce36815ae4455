# expect: 5: flow 'NoStartFlow' has no 'start' step.
from sfnflow import FlowSpec, step


class NoStartFlow(FlowSpec):
    @step
    def begin(self):
        self.next(self.end)

    @step
    def end(self):
        pass
