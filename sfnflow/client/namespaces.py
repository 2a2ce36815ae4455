"""Namespaces, as Metaflow has them: the client shows the runs of one namespace.

The default namespace is `user:<you>` (see sfn_compiler.identity), so `Flow(...).runs()`
lists your runs; `namespace(None)` shows everyone's; any tag works as a namespace
(`namespace("team:search")`). A run recorded before sfnflow tagged runs with their user
has no `user:` tag; it shows in every namespace rather than vanishing.
"""
from __future__ import annotations

from typing import Iterable

from sfn_compiler.identity import user_namespace

_UNSET = object()
_current: object = _UNSET


def namespace(ns: str | None) -> str | None:
    """Switch the client to namespace `ns` (None: all runs); returns it, as Metaflow does."""
    global _current
    _current = ns
    return ns


def get_namespace() -> str | None:
    return user_namespace() if _current is _UNSET else _current  # type: ignore[return-value]


def default_namespace() -> str | None:
    """Back to `user:<you>`; returns it."""
    global _current
    _current = _UNSET
    return get_namespace()


def in_namespace(tags: Iterable[str], ns: str | None = _UNSET) -> bool:  # type: ignore[assignment]
    ns = get_namespace() if ns is _UNSET else ns
    if ns is None:
        return True
    tags = set(tags)
    return ns in tags or (ns.startswith("user:") and not any(t.startswith("user:") for t in tags))
