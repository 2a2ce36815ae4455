"""Three kinds of compute in one flow: Batch, a bigger Lambda, and Batch chosen by memory."""
from sfnflow import FlowSpec, aws_lambda, batch, resources, step


class MixedComputeFlow(FlowSpec):
    @step
    def start(self):
        self.rows = list(range(10))
        self.next(self.prepare)

    @batch(cpu=2, memory=4096)
    @step
    def prepare(self):
        self.prepared = [r * 2 for r in self.rows]
        self.next(self.summarize)

    @aws_lambda(memory=2048)
    @step
    def summarize(self):
        self.total = sum(self.prepared)  # 90
        self.next(self.big_memory)

    @resources(memory=12000)  # more than Lambda's 10,240 MB: runs on Batch
    @step
    def big_memory(self):
        self.mean = self.total / len(self.rows)  # 9.0
        self.next(self.end)

    @step
    def end(self):
        print("mean:", self.mean)


if __name__ == "__main__":
    MixedComputeFlow()
