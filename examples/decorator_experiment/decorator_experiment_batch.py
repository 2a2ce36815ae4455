"""The decorator experiment with one branch on AWS Batch: `give_something` is a Batch job
(in the flow's environment, built once and cached in S3); everything else is inherited
from decorator_experiment.py. Locally every step runs in a worker process.

    sfnflow run examples/decorator_experiment/decorator_experiment_batch.py
    sfnflow show examples/decorator_experiment/decorator_experiment_batch.py   # give_something: batch
"""
from decorator_experiment import DecoratorExperimentFlow
from versions import something

from sfnflow import batch, step


class DecoratorExperimentBatchFlow(DecoratorExperimentFlow):
    @batch(cpu=1, memory=2048)
    @step
    def give_something(self):
        self.given = something(self.seed)
        self.next(self.recap)


if __name__ == "__main__":
    DecoratorExperimentBatchFlow()
