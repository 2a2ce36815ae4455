# expect: 11: step 'join': takes `inputs` but no split leads to it. Add a split before 'join' or drop the `inputs` argument.
from sfnflow import FlowSpec, step


class JoinWithoutSplitFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
