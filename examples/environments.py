"""Per-step environments: the flow runs on Python 3.12 with pandas 2.2.3, one step on
Python 3.11 with pandas 2.1.4, then three branches back on the flow's environment.

Each step records the Python and pandas it ran with. Artifacts that cross environments
are plain data (a list of dicts): a DataFrame pickled by one pandas is not promised to
load in an older one, so each step builds its own frame from the rows.

    sfnflow run examples/environments.py     # builds two venvs once, then reuses them
    sfnflow show examples/environments.py    # each step's environment, and the locked versions
"""
import platform

from sfnflow import FlowSpec, pypi, pypi_base, step


def ran_with():
    import pandas

    return {"python": platform.python_version(), "pandas": pandas.__version__}


@pypi_base(python="3.12", packages={"pandas": "2.2.3"})
class EnvironmentsFlow(FlowSpec):
    @step
    def start(self):
        self.ran_with = ran_with()
        self.rows = [{"x": i, "y": i * i} for i in range(10)]
        self.next(self.legacy)

    @pypi(python="3.11", packages={"pandas": "2.1.4"})
    @step
    def legacy(self):
        import pandas as pd

        self.ran_with = ran_with()
        self.total = int(pd.DataFrame(self.rows)["y"].sum())  # 285
        self.next(self.a, self.b, self.c)

    @step
    def a(self):
        import pandas as pd

        self.ran_with = ran_with()
        self.part = int(pd.DataFrame(self.rows)["x"].sum())  # 45
        self.next(self.join)

    @step
    def b(self):
        import pandas as pd

        self.ran_with = ran_with()
        self.part = int(pd.DataFrame(self.rows)["x"].max())  # 9
        self.next(self.join)

    @step
    def c(self):
        import pandas as pd

        self.ran_with = ran_with()
        self.part = len(pd.DataFrame(self.rows))  # 10
        self.next(self.join)

    @step
    def join(self, inputs):
        self.ran_with = ran_with()
        self.parts = [inputs.a.part, inputs.b.part, inputs.c.part]  # [45, 9, 10]
        self.merge_artifacts(inputs, include=["total"])
        self.next(self.end)

    @step
    def end(self):
        self.ran_with = ran_with()
        print(f"Python {self.ran_with['python']}, pandas {self.ran_with['pandas']}: "
              f"total {self.total}, parts {self.parts}")


if __name__ == "__main__":
    EnvironmentsFlow()
