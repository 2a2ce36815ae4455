# expect: 8: step 'start': `@catch(var='end')` is the name of step 'end'.
from sfnflow import FlowSpec, catch, step


class CatchVarFlow(FlowSpec):
    @catch(var="end")
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
