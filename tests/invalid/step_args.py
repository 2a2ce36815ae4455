# expect: 12: step 'middle': takes 3 arguments
# expect: 16: step 'end': the end step takes `inputs`
from sfnflow import FlowSpec, step


class StepArgsFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.middle)

    @step
    def middle(self, a, b):
        self.next(self.end)

    @step
    def end(self, inputs):
        pass
