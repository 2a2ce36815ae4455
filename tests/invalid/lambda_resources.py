# expect: 9: step 'start': has @aws_lambda but @resources asks for gpu=1, which Lambda cannot give.
from sfnflow import FlowSpec, aws_lambda, resources, step


class LambdaResourcesFlow(FlowSpec):
    @aws_lambda
    @resources(gpu=1)
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
