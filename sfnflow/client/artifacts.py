"""A task's artifacts and facts as objects: `task.data.x` (DataView), `task["x"]`
(DataArtifact), `task.metadata` (MetadataEntry), and what a reader is told when a value
cannot be loaded here (a damaged or missing blob, a class that cannot be imported)."""
from __future__ import annotations

import os
from typing import Any

from sfn_compiler.diagnostics import SfnflowError

from .stores import get_stores

__all__ = ["ArtifactUnreadable", "DataArtifact", "DataView", "MetadataEntry"]


class MetadataEntry:
    """One fact of `Task.metadata`: name, value, type and the task it belongs to."""

    def __init__(self, name: str, value: Any, task: Any) -> None:
        self.name, self.value, self.type, self.task = name, value, name, task
        self.created_at = task.created_at

    def __repr__(self) -> str:
        return f"Metadata(name={self.name!r}, value={self.value!r})"


class DataArtifact:
    """One artifact of one task: `task["best"].data`."""

    def __init__(self, task: Any, name: str, sha: str) -> None:
        self.id, self.sha, self._task = name, sha, task
        self.pathspec = f"{task.pathspec}/{name}"
        self.path_components = self.pathspec.split("/")

    @property
    def data(self) -> Any:
        return getattr(self._task.data, self.id)

    created_at = property(lambda self: self._task.finished_at)
    finished_at = property(lambda self: self._task.finished_at)

    def __repr__(self) -> str:
        return f"DataArtifact('{self.pathspec}')"


class DataView:
    """`task.data.x`: artifacts loaded on first access, then kept."""

    def __init__(self, flow: str, shas: dict[str, str], owner: str, stores: Any = None) -> None:
        self._flow, self._shas, self._owner, self._loaded = flow, dict(shas), owner, {}
        self._stores = stores if stores is not None else get_stores(flow)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._shas:
            raise AttributeError(f"{self._owner} has no artifact '{name}' (it has: {', '.join(sorted(self._shas))})")
        if name not in self._loaded:
            self._loaded[name] = _load(self._stores, self._flow, self._shas[name], name, self._owner)
        return self._loaded[name]

    def __contains__(self, name: str) -> bool:
        return name in self._shas

    def __dir__(self) -> list[str]:
        return sorted(self._shas)

    def __repr__(self) -> str:
        return f"<data of {self._owner}: {', '.join(sorted(self._shas))}>"


class ArtifactUnreadable(SfnflowError):
    """An artifact's blob is missing or damaged, or its class cannot be imported here."""


def _load(stores: Any, flow: str, sha: str, name: str, owner: str) -> Any:
    from runtime.stores.artifacts import ArtifactDamaged, ArtifactLoadError, ArtifactMissing

    try:
        return stores.artifacts.load(flow, sha, name)
    except (ArtifactMissing, ArtifactDamaged) as exc:
        run_id, step = owner.split("/")[1:3]
        raise ArtifactUnreadable(f"artifact '{name}' of {owner} cannot be read: {exc}. Rerun the step that made it "
                                 f"(sfnflow resume {run_id} --from {step}); a rerun stores it afresh.") from None
    except ArtifactLoadError as exc:
        cause = exc.__cause__
        if not isinstance(cause, ModuleNotFoundError):
            raise
        module = cause.name or str(cause)
        record = stores.metadata.get_run(flow, owner.split("/")[1])
        folder = os.path.dirname(record.flow_file) if record is not None and record.flow_file else None
        where = f" ({folder})" if folder else ""
        raise ArtifactLoadError(
            f"artifact '{name}' of {owner} holds an object whose class lives in module '{module}', which "
            f"Python cannot import here ({cause}). A class defined in the flow file is stored by reference "
            f"to that file: read it from the flow's folder{where}, or add that folder to sys.path first.") from None
