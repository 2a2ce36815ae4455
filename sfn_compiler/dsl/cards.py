"""`current.card`: the components a step adds to its @card, held until the task ends.

    current.card.append(Markdown("# Results"))       # the step's card (the one without an id)
    current.card["plots"].append(Image(png_bytes))   # the card declared @card(id="plots")

Only collects: the task runtime (runtime/cards.py) saves what was collected with the
task, and sfnflow.cards draws it. Components are sfnflow.cards objects (anything with
`to_dict()`); a plain string is kept as text.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

__all__ = ["CardCollector", "CardComponents"]


class CardComponents:
    """The components of one card, in the order they were added."""

    def __init__(self) -> None:
        self.components: list[Any] = []

    def append(self, component: Any, id: str | None = None) -> None:  # noqa: A002 - Metaflow's name
        self.components.append(component)

    def extend(self, components: Iterable[Any]) -> None:
        self.components.extend(components)

    def clear(self) -> None:
        self.components.clear()

    def refresh(self, *args: Any, **kwargs: Any) -> None:
        """Metaflow redraws a live card here; sfnflow draws cards when the task has ended."""

    def __iter__(self) -> Iterator[Any]:
        return iter(self.components)

    def __len__(self) -> int:
        return len(self.components)


class CardCollector(CardComponents):
    """`current.card`: the default card's components, and `current.card[id]` for the others."""

    def __init__(self) -> None:
        super().__init__()
        self._by_id: dict[str, CardComponents] = {}

    def __getitem__(self, card_id: str) -> CardComponents:
        return self._by_id.setdefault(str(card_id), CardComponents())

    def __setitem__(self, card_id: str, components: Iterable[Any]) -> None:
        self[card_id].components = list(components)

    def by_id(self) -> dict[str | None, list[Any]]:
        """Every card's components: None for the default card, then each id."""
        cards: dict[str | None, list[Any]] = {None: list(self.components)}
        cards.update({k: list(v.components) for k, v in self._by_id.items()})
        return cards
