"""A foreach inside a foreach: a small grid search over (model, depth)."""
from sfnflow import FlowSpec, step


class NestedForeachFlow(FlowSpec):
    @step
    def start(self):
        self.models = ["tree", "forest"]
        self.next(self.per_model, foreach="models")

    @step
    def per_model(self):
        self.model = self.input
        self.depths = [1, 2, 3]
        self.next(self.fit, foreach="depths")

    @step
    def fit(self):
        self.score = len(self.model) * self.input  # tree: 4, 8, 12; forest: 6, 12, 18
        self.next(self.pick_depth)

    @step
    def pick_depth(self, inputs):
        self.best = max(i.score for i in inputs)
        self.next(self.pick_model)

    @step
    def pick_model(self, inputs):
        self.best = max(i.best for i in inputs)  # 18
        self.next(self.end)

    @step
    def end(self):
        print("best score:", self.best)


if __name__ == "__main__":
    NestedForeachFlow()
