# expect: 7: parameter 'start' has the same name as step 'start'.
# expect: 8: parameter 'tags' is read as `self.tags`, a name FlowSpec reserves for itself.
from sfnflow import FlowSpec, Parameter, step


class ParameterNameFlow(FlowSpec):
    begin = Parameter("start", default=1)
    tags = Parameter("tags", default="x")

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
