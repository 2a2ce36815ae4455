"""Artifact values <-> stored bytes: cloudpickle, then zlib at a fast level.

The sha that names a value is sha256 of its *pickled* bytes (before compression), so
the runtime can tell whether a value read from a parent changed in place by pickling it
again and comparing shas, without compressing or writing anything.

Stored blob = one format byte + payload:
    b"z" zlib-compressed pickle (level 1: artifacts are written on the task's critical path)
    b"p" raw pickle (tiny values, where compression only costs time)
    b"v" + b"3.12\n" + one of the above: a pickle bound to the Python minor that wrote it

What crosses Python versions (step environments, a notebook reading a cloud run):
plain data (numbers, strings, lists, dicts, sets, tuples, dates, bytes) always loads;
objects of classes that are importable by name (the flow file's own classes, a library's)
load where the class can be imported, and a library's objects are only as portable as
that library promises (pandas reads pickles of older pandas, not of newer); functions,
lambdas and classes with methods defined where they cannot be imported by name
(pickled *by value* by cloudpickle) hold Python bytecode, which is specific to the
Python minor version that wrote it. Those blobs are marked b"v" with the writer's
version, and reading one on another minor raises ArtifactNotPortable instead of failing
somewhere inside pickle.
"""
from __future__ import annotations

import hashlib
import pickle
import pickletools
import sys
import zlib
from typing import Any

__all__ = ["ArtifactNotPortable", "PYTHON_MINOR", "deserialize", "pickle_value", "serialize", "sha_of", "pack"]

_ZLIB = b"z"
_RAW = b"p"
_BOUND = b"v"
PYTHON_MINOR = f"{sys.version_info[0]}.{sys.version_info[1]}"


class ArtifactNotPortable(Exception):
    """A blob holding bytecode of one Python minor, read on another."""

    def __init__(self, written_on: str, read_on: str = PYTHON_MINOR) -> None:
        super().__init__(f"it holds code pickled by value on Python {written_on}, which Python {read_on} cannot load")
        self.written_on, self.read_on = written_on, read_on
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
        stored = _RAW + pickled
    else:
        stored = _ZLIB + zlib.compress(pickled, _COMPRESS_LEVEL)
    if holds_bytecode(pickled):
        return _BOUND + PYTHON_MINOR.encode() + b"\n" + stored
    return stored


def holds_bytecode(pickled: bytes) -> bool:
    """Does the pickle rebuild a code object (cloudpickle's by-value functions and methods)?

    A substring test first (memchr-fast, false for nearly every artifact); only a pickle
    naming both markers is walked opcode by opcode, so a string value that merely contains
    them does not count.
    """
    if b"cloudpickle.cloudpickle" not in pickled or b"CodeType" not in pickled:
        return False
    previous = None
    for opcode, arg, _pos in pickletools.genops(pickled):
        if isinstance(arg, str):
            if arg == "CodeType" and previous == "_builtin_type":
                return True
            previous = arg
    return False


def serialize(value: Any) -> tuple[str, bytes]:
    """(sha, stored bytes) of a value."""
    pickled = pickle_value(value)
    return sha_of(pickled), pack(pickled)


def deserialize(blob: bytes) -> Any:
    # Plain pickle loads cloudpickle output (cloudpickle registers what it needs on import
    # of the pickled by-value objects), so reading an artifact need not import cloudpickle.
    kind, payload = blob[:1], blob[1:]
    if kind == _BOUND:
        written_on, _, rest = payload.partition(b"\n")
        if written_on.decode() != PYTHON_MINOR:
            raise ArtifactNotPortable(written_on.decode())
        kind, payload = rest[:1], rest[1:]
    if kind == _ZLIB:
        return pickle.loads(zlib.decompress(payload))
    if kind == _RAW:
        return pickle.loads(payload)
    raise ValueError(f"unknown artifact format byte {kind!r}")
