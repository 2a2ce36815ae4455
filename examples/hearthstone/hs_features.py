"""Turning decks into the numbers a classifier reads: one column per feature card,
holding how many copies of it the deck plays (0, 1 or 2)."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

CARD_COLUMNS = [f"card_{i}" for i in range(30)]


def clean(decks: pd.DataFrame) -> pd.DataFrame:
    """Drop republished copies and decks that lost a card; trim stray spaces."""
    decks = decks.copy()
    decks["deck_class"] = decks["deck_class"].str.strip()
    decks = decks.drop_duplicates(subset=["deck_id"])
    decks = decks.dropna(subset=CARD_COLUMNS)
    decks["date"] = pd.to_datetime(decks["date"])
    return decks.reset_index(drop=True)


def deck_cards(deck: pd.Series) -> list[str]:
    return [deck[c] for c in CARD_COLUMNS]


def top_cards(decks: pd.DataFrame, how_many: int) -> list[str]:
    """The cards played most often across these decks, most played first (ties by name)."""
    counts: Counter[str] = Counter()
    for _, deck in decks.iterrows():
        counts.update(set(deck_cards(deck)))
    return [card for card, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:how_many]]


def to_matrix(decks: pd.DataFrame, features: list[str]) -> np.ndarray:
    """Copies of each feature card per deck (decks x features)."""
    position = {card: i for i, card in enumerate(features)}
    matrix = np.zeros((len(decks), len(features)), dtype=np.int8)
    for row, (_, deck) in enumerate(decks.iterrows()):
        for card in deck_cards(deck):
            if card in position:
                matrix[row, position[card]] += 1
    return matrix
