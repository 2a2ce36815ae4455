# expect: 10: step 'start': @timeout of 3600 s is more than Lambda's 900 s, and @aws_lambda keeps this step on Lambda.
# expect: 27: step 'end': @timeout adds up to 0 s.
from sfnflow import FlowSpec, aws_lambda, batch, step, timeout


class TimeoutLimitFlow(FlowSpec):
    @aws_lambda(memory=2048)
    @timeout(hours=1)
    @step
    def start(self):
        self.next(self.train)

    @batch(cpu=1)
    @timeout(hours=2)
    @step
    def train(self):
        self.next(self.long)

    # Over 15 minutes without @aws_lambda: goes to Batch by itself, no problem.
    @timeout(hours=1)
    @step
    def long(self):
        self.next(self.end)

    @timeout(seconds=0)
    @step
    def end(self):
        pass
