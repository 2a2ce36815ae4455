from sfnflow import FlowSpec, step


class ForeachInLoopFlow(FlowSpec):
    @step
    def start(self):
        self.rounds = 0
        self.totals = []
        self.next(self.round_start)

    @step
    def round_start(self):
        self.items = list(range(self.rounds + 2))
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.v = self.input * 10
        self.next(self.gather)

    @step
    def gather(self, inputs):
        self.merge_artifacts(inputs, include=["rounds", "totals"])
        self.totals = self.totals + [sum(i.v for i in inputs)]
        self.rounds += 1
        self.next(self.decide)

    @step
    def decide(self):
        self.go = "again" if self.rounds < 3 else "done"
        self.next({"again": self.round_start, "done": self.end}, condition="go")

    @step
    def end(self):
        print(self.totals, self.rounds)


if __name__ == "__main__":
    ForeachInLoopFlow()
