from sfnflow import FlowSpec, Parameter, step
from sfnflow.exception import MetaflowException, MissingInMergeArtifactsException, UnhandledInMergeArtifactsException


class MergeErrorsFlow(FlowSpec):
    @step
    def start(self):
        self.same = 1
        self.next(self.a, self.b)

    @step
    def a(self):
        self.x = "a"
        self.next(self.join)

    @step
    def b(self):
        self.x = "b"
        self.next(self.join)

    @step
    def join(self, inputs):
        outcomes = []
        try:
            self.merge_artifacts(inputs)
        except UnhandledInMergeArtifactsException as exc:
            outcomes.append(("conflict", sorted(exc.artifact_names)))
        try:
            self.merge_artifacts(inputs, include=["nope"])
        except MissingInMergeArtifactsException as exc:
            outcomes.append(("missing", sorted(exc.artifact_names)))
        try:
            self.merge_artifacts(inputs, include=["same"], exclude=["x"])
        except MetaflowException as exc:
            outcomes.append(("both", type(exc).__name__))
        self.outcomes = outcomes
        self.merged_same = hasattr(self, "same")
        self.merge_artifacts(inputs, exclude=["x"])
        self.next(self.end)

    @step
    def end(self):
        print(self.outcomes, self.same)


if __name__ == "__main__":
    MergeErrorsFlow()
