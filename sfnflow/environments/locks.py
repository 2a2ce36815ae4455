"""Locked environments: exact versions for one request on one target, and the lock file.

An environment is identified by the hash of what is in it: the Python it runs on, the
platform its wheels are for, and every locked package with its exact version. Equal
hashes share one environment everywhere (one venv, one Lambda layer, one Batch bundle).

The lock file lives in the flow's datastore root, `<root>/environments/<Flow>.lock.json`,
so that a flow resolves once and every later run, deploy and `show` reuses the same
versions until its decorators change (or the file is deleted). It maps a fingerprint of
(request, target) to its LockEntry.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from typing import Any

__all__ = ["LockEntry", "LockFile", "Target", "environment_hash", "fingerprint"]

LOCK_FORMAT = 1


@dataclass(frozen=True)
class Target:
    """Where an environment runs: this machine, or a cloud platform."""

    name: str  # "local" | "lambda" | "batch"
    python: str  # local: the exact interpreter version ("3.12.1"); cloud: the runtime minor ("3.12")
    platform: str  # local: "linux-x86_64"; cloud: uv's --python-platform, e.g. "x86_64-manylinux_2_28"
    runtime_requirements: tuple[str, ...]  # what sfnflow's runtime needs there (cloudpickle, boto3)

    @property
    def cloud(self) -> bool:
        return self.name != "local"


@dataclass(frozen=True)
class LockEntry:
    requirements: tuple[str, ...]  # what was asked (user's and the runtime's), as requirement lines
    python: str
    platform: str
    packages: tuple[tuple[str, str], ...]  # (name, exact version), sorted by name
    hash: str

    @property
    def pins(self) -> tuple[str, ...]:
        return tuple(f"{name}=={version}" for name, version in self.packages)

    def version_of(self, name: str) -> str | None:
        return dict(self.packages).get(name)

    def to_json(self) -> dict[str, Any]:
        return {"requirements": list(self.requirements), "python": self.python, "platform": self.platform,
                "packages": dict(self.packages), "hash": self.hash}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "LockEntry":
        packages = tuple(sorted((str(k), str(v)) for k, v in dict(raw["packages"]).items()))
        entry = cls(tuple(raw["requirements"]), str(raw["python"]), str(raw["platform"]), packages, str(raw["hash"]))
        if environment_hash(entry.python, entry.platform, entry.packages) != entry.hash:
            raise ValueError("hash does not match its packages")
        return entry


def environment_hash(python: str, platform: str, packages: tuple[tuple[str, str], ...]) -> str:
    doc = json.dumps({"python": python, "platform": platform, "packages": sorted(packages)}, separators=(",", ":"))
    return hashlib.sha256(doc.encode()).hexdigest()[:24]


def fingerprint(requirements: tuple[str, ...], target: Target) -> str:
    """What identifies a resolution before it is done: the asked-for lines and the target."""
    doc = json.dumps({"requirements": sorted(requirements), "python": target.python, "platform": target.platform},
                     separators=(",", ":"))
    return hashlib.sha256(doc.encode()).hexdigest()[:24]


class LockFile:
    """The flow's lock file: read once, entries added, written back atomically."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.entries: dict[str, LockEntry] = {}
        self.changed = False
        try:
            with open(path, encoding="utf-8") as fh:
                raw = json.load(fh)
            if raw.get("format") == LOCK_FORMAT:
                for key, value in dict(raw.get("entries") or {}).items():
                    try:
                        self.entries[key] = LockEntry.from_json(value)
                    except (KeyError, TypeError, ValueError):
                        self.changed = True  # a damaged entry is resolved again and rewritten
        except FileNotFoundError:
            pass
        except (OSError, ValueError):
            self.changed = True  # unreadable: start over (it is only a cache of resolutions)

    @staticmethod
    def for_flow(root: str, flow_name: str) -> "LockFile":
        return LockFile(os.path.join(root, "environments", f"{flow_name}.lock.json"))

    def get(self, key: str) -> LockEntry | None:
        return self.entries.get(key)

    def put(self, key: str, entry: LockEntry) -> None:
        if self.entries.get(key) != entry:
            self.entries[key] = entry
            self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        doc = {"format": LOCK_FORMAT, "entries": {k: e.to_json() for k, e in sorted(self.entries.items())}}
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(self.path), prefix=".lock-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, self.path)
        self.changed = False
