# expect: 8: step 'start': has @catch but fans out with foreach
from sfnflow import FlowSpec, catch, step


class CatchOnForeachFlow(FlowSpec):
    @catch(var="failure")
    @step
    def start(self):
        self.items = [1, 2]
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
