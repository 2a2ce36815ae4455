# expect: 7: parameter 'alpha' is declared twice (first at line 6).
from sfnflow import FlowSpec, Parameter, step


class DuplicateParameterFlow(FlowSpec):
    alpha = Parameter("alpha", default=0.1)
    learning_rate = Parameter("alpha", default=0.2)

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
