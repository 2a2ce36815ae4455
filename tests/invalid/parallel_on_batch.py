# expect: 13: step 'train': runs as num_parallel tasks on AWS Batch
from sfnflow import FlowSpec, batch, parallel, step


class ParallelOnBatchFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.train, num_parallel=2)

    @batch(cpu=4)
    @parallel
    @step
    def train(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
