# expect: 8: step 'start': @retry(times=11) is outside 0-10.
from sfnflow import FlowSpec, retry, step


class RetryLimitFlow(FlowSpec):
    @retry(times=11)
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
