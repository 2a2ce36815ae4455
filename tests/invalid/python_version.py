# expect: 7: flow 'PythonVersionFlow': @conda_base asks for Python 3.6.8, but sfnflow's runtime needs Python 3.10 or newer. Ask for python='3.10' or newer
# expect: 15: step 'middle': @pypi(python='3.x') is not a Python version.
# expect: 20: step 'end': @pypi asks for Python 3.7, but sfnflow's runtime needs Python 3.10 or newer.
from sfnflow import FlowSpec, conda_base, pypi, step


@conda_base(python="3.6.8", libraries={"pandas": "0.23.4"})
class PythonVersionFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.middle)

    @pypi(python="3.x")
    @step
    def middle(self):
        self.next(self.end)

    @pypi(python="3.7")
    @step
    def end(self):
        pass
