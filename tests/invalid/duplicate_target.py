# expect: 8: step 'start': `self.next` names 'a' more than once
from sfnflow import FlowSpec, step


class DuplicateTargetFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.a, self.a)

    @step
    def a(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
