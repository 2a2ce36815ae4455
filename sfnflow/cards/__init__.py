"""Cards, as Metaflow has them: `@card` on a step, `current.card.append(...)` in it, and the
components `from sfnflow.cards import Markdown, Table, Image, VegaChart, Artifact, ProgressBar`.

A task's components are saved with the task when it ends (runtime/cards.py); `sfnflow
report RUN` shows each step's card, `sfnflow card get RUN/STEP[/TASK]` writes one as a
page, and `get_cards(task)` gives them in Python (`card.html`, shown inline in Jupyter).
"""
from __future__ import annotations

from typing import Any

from .components import Artifact, Image, Markdown, ProgressBar, Table, VegaChart

__all__ = ["Artifact", "Card", "Image", "Markdown", "ProgressBar", "Table", "VegaChart", "get_cards"]


class Card:
    """One saved card of one task."""

    def __init__(self, task: Any, data: dict[str, Any]) -> None:
        self.task, self._data = task, data
        self.type, self.id = data.get("type", "default"), data.get("id")
        self.components = list(data.get("components", []))

    def fragment(self, artifacts_html: dict[str, str] | None = None) -> str:
        from .render import render_card

        return render_card(self._data, artifacts_html)

    @property
    def html(self) -> str:
        """The card as a page of its own."""
        from .render import card_page

        return card_page(f"{self.task.pathspec} card", [self.fragment(_artifact_previews(self.task))])

    def get(self) -> str:
        return self.html

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"Card({self.task.pathspec!r}, type={self.type!r}, id={self.id!r})"


def get_cards(task: Any, id: str | None = None, type: str | None = None) -> list[Card]:  # noqa: A002
    """The cards a task saved (a client Task, or its pathspec 'Flow/run/step/task')."""
    from runtime.cards import cards_key

    from ..client import Task

    if isinstance(task, str):
        task = Task(task)
    try:
        saved = task._st.artifacts.get_json(cards_key(task.flow_name, task.run_id, task.step_name, task.id))
    except KeyError:
        return []
    cards = [Card(task, c) for c in saved.get("cards", [])]
    return [c for c in cards if (id is None or c.id == id) and (type is None or c.type == type)]


def _artifact_previews(task: Any) -> dict[str, str]:
    from ..report.previews import preview

    shown: dict[str, str] = {}
    for name in task.artifacts[:50]:
        try:
            shown[name] = preview(getattr(task.data, name))
        except Exception as exc:  # a value whose class is not importable here
            shown[name] = f"<span class='kind'>not readable here: {type(exc).__name__}</span>"
    return shown
