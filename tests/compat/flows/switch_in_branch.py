from sfnflow import FlowSpec, step


class SwitchInBranchFlow(FlowSpec):
    @step
    def start(self):
        self.condition = "case1"
        self.next(self.a, self.b)

    @step
    def a(self):
        self.next({"case1": self.c, "case2": self.d}, condition="condition")

    @step
    def b(self):
        self.data = "from_b"
        self.next(self.join)

    @step
    def c(self):
        self.data = "from_a_c"
        self.next(self.join)

    @step
    def d(self):
        self.data = "from_a_d"
        self.next(self.join)

    @step
    def join(self, inputs):
        self.final_data = sorted(inp.data for inp in inputs)
        self.n_inputs = len(list(inputs))
        self.next(self.end)

    @step
    def end(self):
        print(self.final_data)


if __name__ == "__main__":
    SwitchInBranchFlow()
