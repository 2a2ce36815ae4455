import os

from sfnflow import FlowSpec, Parameter, current, step


class FlakyFlow(FlowSpec):
    """A step that fails on its first attempt, and one that fails while a marker file exists."""

    width = Parameter("width", default=3, help="items in the foreach")

    @step
    def start(self):
        self.items = list(range(self.width))
        self.next(self.flaky, foreach="items")

    @step
    def flaky(self):
        print(f"attempt {current.retry_count} of item {self.input}")
        self.attempt = current.retry_count
        if current.retry_count == 0:
            raise RuntimeError("first attempts fail")
        self.next(self.join)

    @step
    def join(self, inputs):
        self.attempts = [i.attempt for i in inputs]
        self.next(self.check)

    @step
    def check(self):
        if os.path.exists(os.environ.get("FLAKY_BROKEN", "/nonexistent")):
            raise ValueError("broken while the marker exists")
        self.next(self.end)

    @step
    def end(self):
        print("attempts", self.attempts)


if __name__ == "__main__":
    FlakyFlow()
