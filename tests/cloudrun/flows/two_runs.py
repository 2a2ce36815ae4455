"""Two runs of this flow at once must never see each other's artifacts or metadata."""
from sfnflow import FlowSpec, Parameter, current, step


class TwoRunsFlow(FlowSpec):
    tag = Parameter("tag", default="x", help="what this run writes everywhere")

    @step
    def start(self):
        self.items = [f"{self.tag}-{i}" for i in range(4)]
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.item = self.input
        self.run_seen = current.run_id
        self.tag_seen = self.tag
        self.next(self.join)

    @step
    def join(self, inputs):
        self.items_seen = sorted(i.item for i in inputs)
        self.runs_seen = sorted({i.run_seen for i in inputs})
        self.tags_seen = sorted({i.tag_seen for i in inputs})
        self.next(self.end)

    @step
    def end(self):
        self.final_run = current.run_id
