# expect: 6: @trigger(data_ready) maps an event field to 'dya', which is not a parameter of this flow. Use one of: day.
# expect: 6: @trigger(data_ready) starts runs without a value for the required parameter 'day'. Map an event field to it (parameters={'day': '<field>'}) or give it a default.
from sfnflow import FlowSpec, Parameter, step, trigger


@trigger(event={"name": "data_ready", "parameters": {"dya": "day"}})
class TriggeredParametersFlow(FlowSpec):
    day = Parameter("day", required=True)

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
