"""A static branch: two steps run side by side, a join reads both and merges the rest."""
from sfnflow import FlowSpec, step


class BranchFlow(FlowSpec):
    @step
    def start(self):
        self.base = 10
        self.next(self.a, self.b)

    @step
    def a(self):
        self.x = self.base + 1
        self.next(self.join)

    @step
    def b(self):
        self.x = self.base + 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = inputs.a.x + inputs.b.x  # 23
        self.merge_artifacts(inputs, exclude=["x"])  # brings `base` along
        self.next(self.end)

    @step
    def end(self):
        print("total:", self.total, "base:", self.base)


if __name__ == "__main__":
    BranchFlow()
