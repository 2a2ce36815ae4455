from sfnflow import FlowSpec, Parameter, step


class RecursiveSwitchFlow(FlowSpec):
    max_iterations = Parameter("max_iterations", default=10)

    @step
    def start(self):
        self.count = 0
        self.next(self.loop_step)

    @step
    def loop_step(self):
        self.count += 1
        self.loop_status = "continue" if self.count < self.max_iterations else "exit"
        self.next({"continue": self.loop_step, "exit": self.exit_loop}, condition="loop_status")

    @step
    def exit_loop(self):
        self.next(self.end)

    @step
    def end(self):
        print("count", self.count)


if __name__ == "__main__":
    RecursiveSwitchFlow()
