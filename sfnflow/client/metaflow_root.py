"""The client's top level, as Metaflow's: `Metaflow().flows`, `get_metadata()`, `metadata(...)`."""
from __future__ import annotations

from typing import Iterator

from sfn_compiler.exceptions import MetaflowNotFound

from .objects import Flow
from .stores import get_stores

__all__ = ["Metaflow", "get_metadata", "metadata"]


class Metaflow:
    """Every flow in the store being read: `Metaflow().flows`."""

    @property
    def flows(self) -> list["Flow"]:
        return [Flow(name, _check=False) for name in sorted(get_stores().metadata.list_flows())]

    def __iter__(self) -> Iterator["Flow"]:
        return iter(self.flows)

    def __repr__(self) -> str:
        return "Metaflow()"


def get_metadata() -> str:
    """Where the client reads metadata from, as Metaflow spells it: `local@<folder>` or `dynamodb@...`."""
    root = get_stores().root
    return f"dynamodb@{root}" if root.startswith("s3://") else f"local@{root}"


def metadata(ms: str) -> str:
    """Point the client at a local store (`local@/path` or a path); returns get_metadata()."""
    from .stores import set_root

    kind, _, where = ms.partition("@") if "@" in ms else ("local", "", ms)
    if kind != "local":
        raise MetaflowNotFound(f"metadata({ms!r}): sfnflow reads a deployed flow's datastore with "
                               "use_cloud(bucket, table) or SFNFLOW_DATASTORE=s3; metadata() takes local@/path.")
    set_root(where)
    return get_metadata()
