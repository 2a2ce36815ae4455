"""A foreach: one task per item, and a join that sums what they computed."""
from sfnflow import FlowSpec, step


class ForeachFlow(FlowSpec):
    @step
    def start(self):
        self.values = [1, 2, 3, 4]
        self.next(self.double, foreach="values")

    @step
    def double(self):
        self.doubled = self.input * 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.doubled for i in inputs)  # 20
        self.next(self.end)

    @step
    def end(self):
        print("total:", self.total)


if __name__ == "__main__":
    ForeachFlow()
