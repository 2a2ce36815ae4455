# expect: 8: step 'start': `self.next` goes to 'trian', which is not a step. Did you mean `self.train`?
from sfnflow import FlowSpec, step


class UnknownTargetFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.trian)

    @step
    def train(self):
        self.next(self.end)

    @step
    def end(self):
        pass
