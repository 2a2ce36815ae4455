# expect: 8: step 'start': `num_parallel=` must be a positive integer literal
from sfnflow import FlowSpec, step


class NextBadNumParallelFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.train, num_parallel=0)

    @step
    def train(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
