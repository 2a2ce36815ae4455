# expect: 12: step 'start': calls `self.next(...)`, but not as its last statement
from sfnflow import FlowSpec, step


class NextNotLastFlow(FlowSpec):
    flag = True

    @step
    def start(self):
        self.x = 1
        if self.x:
            self.next(self.end)
        print("done")

    @step
    def end(self):
        pass
