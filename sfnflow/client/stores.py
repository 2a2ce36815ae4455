"""Which stores the client reads: local ones by default (the nearest `.sfnflow/` from the
current folder upward, or SFNFLOW_ROOT, or `set_root`). Cloud stores plug in here later."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from sfn_compiler.diagnostics import SfnflowError

_override: str | None = None
_cache: dict[str, "Stores"] = {}


@dataclass(frozen=True)
class Stores:
    root: str
    artifacts: Any  # runtime.stores.artifacts.ArtifactStore
    metadata: Any  # runtime.stores.base.MetadataStore


def set_root(path: str | None) -> None:
    """Read runs from this local root from now on (None: find it again)."""
    global _override
    _override = os.path.abspath(path) if path else None


def get_stores() -> Stores:
    root = _override or _find_root()
    if root not in _cache:
        from runtime.stores import local_stores

        artifacts, metadata = local_stores(root)
        _cache[root] = Stores(root=root, artifacts=artifacts, metadata=metadata)
    return _cache[root]


def _find_root() -> str:
    from runtime.stores.blobs import resolve_local_root

    root = resolve_local_root()
    if not os.path.isdir(root):
        raise SfnflowError(
            "no .sfnflow/ folder here or in any parent folder, so there are no local runs to read. "
            "Run a flow first (sfnflow run FLOW.py), cd to its folder, or set SFNFLOW_ROOT."
        )
    return root
