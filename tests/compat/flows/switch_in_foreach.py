from sfnflow import FlowSpec, step


class SwitchInForeachFlow(FlowSpec):
    @step
    def start(self):
        self.items = ["a", "b", "a", "b", "b"]
        self.next(self.process_item, foreach="items")

    @step
    def process_item(self):
        self.item_type = "type_" + self.input
        self.next({"type_a": self.handle_a, "type_b": self.handle_b}, condition="item_type")

    @step
    def handle_a(self):
        self.result = f"A{self.index}"
        self.next(self.join)

    @step
    def handle_b(self):
        self.result = f"B{self.index}"
        self.next(self.join)

    @step
    def join(self, inputs):
        self.results = [inp.result for inp in inputs]
        self.next(self.end)

    @step
    def end(self):
        print(self.results)


if __name__ == "__main__":
    SwitchInForeachFlow()
