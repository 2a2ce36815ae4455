# expect: 19: step 'join': the branches of 'start' meet here (from 'a', 'b'), but it does not take `inputs`. Write `def join(self, inputs):`
from sfnflow import FlowSpec, step


class JoinWithoutInputsFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.next(self.join)

    @step
    def b(self):
        self.next(self.join)

    @step
    def join(self):
        self.next(self.end)

    @step
    def end(self):
        pass
