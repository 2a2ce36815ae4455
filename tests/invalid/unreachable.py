# expect: 15: step 'orphan': is never reached from 'start'.
from sfnflow import FlowSpec, step


class UnreachableFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass

    @step
    def orphan(self):
        self.next(self.end)
