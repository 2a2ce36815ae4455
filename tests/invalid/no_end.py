# expect: 5: flow 'NoEndFlow' has no 'end' step.
from sfnflow import FlowSpec, step


class NoEndFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.finish)

    @step
    def finish(self):
        pass
