"""Repeat a step until it is done: a switch case going back makes a loop (one per seed here)."""
from sfnflow import FlowSpec, step


class LoopFlow(FlowSpec):
    @step
    def start(self):
        self.seeds = [3, 5]
        self.next(self.init, foreach="seeds")

    @step
    def init(self):
        self.value = self.input
        self.steps = 0
        self.next(self.improve)

    @step
    def improve(self):
        # Collatz: halve or triple-plus-one until 1.
        self.value = self.value // 2 if self.value % 2 == 0 else 3 * self.value + 1
        self.steps += 1
        self.state = "done" if self.value == 1 else "again"
        self.next({"again": self.improve, "done": self.report}, condition="state")

    @step
    def report(self):
        self.result = (self.input, self.steps)
        self.next(self.join)

    @step
    def join(self, inputs):
        self.results = [i.result for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        print(self.results)


if __name__ == "__main__":
    LoopFlow()
