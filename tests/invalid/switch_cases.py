# expect: 9: step 'start': the switch has the case 1 twice (equal to True)
from sfnflow import FlowSpec, step


class SwitchCasesFlow(FlowSpec):
    @step
    def start(self):
        self.flag = True
        self.next({True: self.a, 1: self.end}, condition="flag")

    @step
    def a(self):
        self.next(self.end)

    @step
    def end(self):
        pass
