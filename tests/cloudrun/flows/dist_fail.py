"""A foreach body that fails for one item: run wide enough (inline_max lowered by the test)
to take the Distributed Map, whose failure names only the Map's threshold."""
from sfnflow import FlowSpec, step


class DistFailCloudFlow(FlowSpec):
    @step
    def start(self):
        self.items = list(range(4))
        self.next(self.body, foreach="items")

    @step
    def body(self):
        if self.input == 2:
            raise ValueError(f"item {self.input} is bad on purpose")
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
