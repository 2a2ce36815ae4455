"""Step environments for `sfnflow show`: each as the user wrote it, and what it is locked to.

Reads the flow's lock file (locks.py) without resolving anything: `show` stays offline
and quick; an environment not resolved yet says so.
"""
from __future__ import annotations

from typing import Any

from .locks import LockEntry, LockFile

__all__ = ["environment_records", "environment_lines"]


def _locked(lock: LockFile, request: Any) -> list[LockEntry]:
    """Lock entries of this request (any target), newest Python first."""
    asked = tuple(request.requirements)
    found = [e for e in lock.entries.values()
             if e.requirements[:len(asked)] == asked
             and (request.python is None or e.python == request.python or e.python.startswith(request.python + "."))]
    return sorted(found, key=lambda e: (e.platform, e.python))


def environment_records(model: Any, root: str) -> list[dict[str, Any]]:
    lock = LockFile.for_flow(root, model.flow_name)
    records = []
    for env in getattr(model, "environments", ()):
        records.append({
            "key": env.key, "steps": list(env.steps), "written": list(env.request.sources),
            "python": env.request.python, "packages": dict(env.request.packages),
            "locked": [{"platform": e.platform, "python": e.python, "hash": e.hash, "packages": dict(e.packages)}
                       for e in _locked(lock, env.request)],
        })
    return records


def environment_lines(model: Any, root: str) -> list[str]:
    lines = []
    for record in environment_records(model, root):
        lines.append(f"{record['key']}  steps {', '.join(record['steps'])}")
        lines.append(f"  {' + '.join(record['written'])}")
        if not record["locked"]:
            lines.append("  not resolved yet: the first run (or deploy) locks exact versions")
        for locked in record["locked"]:
            pins = ", ".join(f"{n}=={v}" for n, v in sorted(locked["packages"].items()))
            lines.append(f"  locked for {locked['platform']}, Python {locked['python']}: {pins}")
    return lines
