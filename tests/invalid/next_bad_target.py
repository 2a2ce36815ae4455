# expect: 9: step 'start': `self.next(...)` must name steps as `self.<step>`
from sfnflow import FlowSpec, step


class NextBadTargetFlow(FlowSpec):
    @step
    def start(self):
        target = self.end
        self.next(target)

    @step
    def end(self):
        pass
