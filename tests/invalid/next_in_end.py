# expect: 13: step 'end': the end step calls `self.next(...)`
from sfnflow import FlowSpec, step


class NextInEndFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        print("bye")
        self.next(self.start)
