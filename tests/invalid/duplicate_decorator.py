# expect: 9: step 'start': has @retry 2 times.
from sfnflow import FlowSpec, retry, step


class DuplicateDecoratorFlow(FlowSpec):
    @retry(times=1)
    @retry(times=3)
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
