# expect: 5: flow 'DuplicateFlowDecoratorFlow' has @schedule 2 times.
from sfnflow import FlowSpec, schedule, step


@schedule(daily=True)
@schedule(rate="1 hour")
class DuplicateFlowDecoratorFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
