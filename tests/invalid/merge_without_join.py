# expect: 24: step 'c': several steps lead here ('b', 'join'), but they are not the branches of one split
# expect: 9: step 'start': the branches of this split end at different joins: 'a' at 'join'; 'b' at 'c'.
from sfnflow import FlowSpec, step


class MergeWithoutJoinFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.next(self.join)

    @step
    def b(self):
        self.next(self.c)

    @step
    def join(self, inputs):
        self.next(self.c)

    @step
    def c(self):
        self.next(self.end)

    @step
    def end(self):
        pass
