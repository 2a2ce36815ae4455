# expect: 8: step 'start': has @catch but chooses its next step with a switch
from sfnflow import FlowSpec, catch, step


class CatchOnSwitchFlow(FlowSpec):
    @catch(var="oops")
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
