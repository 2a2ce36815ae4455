# expect: 7: parameter 'day' is required and has no default, but @schedule starts runs with the defaults only. Give 'day' a default (Parameter("day", default=...)).
from sfnflow import FlowSpec, Parameter, schedule, step


@schedule(daily=True)
class ScheduledRequiredFlow(FlowSpec):
    day = Parameter("day", required=True)

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
