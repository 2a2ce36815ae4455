"""Artifact values <-> stored bytes: cloudpickle, then zlib at a fast level.

The sha that names a value is sha256 of its *pickled* bytes (before compression), so
the runtime can tell whether a value read from a parent changed in place by pickling it
again and comparing shas, without compressing or writing anything.

Stored blob = one format byte + payload:
    b"z" zlib-compressed pickle (level 1: artifacts are written on the task's critical path)
    b"p" raw pickle (tiny values, where compression only costs time)
"""
from __future__ import annotations

import hashlib
import pickle
import zlib
from typing import Any

__all__ = ["deserialize", "pickle_value", "serialize", "sha_of", "pack"]

_ZLIB = b"z"
_RAW = b"p"
_COMPRESS_LEVEL = 1
_COMPRESS_MIN = 256  # below this many pickled bytes, zlib rarely pays for itself


def pickle_value(value: Any) -> bytes:
    """Pickle with cloudpickle (imported lazily: readers never need it)."""
    import cloudpickle

    return cloudpickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def sha_of(pickled: bytes) -> str:
    return hashlib.sha256(pickled).hexdigest()


def pack(pickled: bytes) -> bytes:
    """The stored form of pickled bytes."""
    if len(pickled) < _COMPRESS_MIN:
        return _RAW + pickled
    return _ZLIB + zlib.compress(pickled, _COMPRESS_LEVEL)


def serialize(value: Any) -> tuple[str, bytes]:
    """(sha, stored bytes) of a value."""
    pickled = pickle_value(value)
    return sha_of(pickled), pack(pickled)


def deserialize(blob: bytes) -> Any:
    # Plain pickle loads cloudpickle output (cloudpickle registers what it needs on import
    # of the pickled by-value objects), so reading an artifact need not import cloudpickle.
    kind, payload = blob[:1], blob[1:]
    if kind == _ZLIB:
        return pickle.loads(zlib.decompress(payload))
    if kind == _RAW:
        return pickle.loads(payload)
    raise ValueError(f"unknown artifact format byte {kind!r}")
