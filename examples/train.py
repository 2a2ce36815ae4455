"""The DESIGN.md flow: a nightly grid of GPU training jobs on Batch, best score kept."""
from sfnflow import FlowSpec, Parameter, batch, retry, schedule, step


@schedule(cron="0 3 * * ? *")
class TrainFlow(FlowSpec):
    alpha = Parameter("alpha", default=0.1, help="learning rate")

    @step
    def start(self):
        self.grid = [1, 2, 3]
        self.next(self.train, foreach="grid")

    @batch(cpu=4, memory=16384, gpu=1)
    @retry(times=2)
    @step
    def train(self):
        self.score = self.input * self.alpha
        self.next(self.join)

    @step
    def join(self, inputs):
        self.best = max(i.score for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        print(self.best)


if __name__ == "__main__":
    TrainFlow()  # python train.py run --alpha 0.2  (Metaflow's habit)
