# expect: 5: @trigger event orders matches on shop, which EventBridge events do not have at the top level. Match on source, detail-type or detail (event fields go inside "detail").
from sfnflow import FlowSpec, step, trigger


@trigger(event={"name": "orders", "pattern": {"shop": ["eu"]}})
class TriggerPatternFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
