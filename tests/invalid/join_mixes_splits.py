# expect: 27: step 'join': joins steps of different splits: 'a1', 'a2' from split 'a'; 'b' from split 'start'.
from sfnflow import FlowSpec, step


class JoinMixesSplitsFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.next(self.a1, self.a2)

    @step
    def a1(self):
        self.next(self.join)

    @step
    def a2(self):
        self.next(self.join)

    @step
    def b(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
