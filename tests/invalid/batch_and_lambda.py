# expect: 9: step 'start': has both @batch and @aws_lambda. Keep one
from sfnflow import FlowSpec, aws_lambda, batch, step


class BatchAndLambdaFlow(FlowSpec):
    @batch(cpu=2)
    @aws_lambda(memory=1024)
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
