"""Choose the next step by a value: small inputs are scored in one task, large ones in a foreach."""
from sfnflow import FlowSpec, Parameter, step


class SwitchFlow(FlowSpec):
    rows = Parameter("rows", default=12, help="how many rows to score")

    @step
    def start(self):
        self.data = list(range(self.rows))
        self.size = "large" if self.rows > 10 else "small"
        self.next({"small": self.score_all, "large": self.chunk}, condition="size")

    @step
    def score_all(self):
        self.total = sum(x * x for x in self.data)
        self.next(self.end)

    @step
    def chunk(self):
        self.chunks = [self.data[i:i + 5] for i in range(0, len(self.data), 5)]
        self.next(self.score_chunk, foreach="chunks")

    @step
    def score_chunk(self):
        self.part = sum(x * x for x in self.input)
        self.next(self.gather)

    @step
    def gather(self, inputs):
        self.total = sum(i.part for i in inputs)
        self.merge_artifacts(inputs, exclude=["part"])
        self.next(self.end)

    @step
    def end(self):
        print(f"{self.size}: total {self.total}")


if __name__ == "__main__":
    SwitchFlow()
