"""The decorator experiment with one branch on AWS Batch (`give_something`); the rest is
decorator_experiment.py. Locally every step runs in a worker process; deployed, that
branch is a Batch job in the same environment (built once and cached in S3).

    sfnflow run examples/decorator_experiment/decorator_experiment_batch.py

`@conda_base` pins Python 3.12 and pandas 2.2.3 for the whole flow; `check_version` asks
for Python 3.11 and pandas 2.1.4 with `@conda`, and its log shows them. sfnflow resolves
conda's `libraries=` from PyPI (versions that Lambda's Python runtimes can also run), so
the same environments deploy. Each step records what it ran with in `self.ran_with`.
"""
import random
import string

from versions import show, versions

from sfnflow import FlowSpec, Parameter, batch, conda, conda_base, step


@conda_base(python="3.12", libraries={"pandas": "2.2.3"})
class DecoratorExperimentBatchFlow(FlowSpec):
    seed = Parameter("seed", default=0, help="seed for the branches' random picks (0: a new one each run)")

    @step
    def start(self):
        self.ran_with = versions()
        show("start", self.ran_with)
        self.next(self.check_version)

    @conda(python="3.11", libraries={"pandas": "2.1.4"})
    @step
    def check_version(self):
        self.ran_with = versions()
        show("check_version", self.ran_with)
        self.next(self.give_number, self.give_letter, self.give_something)

    @step
    def give_number(self):
        self.given = random.Random(self.seed or None).randint(1, 100)
        self.next(self.recap)

    @step
    def give_letter(self):
        self.given = random.Random(self.seed or None).choice(string.ascii_lowercase)
        self.next(self.recap)

    @batch(cpu=1, memory=2048)  # the one difference: this branch is an AWS Batch job
    @step
    def give_something(self):
        pick = random.Random(self.seed or None)
        self.given = pick.choice([pick.randint(1, 100), pick.choice(string.ascii_lowercase)])
        self.next(self.recap)

    @step
    def recap(self, inputs):
        self.recap_of = {"number": inputs.give_number.given, "letter": inputs.give_letter.given,
                         "something": inputs.give_something.given}
        for what, value in self.recap_of.items():
            print(f"give_{what} gave {value!r}")
        self.next(self.end)

    @step
    def end(self):
        self.ran_with = versions()
        show("end", self.ran_with)


if __name__ == "__main__":
    DecoratorExperimentBatchFlow()
