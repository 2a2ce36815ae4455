"""A foreach inside one arm of a static branch, next to a plain step."""
from sfnflow import FlowSpec, step


class ForeachInBranchFlow(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.fan, self.plain)

    @step
    def fan(self):
        self.next(self.cube, foreach="items")

    @step
    def cube(self):
        self.cubed = self.input ** 3
        self.next(self.gather)

    @step
    def gather(self, inputs):
        self.result = sum(i.cubed for i in inputs)  # 36
        self.next(self.join)

    @step
    def plain(self):
        self.result = len(self.items)  # 3
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = inputs.gather.result + inputs.plain.result  # 39
        self.next(self.end)

    @step
    def end(self):
        print("total:", self.total)


if __name__ == "__main__":
    ForeachInBranchFlow()
