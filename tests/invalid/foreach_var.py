# expect: 9: step 'start': `foreach="body"` names a step, not a list
# expect: 13: step 'body': `foreach="input"` is a name FlowSpec reserves
from sfnflow import FlowSpec, step


class ForeachVarFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.body, foreach="body")

    @step
    def body(self):
        self.next(self.inner, foreach="input")

    @step
    def inner(self):
        self.next(self.inner_join)

    @step
    def inner_join(self, inputs):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
