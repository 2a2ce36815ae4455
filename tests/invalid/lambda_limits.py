# expect: 9: step 'start': @aws_lambda(memory=20000) is outside Lambda's 128-10240 MB.
# expect: 9: step 'start': @aws_lambda(timeout=3600) is more than Lambda's 900 s.
from sfnflow import FlowSpec, aws_lambda, step


class LambdaLimitsFlow(FlowSpec):
    @aws_lambda(memory=20000, timeout=3600)
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
