# expect: 17: step 'b': `self.next` goes back to 'a', making a loop (a -> b -> a).
# expect: 20: step 'end': is never reached from 'start'.
from sfnflow import FlowSpec, step


class CycleFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.a)

    @step
    def a(self):
        self.next(self.b)

    @step
    def b(self):
        self.next(self.a)

    @step
    def end(self):
        pass
