"""The decorator experiment: a flow-level environment, one step that overrides it, and a
three-way branch whose join reads each branch by name.

    sfnflow run examples/decorator_experiment/decorator_experiment.py [--seed 3]

`@conda_base` pins Python 3.12 and pandas 2.2.3 for the whole flow; `check_version` asks
for Python 3.11 and pandas 2.1.4 with `@conda`, and its log shows them. sfnflow resolves
conda's `libraries=` from PyPI (versions that Lambda's Python runtimes can also run), so
the same environments deploy. Each step records what it ran with in `self.ran_with`.
"""
import random
import string

from versions import show, something, versions

from sfnflow import FlowSpec, Parameter, conda, conda_base, step


@conda_base(python="3.12", libraries={"pandas": "2.2.3"})
class DecoratorExperimentFlow(FlowSpec):
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

    @step
    def give_something(self):
        self.given = something(self.seed)
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
    DecoratorExperimentFlow()
