from sfnflow import FlowSpec, step


class RecursiveSwitchInsideForeachFlow(FlowSpec):
    @step
    def start(self):
        self.items = [{"id": "A", "iterations": 3}, {"id": "B", "iterations": 5}, {"id": "C", "iterations": 2}]
        self.next(self.start_loop_for_item, foreach="items")

    @step
    def start_loop_for_item(self):
        self.item_id = self.input["id"]
        self.max_loops = self.input["iterations"]
        self.item_loop_count = 0
        self.next(self.loop_body)

    @step
    def loop_body(self):
        self.item_loop_count += 1
        self.should_continue = str(self.item_loop_count < self.max_loops)
        self.next({"True": self.loop_body, "False": self.exit_item_loop}, condition="should_continue")

    @step
    def exit_item_loop(self):
        self.result = f"Item {self.item_id} finished after {self.item_loop_count} iterations."
        self.next(self.join)

    @step
    def join(self, inputs):
        self.results = sorted(inp.result for inp in inputs)
        self.next(self.end)

    @step
    def end(self):
        print(self.results)


if __name__ == "__main__":
    RecursiveSwitchInsideForeachFlow()
