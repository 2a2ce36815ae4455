# expect: 19: step 'body': leaves the loop that starts at 'body' straight into the join 'join'
from sfnflow import FlowSpec, step


class LoopExitToJoinFlow(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2]
        self.next(self.prep, foreach="items")

    @step
    def prep(self):
        self.n = 0
        self.next(self.body)

    @step
    def body(self):
        self.n += 1
        self.next({"again": self.body, "done": self.join}, condition="state")

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
