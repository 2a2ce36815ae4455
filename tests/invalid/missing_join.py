# expect: 9: step 'start': this foreach is never joined: 'end' is reached with it still open.
from sfnflow import FlowSpec, step


class MissingJoinFlow(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.next(self.end)

    @step
    def end(self):
        pass
