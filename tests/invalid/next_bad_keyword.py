# expect: 8: step 'start': `self.next(...)` takes only step targets and `foreach=`
from sfnflow import FlowSpec, step


class NextBadKeywordFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end, when="x")

    @step
    def end(self):
        pass
