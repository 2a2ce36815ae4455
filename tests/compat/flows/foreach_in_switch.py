from sfnflow import FlowSpec, Parameter, step


class ForeachInSwitchFlow(FlowSpec):
    mode = Parameter("mode", default="process")

    @step
    def start(self):
        self.next({"process": self.process_items, "skip": self.skip_processing}, condition="mode")

    @step
    def process_items(self):
        self.items_to_process = ["item_1", "item_2"]
        self.next(self.do_work, foreach="items_to_process")

    @step
    def do_work(self):
        self.work_result = f"Processed {self.input}"
        self.next(self.join_work)

    @step
    def join_work(self, inputs):
        self.outcome = sorted(inp.work_result for inp in inputs)
        self.next(self.end)

    @step
    def skip_processing(self):
        self.outcome = ["skipped"]
        self.next(self.end)

    @step
    def end(self):
        print(self.outcome)


if __name__ == "__main__":
    ForeachInSwitchFlow()
