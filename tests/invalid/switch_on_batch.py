# expect: 8: step 'start': is a switch that runs on AWS Batch
from sfnflow import FlowSpec, batch, step


class SwitchOnBatchFlow(FlowSpec):
    @batch(cpu=2)
    @step
    def start(self):
        self.mode = "a"
        self.next({"a": self.a, "b": self.end}, condition="mode")

    @step
    def a(self):
        self.next(self.end)

    @step
    def end(self):
        pass
