# expect: 17: step 'body': is inside the loop that starts at 'head', but 'start' also lead here from outside it
from sfnflow import FlowSpec, step


class LoopEntryFlow(FlowSpec):
    @step
    def start(self):
        self.go = "head"
        self.next({"head": self.head, "body": self.body}, condition="go")

    @step
    def head(self):
        self.n = 0
        self.next(self.body)

    @step
    def body(self):
        self.n = getattr(self, "n", 0) + 1
        self.again = self.n < 3
        self.next({True: self.head, False: self.end}, condition="again")

    @step
    def end(self):
        pass
