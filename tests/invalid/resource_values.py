# expect: 10: step 'start': @resources(memory=0): memory must be more than 0.
# expect: 10: step 'start': @resources(gpu=-1): gpu must be a whole number
# expect: 15: step 'train': @batch(cpu='4'): cpu must be a number.
from sfnflow import FlowSpec, batch, resources, step


class ResourceValuesFlow(FlowSpec):
    @resources(memory=0, gpu=-1)
    @step
    def start(self):
        self.next(self.train)

    @batch(cpu="4")
    @step
    def train(self):
        self.next(self.end)

    @step
    def end(self):
        pass
