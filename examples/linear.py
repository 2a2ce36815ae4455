"""The smallest flow: three steps in a row, an artifact passed along."""
from sfnflow import FlowSpec, step


class LinearFlow(FlowSpec):
    @step
    def start(self):
        self.numbers = [1, 2, 3]
        self.next(self.square)

    @step
    def square(self):
        self.squares = [n * n for n in self.numbers]
        self.next(self.end)

    @step
    def end(self):
        self.total = sum(self.squares)  # 14
        print("sum of squares:", self.total)


if __name__ == "__main__":
    LinearFlow()
