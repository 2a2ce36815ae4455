# expect: 21: step 'b': goes back to 'start2' from inside a split or foreach that started after 'start2'
from sfnflow import FlowSpec, step


class LoopCrossesSplitFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.start2)

    @step
    def start2(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.next(self.join)

    @step
    def b(self):
        self.again = False
        self.next({True: self.start2, False: self.join}, condition="again")

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
