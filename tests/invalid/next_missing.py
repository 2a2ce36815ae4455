# expect: 13: step 'middle': does not end with `self.next(...)`
from sfnflow import FlowSpec, step


class NextMissingFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.middle)

    @step
    def middle(self):
        self.x = 1
        self.y = 2

    @step
    def end(self):
        pass
