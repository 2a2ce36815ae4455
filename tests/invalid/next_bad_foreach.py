# expect: 10: step 'start': `foreach=` must be a string literal
from sfnflow import FlowSpec, step


class NextBadForeachFlow(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2]
        name = "items"
        self.next(self.body, foreach=name)

    @step
    def body(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
