# expect: 9: step 'start': a conditional `self.next` must map literal values to steps
from sfnflow import FlowSpec, step


class NextBadSwitchFlow(FlowSpec):
    @step
    def start(self):
        self.mode = "a"
        self.next({self.mode: self.a}, condition="mode")

    @step
    def a(self):
        self.next(self.end)

    @step
    def end(self):
        pass
