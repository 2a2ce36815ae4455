# expect: 9: step 'start': sets self.total, but 'total' is a step.
# expect: 10: step 'start': sets self.input, but 'input' is FlowSpec's own attribute.
from sfnflow import FlowSpec, step


class ArtifactNameFlow(FlowSpec):
    @step
    def start(self):
        self.total = 1
        self.input, self.ok = 2, 3
        self.next(self.total)

    @step
    def total(self):
        self.next(self.end)

    @step
    def end(self):
        pass
