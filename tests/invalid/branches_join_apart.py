# expect: 8: step 'start': the branches of this split end at different joins: 'a' at 'join_a'; 'b' at 'join_b'.
from sfnflow import FlowSpec, step


class BranchesJoinApartFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.next(self.join_a)

    @step
    def b(self):
        self.next(self.join_b)

    @step
    def join_a(self, inputs):
        self.next(self.end)

    @step
    def join_b(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
