# expect: 6: flow 'PackageSpecFlow': @pypi_base package 'pandas': version 'two' is neither a version nor a specifier.
# expect: 14: step 'middle': @conda package 'not a name' is not a valid package name.
from sfnflow import FlowSpec, conda, pypi_base, step


@pypi_base(python="3.12", packages={"pandas": "two"})
class PackageSpecFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.middle)

    @conda(libraries={"not a name": "1.0", "ok-name": ">=1,<2"})
    @step
    def middle(self):
        self.next(self.end)

    @step
    def end(self):
        pass
