# expect: 5: flow name 'AVeryLongFlowNameThatGoesOnAndOnWellPastTheLimitFlow' is 52 characters long; sfnflow allows 48
from sfnflow import FlowSpec, step


class AVeryLongFlowNameThatGoesOnAndOnWellPastTheLimitFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
