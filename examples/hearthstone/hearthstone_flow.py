"""Name the archetype of Hearthstone decks published without one.

    sfnflow run examples/hearthstone/hearthstone_flow.py --trials 6

start        load decks.csv, clean it, split train / test / score (the "Unknown" decks)
rank         the most published archetypes of the training set
top_cards    foreach archetype: its `topcards` most played cards
features     join: the union of those cards is the feature list (merge_artifacts)
prepare      a three-way branch: train_set / test_set / score_set build the arrays
             (hs_features.py, beside this file)
arrays       join: the arrays side by side
search       the hyper-parameter combinations to try
fit          foreach combination: a random forest, scored on the test set
best         join: the most accurate model, its parameters, and the unknown decks scored
end          prints the result
"""
import random
from pathlib import Path

import pandas as pd

import hs_features
from sfnflow import FlowSpec, Parameter, step

DECKS = Path(__file__).with_name("decks.csv")
GRID = {"n_estimators": [10, 30, 60, 100], "criterion": ["gini", "entropy"], "max_depth": [None, 6, 12, 20]}


class HearthstoneFlow(FlowSpec):
    topcards = Parameter("topcards", default=12, help="how many top cards per archetype become features")
    archetypes = Parameter("archetypes", default=18, help="how many of the most published archetypes to learn")
    trials = Parameter("trials", default=6, help="random-forest hyper-parameter combinations to try")
    seed = Parameter("seed", default=7, help="seed for the split and the search")

    @step
    def start(self):
        decks = hs_features.clean(pd.read_csv(DECKS))
        known = decks[decks["deck_archetype"] != "Unknown"]
        self.score = decks[decks["deck_archetype"] == "Unknown"].reset_index(drop=True)
        test = known.sample(frac=0.25, random_state=self.seed)
        self.train = known.drop(test.index).reset_index(drop=True)
        self.test = test.reset_index(drop=True)
        print(f"{len(decks)} clean decks: {len(self.train)} train, {len(self.test)} test, "
              f"{len(self.score)} unknown to score")
        self.next(self.rank)

    @step
    def rank(self):
        counts = self.train["deck_archetype"].value_counts()
        self.ranking = counts.to_dict()
        self.top_archetypes = list(counts.index[: self.archetypes])
        self.next(self.top_cards, foreach="top_archetypes")

    @step
    def top_cards(self):
        self.archetype = self.input
        decks = self.train[self.train["deck_archetype"] == self.archetype]
        self.cards = hs_features.top_cards(decks, self.topcards)
        self.next(self.features)

    @step
    def features(self, inputs):
        self.cards_by_archetype = {i.archetype: i.cards for i in inputs}
        self.feature_cards = sorted({card for i in inputs for card in i.cards})
        # Everything the foreach did not change (train, test, score, ...) comes along.
        self.merge_artifacts(inputs, exclude=["archetype", "cards"])
        print(f"{len(self.feature_cards)} feature cards from {len(inputs)} archetypes")
        self.next(self.prepare)

    @step
    def prepare(self):
        self.next(self.train_set, self.test_set, self.score_set)

    @step
    def train_set(self):
        self.x_train = hs_features.to_matrix(self.train, self.feature_cards)
        self.y_train = self.train["deck_archetype"].to_numpy()
        self.next(self.arrays)

    @step
    def test_set(self):
        self.x_test = hs_features.to_matrix(self.test, self.feature_cards)
        self.y_test = self.test["deck_archetype"].to_numpy()
        self.next(self.arrays)

    @step
    def score_set(self):
        self.x_score = hs_features.to_matrix(self.score, self.feature_cards)
        self.next(self.arrays)

    @step
    def arrays(self, inputs):
        self.x_train, self.y_train = inputs.train_set.x_train, inputs.train_set.y_train
        self.x_test, self.y_test = inputs.test_set.x_test, inputs.test_set.y_test
        self.x_score, self.score = inputs.score_set.x_score, inputs.score_set.score
        self.train = inputs.train_set.train
        # Reading a DataFrame can reorganise it in memory (pandas consolidates its blocks),
        # so each branch holds its own copy of the frames it read: take those by name and
        # merge only what every branch left as it was.
        self.merge_artifacts(inputs, include=["feature_cards"])
        self.next(self.search)

    @step
    def search(self):
        rng = random.Random(self.seed)
        combos = [{"n_estimators": n, "criterion": c, "max_depth": d}
                  for n in GRID["n_estimators"] for c in GRID["criterion"] for d in GRID["max_depth"]]
        self.grid = rng.sample(combos, min(self.trials, len(combos)))
        self.next(self.fit, foreach="grid")

    @step
    def fit(self):
        from sklearn.ensemble import RandomForestClassifier

        self.params = self.input
        model = RandomForestClassifier(random_state=self.seed, n_jobs=1, **self.params)
        model.fit(self.x_train, self.y_train)
        self.accuracy = float((model.predict(self.x_test) == self.y_test).mean())
        self.model = model
        print(f"{self.params} -> accuracy {self.accuracy:.3f}")
        self.next(self.best)

    @step
    def best(self, inputs):
        winner = max(inputs, key=lambda i: (i.accuracy, -i.params["n_estimators"]))
        self.model, self.accuracy, self.params = winner.model, winner.accuracy, winner.params
        self.trial_accuracies = [(i.params, i.accuracy) for i in inputs]
        self.merge_artifacts(inputs, include=["score", "x_score", "y_test"])
        counts = pd.Series(self.y_test).value_counts()
        self.baseline = float(counts.iloc[0] / counts.sum())  # always answering the commonest archetype
        self.predictions = pd.DataFrame({
            "deck_id": self.score["deck_id"],
            "deck_class": self.score["deck_class"],
            "predicted_archetype": self.model.predict(self.x_score),
        })
        self.next(self.end)

    @step
    def end(self):
        print(f"best accuracy {self.accuracy:.3f} (majority baseline {self.baseline:.3f}) with {self.params}")
        print(self.predictions["predicted_archetype"].value_counts().head(5).to_string())


if __name__ == "__main__":
    HearthstoneFlow()
