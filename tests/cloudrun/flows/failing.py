"""A step that raises: the run must end FAILED (written by the state machine), and the
artifacts of the steps before it must stay readable."""
from sfnflow import FlowSpec, step


class FailingFlow(FlowSpec):
    @step
    def start(self):
        self.before = 41
        self.next(self.boom)

    @step
    def boom(self):
        self.partial = "kept: set before the raise"
        raise ValueError("kaboom: the step failed on purpose")
        self.next(self.end)  # noqa: unreachable on purpose

    @step
    def end(self):
        pass
