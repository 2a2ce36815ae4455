from sfnflow import FlowSpec, step


class SwitchNestedFlow(FlowSpec):
    @step
    def start(self):
        self.condition1 = "case1"
        self.condition2 = "case2_2"
        self.next({"case1": self.switch2, "case2": self.b}, condition="condition1")

    @step
    def switch2(self):
        self.next({"case2_1": self.c, "case2_2": self.d}, condition="condition2")

    @step
    def b(self):
        self.path = "b"
        self.next(self.end)

    @step
    def c(self):
        self.path = "c"
        self.next(self.end)

    @step
    def d(self):
        self.path = "d"
        self.next(self.end)

    @step
    def end(self):
        print(self.path)


if __name__ == "__main__":
    SwitchNestedFlow()
