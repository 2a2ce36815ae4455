"""Small HTML previews of artifact values: numbers, strings, containers, DataFrame heads, arrays.

Duck-typed (pandas and numpy are not imported here): a value with `head` and `to_html` is
a frame, one with `shape` and `dtype` an array.
"""
from __future__ import annotations

from html import escape
from typing import Any

TEXT_CHARS = 300
ITEMS = 6


def preview(value: Any) -> str:
    if value is None or isinstance(value, (bool, int, float, complex)):
        return f"<code>{escape(repr(value))}</code>"
    if isinstance(value, str):
        more = f" … ({len(value):,} characters)" if len(value) > TEXT_CHARS else ""
        return f"<code>{escape(value[:TEXT_CHARS])}</code>{more}"
    if hasattr(value, "head") and hasattr(value, "to_html"):
        shape = getattr(value, "shape", None)
        table = value.head(5).to_html(border=0, classes="frame", max_cols=12)
        return f"<div class='kind'>{type(value).__name__} {escape(str(shape))}</div>{table}"
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        flat = value.reshape(-1)[:ITEMS] if hasattr(value, "reshape") else []
        return (f"<div class='kind'>{type(value).__name__} shape {escape(str(value.shape))} "
                f"{escape(str(value.dtype))}</div><code>{escape(', '.join(map(repr, list(flat))))}"
                f"{' …' if getattr(value, 'size', 0) > ITEMS else ''}</code>")
    if isinstance(value, dict):
        items = list(value.items())[:ITEMS]
        body = ", ".join(f"{_short(k)}: {_short(v)}" for k, v in items)
        return _container("dict", len(value), "{" + body + ("…" if len(value) > ITEMS else "") + "}")
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)[:ITEMS]
        body = ", ".join(_short(v) for v in items)
        return _container(type(value).__name__, len(value), f"[{body}{'…' if len(value) > ITEMS else ''}]")
    return f"<div class='kind'>{escape(type(value).__module__)}.{escape(type(value).__name__)}</div>" \
           f"<code>{escape(_short(value, 200))}</code>"


def _container(kind: str, n: int, body: str) -> str:
    return f"<div class='kind'>{kind} of {n:,}</div><code>{escape(body)}</code>"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
