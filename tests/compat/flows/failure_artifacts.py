from sfnflow import FlowSpec, step


class FailureArtifactsFlow(FlowSpec):
    @step
    def start(self):
        self.before = 1
        self.next(self.fail)

    @step
    def fail(self):
        self.partial = 2
        raise ValueError("boom-42")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    FailureArtifactsFlow()
