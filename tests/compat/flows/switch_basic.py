from sfnflow import FlowSpec, step


class SwitchBasicFlow(FlowSpec):
    @step
    def start(self):
        self.condition = "case2"
        self.next(self.switch_step)

    @step
    def switch_step(self):
        self.next({"case1": self.a, "case2": self.b, "case3": self.c}, condition="condition")

    @step
    def a(self):
        self.path = "a"
        self.next(self.end)

    @step
    def b(self):
        self.path = "b"
        self.next(self.end)

    @step
    def c(self):
        self.path = "c"
        self.next(self.end)

    @step
    def end(self):
        print("path", self.path)


if __name__ == "__main__":
    SwitchBasicFlow()
