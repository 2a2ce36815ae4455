"""A static branch inside each foreach iteration: two features per item, then joins."""
from sfnflow import FlowSpec, step


class BranchInForeachFlow(FlowSpec):
    @step
    def start(self):
        self.words = ["ab", "cde"]
        self.next(self.per_word, foreach="words")

    @step
    def per_word(self):
        self.word = self.input
        self.next(self.length, self.upper)

    @step
    def length(self):
        self.feature = len(self.word)
        self.next(self.combine)

    @step
    def upper(self):
        self.feature = self.word.upper()
        self.next(self.combine)

    @step
    def combine(self, inputs):
        self.summary = f"{inputs.upper.feature}:{inputs.length.feature}"
        self.next(self.collect)

    @step
    def collect(self, inputs):
        self.summaries = sorted(i.summary for i in inputs)  # ["AB:2", "CDE:3"]
        self.next(self.end)

    @step
    def end(self):
        print(self.summaries)


if __name__ == "__main__":
    BranchInForeachFlow()
