# expect: 8: step 'start': `condition="a"` names a step, not an artifact
from sfnflow import FlowSpec, step


class SwitchConditionFlow(FlowSpec):
    @step
    def start(self):
        self.next({"x": self.a, "y": self.end}, condition="a")

    @step
    def a(self):
        self.next(self.end)

    @step
    def end(self):
        pass
