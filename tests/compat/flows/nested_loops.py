from sfnflow import FlowSpec, step


class NestedLoopsFlow(FlowSpec):
    @step
    def start(self):
        self.outer = 0
        self.log = []
        self.next(self.outer_step)

    @step
    def outer_step(self):
        self.inner = 0
        self.next(self.inner_step)

    @step
    def inner_step(self):
        self.inner += 1
        self.log = self.log + [(self.outer, self.inner)]
        self.more = self.inner < 2
        self.next({True: self.inner_step, False: self.outer_done}, condition="more")

    @step
    def outer_done(self):
        self.outer += 1
        self.again = "yes" if self.outer < 3 else "no"
        self.next({"yes": self.outer_step, "no": self.end}, condition="again")

    @step
    def end(self):
        print(self.log)


if __name__ == "__main__":
    NestedLoopsFlow()
