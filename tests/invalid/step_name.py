# expect: 12: step 'compile': the step name is a name FlowSpec reserves for itself.
# expect: 16: step 'schritt_ä': the step name has characters Step Functions state names cannot use
from sfnflow import FlowSpec, step


class StepNameFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.compile)

    @step
    def compile(self):
        self.next(self.schritt_ä)

    @step
    def schritt_ä(self):
        self.next(self.end)

    @step
    def end(self):
        pass
