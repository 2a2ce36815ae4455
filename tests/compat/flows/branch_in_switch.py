from sfnflow import FlowSpec, Parameter, step


class BranchInSwitchFlow(FlowSpec):
    mode = Parameter("mode", default="process")

    @step
    def start(self):
        self.next({"process": self.process_branch, "skip": self.skip_path}, condition="mode")

    @step
    def process_branch(self):
        self.next(self.p1, self.p2)

    @step
    def p1(self):
        self.part = 1
        self.next(self.process_join)

    @step
    def p2(self):
        self.part = 2
        self.next(self.process_join)

    @step
    def process_join(self, inputs):
        self.outcome = sum(inp.part for inp in inputs)
        self.next(self.end)

    @step
    def skip_path(self):
        self.outcome = 0
        self.next(self.end)

    @step
    def end(self):
        print(self.outcome)


if __name__ == "__main__":
    BranchInSwitchFlow()
