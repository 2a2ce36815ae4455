"""Saving a task's @card components with the task: `<flow>/<run>/<step>/<task>/cards.json`.

Called by runtime/task.py once the step function has returned or raised (a failed task's
card shows what it had added). Components serialise themselves (`to_dict()`, see
sfnflow/cards); a plain value is kept as text. Saving a card never fails the task: what
goes wrong is said on the step's stderr instead.
"""
from __future__ import annotations

import sys
from typing import Any

__all__ = ["CARDS_FILE", "cards_key", "save_cards"]

CARDS_FILE = "cards.json"
_HTML_CHARS = 5_000_000  # an `html` card larger than this is cut (the report must stay openable)


def cards_key(flow: str, run: str, step: str, task: str) -> str:
    return f"{flow}/{run}/{step}/{task}/{CARDS_FILE}"


def save_cards(store: Any, flow: str, run: str, task: str, node: Any, collector: Any, obj: Any,
               attempt: int) -> None:
    specs = [d for d in node.decorators if d.kind == "card"]
    added = collector.by_id()
    if not specs:
        if any(added.values()):
            print(f"sfnflow: step '{node.name}' added components to current.card but has no @card, so they "
                  "are not kept. Add @card above @step.", file=sys.stderr)
        return
    try:
        cards = [_card(spec, added.get(spec.id, []), obj) for spec in specs]
        declared = {spec.id for spec in specs}
        lost = sorted(str(k) for k, v in added.items() if v and k not in declared)
        if lost:
            print(f"sfnflow: step '{node.name}': current.card[{lost[0]!r}] has no @card(id={lost[0]!r}); "
                  "those components are not kept.", file=sys.stderr)
        store.put_json(cards_key(flow, run, node.name, task), {"attempt": attempt, "cards": cards})
    except Exception as exc:  # a component that cannot be saved must not cost the task its result
        print(f"sfnflow: the card of step '{node.name}' could not be saved: {type(exc).__name__}: {exc}",
              file=sys.stderr)


def _card(spec: Any, components: list[Any], obj: Any) -> dict[str, Any]:
    card: dict[str, Any] = {"type": spec.type, "id": spec.id, "components": [_component(c) for c in components]}
    if spec.type == "html":
        try:
            html = getattr(obj, "html")  # set by this step, or passed on from an earlier one
        except Exception:
            html = None
        card["html"] = None if html is None else str(html)[:_HTML_CHARS]
    return card


def _component(component: Any) -> dict[str, Any]:
    to_dict = getattr(component, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    return {"type": "text", "text": str(component)}
