"""A foreach as wide as the `n` parameter (2,000 by default): the state must not grow
with it, and the join must see every input."""
from sfnflow import FlowSpec, Parameter, step


class WideFlow(FlowSpec):
    n = Parameter("n", default=2000, help="fan-out width")

    @step
    def start(self):
        self.items = list(range(self.n))
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.doubled = self.input * 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.count = len(inputs)
        self.total = sum(i.doubled for i in inputs)
        self.distinct = len({i.doubled for i in inputs})
        self.next(self.end)

    @step
    def end(self):
        pass
