# expect: 5: @schedule(cron='0 3 * * *') has 5 fields; EventBridge cron takes 6. EventBridge cron adds a year field and needs '?' in one day field, e.g. "0 3 * * ? *".
from sfnflow import FlowSpec, schedule, step


@schedule(cron="0 3 * * *")
class ScheduleExpressionFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
