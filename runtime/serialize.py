"""Artifact values <-> stored bytes, streamed, verified, compressed only where it pays.

A value is pickled once with cloudpickle at protocol 5, with out-of-band buffers: the
pickle stream itself stays small for numpy arrays, pandas frames, bytearrays (their
data is handed over as views of the value's own memory, never copied), so a 1 GiB array
costs one hash pass and one write, not a pickle copy plus a compressed copy.

The sha that names a value covers what was pickled (the stream, then each buffer with
its length); a value without buffers keeps sha256(pickle), the name older blobs have.
The runtime compares shas to tell whether a value read from a parent changed in place,
so the sha is computed without compressing or writing anything.

Stored blob = one format byte + payload:
    b"p" raw pickle (tiny values)
    b"z" zlib-compressed pickle (written by older versions; still read)
    b"F" framed: segment count, then per segment its length and codec, then the
         segments' bodies; a zlib segment is a series of (length, chunk) records.
    b"v" + b"3.12\n" + one of the above: a pickle bound to the Python minor that wrote it
Compression is decided per segment from a sample (see _choose_codec): random floats,
ordinary numbers or already-compressed bytes are stored raw (on random floats zlib would
cost ~20x the write and save ~5 %); near-constant data is compressed.

Reading checks the sha as the bytes stream in: a damaged blob raises BlobDamaged, never
a confusing unpickling error in the user's code.

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
import io
import pickle
import pickletools
import struct
import sys
import threading
import zlib
from typing import Any, BinaryIO, Callable

__all__ = ["ArtifactNotPortable", "BlobDamaged", "PYTHON_MINOR", "Packed", "deserialize", "holds", "looks_whole",
           "pack_value", "read_value", "sha_of"]

_ZLIB = b"z"
_RAW = b"p"
_FRAMED = b"F"
_BOUND = b"v"
PYTHON_MINOR = f"{sys.version_info[0]}.{sys.version_info[1]}"
_SMALL = 256  # below this many pickled bytes (and no buffers): b"p", no framing at all
_CHUNK = 4 * 1024 * 1024  # compression / progress unit; part of the format (one zlib record per chunk)
_SAMPLE = 256 * 1024
_READ_CHUNK = 32 * 1024 * 1024  # read and hash in turns, overlapped (_OverlappedHash)
# zlib (level 1) compresses ordinary compressible data at ~250 MB/s and inflates it at ~450 MB/s,
# while a local disk takes ~400 MB/s and gives back ~1.6 GB/s from its cache: on a big segment
# compression pays only where the data nearly vanishes (zeros, constants: zlib then runs at
# ~800 MB/s). Small segments cost microseconds either way, so there saving half is enough.
_WORTH_SMALL, _WORTH_BIG, _BIG = 0.5, 0.1, 1024 * 1024
_CODEC_RAW, _CODEC_ZLIB = 0, 1
_COUNT = struct.Struct(">I")
_SEGMENT = struct.Struct(">QB")  # raw length, codec
_CHUNK_LEN = struct.Struct(">I")

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


class BlobDamaged(ValueError):
    """A stored blob does not hold what its name (sha) says: truncated, overwritten, cut."""


class ArtifactNotPortable(Exception):
    """A blob holding bytecode of one Python minor, read on another."""

    def __init__(self, written_on: str, read_on: str = PYTHON_MINOR) -> None:
        super().__init__(f"it holds code pickled by value on Python {written_on}, which Python {read_on} cannot load")
        self.written_on, self.read_on = written_on, read_on


def sha_of(pickled: bytes) -> str:
    return hashlib.sha256(pickled).hexdigest()


class Packed:
    """A value ready to store: its sha and its segments (views, no copies)."""

    __slots__ = ("sha", "segments", "size")

    def __init__(self, segments: list[memoryview]) -> None:
        self.segments = segments
        self.size = sum(s.nbytes for s in segments)
        digest = hashlib.sha256(segments[0])
        for buffer in segments[1:]:
            digest.update(struct.pack(">Q", buffer.nbytes))
            digest.update(buffer)
        self.sha = digest.hexdigest()

    def write_to(self, out: BinaryIO, progress: Progress | None = None) -> None:
        """Stream the stored form into `out`."""
        if holds_bytecode(self.segments[0]):  # by-value code lives in the stream, never in a buffer
            out.write(_BOUND + PYTHON_MINOR.encode() + b"\n")
        if len(self.segments) == 1 and self.size < _SMALL:
            out.write(_RAW)
            out.write(self.segments[0])
            return
        codecs = [_choose_codec(s) for s in self.segments]
        out.write(_FRAMED + _COUNT.pack(len(self.segments)))
        for segment, codec in zip(self.segments, codecs):
            out.write(_SEGMENT.pack(segment.nbytes, codec))
        done = 0
        for segment, codec in zip(self.segments, codecs):
            for start in range(0, segment.nbytes, _CHUNK):
                chunk = segment[start:start + _CHUNK]
                if codec == _CODEC_ZLIB:
                    packed = zlib.compress(chunk, 1)
                    out.write(_CHUNK_LEN.pack(len(packed)))
                    out.write(packed)
                else:
                    out.write(chunk)
                done += chunk.nbytes
                if progress is not None:
                    progress(done, self.size)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self.write_to(out)
        return out.getvalue()


def pack_value(value: Any) -> Packed:
    """Pickle (cloudpickle, imported lazily: readers never need it); raises what pickling raises."""
    import cloudpickle

    buffers: list[pickle.PickleBuffer] = []
    stream = cloudpickle.dumps(value, protocol=5, buffer_callback=buffers.append)
    return Packed([memoryview(stream)] + [_raw_view(b) for b in buffers])


def holds_bytecode(pickled: bytes | memoryview) -> bool:
    """Does the pickle rebuild a code object (cloudpickle's by-value functions and methods)?

    A substring test first (memchr-fast, false for nearly every artifact); only a pickle
    naming both markers is walked opcode by opcode, so a string value that merely contains
    them does not count.
    """
    data = pickled
    if isinstance(pickled, memoryview):  # search the bytes object the view is of: no copy
        whole = isinstance(pickled.obj, bytes) and len(pickled.obj) == pickled.nbytes
        data = pickled.obj if whole else pickled.tobytes()
    if b"cloudpickle.cloudpickle" not in data or b"CodeType" not in data:
        return False
    previous = None
    for _opcode, arg, _pos in pickletools.genops(data):
        if isinstance(arg, str):
            if arg == "CodeType" and previous == "_builtin_type":
                return True
            previous = arg
    return False


def _raw_view(buffer: pickle.PickleBuffer) -> memoryview:
    try:
        return buffer.raw()
    except BufferError:  # not contiguous: one copy, still out of the pickle stream
        return memoryview(bytes(buffer))


def _choose_codec(segment: memoryview) -> int:
    if segment.nbytes < _SMALL:
        return _CODEC_RAW
    # Sample the start and the middle: headers alone compress well even when the data doesn't.
    mid = segment.nbytes // 2
    sample = bytes(segment[:_SAMPLE // 2]) + bytes(segment[mid:mid + _SAMPLE // 2])
    worth = _WORTH_BIG if segment.nbytes >= _BIG else _WORTH_SMALL
    return _CODEC_ZLIB if len(zlib.compress(sample, 1)) <= worth * len(sample) else _CODEC_RAW


# -- reading ---------------------------------------------------------------------------------
def deserialize(blob: bytes, sha: str | None = None) -> Any:
    """The value stored in `blob`; BlobDamaged if `sha` is given and does not match."""
    return read_value(io.BytesIO(blob), sha)


def read_value(source: BinaryIO, sha: str | None = None) -> Any:
    segments = _read_checked(source, sha)
    return pickle.loads(segments[0], buffers=segments[1:])


def holds(blob: bytes, sha: str) -> bool:
    """The blob decodes and hashes to `sha` (no unpickling)."""
    try:
        _read_checked(io.BytesIO(blob), sha)
    except BlobDamaged:
        return False
    return True


def _read_checked(source: BinaryIO, sha: str | None) -> list[memoryview]:
    kind = source.read(1)
    if kind == _BOUND:
        written_on = source.readline(16).rstrip(b"\n").decode("ascii", "replace")
        if written_on != PYTHON_MINOR:
            raise ArtifactNotPortable(written_on)
        kind = source.read(1)
    if kind == _FRAMED:
        digest = _OverlappedHash() if sha else None
        segments = _read_framed(source, digest)
        _check(digest.hexdigest() if digest else None, sha)
        return segments
    rest = source.read()
    if kind == _RAW:
        pickled = rest
    elif kind == _ZLIB:
        try:
            pickled = zlib.decompress(rest)
        except zlib.error as exc:
            raise BlobDamaged(f"compressed data is damaged ({exc})") from None
    elif not kind:
        raise BlobDamaged("the blob is empty")
    else:
        raise BlobDamaged(f"unknown format byte {kind!r}")
    if sha:
        _check(sha_of(pickled), sha)
    return [memoryview(pickled)]


def _check(actual: str | None, expected: str | None) -> None:
    if expected and actual != expected:
        raise BlobDamaged(f"its content hashes to {str(actual)[:12]}, not to its name")


class _OverlappedHash:
    """Packed's sha, computed while the blob is still being read: each chunk is hashed in a
    thread (hashlib lets go of the GIL) while the next one is read, so checking costs little
    more than the read itself."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._pending: threading.Thread | None = None
        self._segments = 0

    def segment(self, length: int) -> None:
        if self._segments:
            self._wait()
            self._digest.update(struct.pack(">Q", length))
        self._segments += 1

    def update(self, chunk: memoryview) -> None:
        self._wait()
        if chunk.nbytes < _CHUNK:
            self._digest.update(chunk)
            return
        self._pending = threading.Thread(target=self._digest.update, args=(chunk,), daemon=True)
        self._pending.start()

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.join()
            self._pending = None

    def hexdigest(self) -> str:
        self._wait()
        return self._digest.hexdigest()


def _read_framed(source: BinaryIO, digest: _OverlappedHash | None = None) -> list[memoryview]:
    count = _COUNT.unpack(_exact(source, _COUNT.size))[0]
    if count > 1_000_000:
        raise BlobDamaged("the blob's header is damaged")
    layout = [_SEGMENT.unpack(_exact(source, _SEGMENT.size)) for _ in range(count)]
    segments = []
    for length, codec in layout:
        buffer = bytearray(length)  # writable: numpy arrays read back are writable, as after a plain pickle
        view = memoryview(buffer)
        if digest is not None:
            digest.segment(length)
        if codec == _CODEC_RAW:
            for start in range(0, length, _READ_CHUNK):
                part = view[start:start + _READ_CHUNK]
                got = 0
                while got < part.nbytes:  # short reads on pipes; files return it all at once
                    more = source.readinto(part[got:])
                    if not more:
                        raise BlobDamaged(f"the blob is truncated ({start + got} of {length} bytes of a segment)")
                    got += more
                if digest is not None:
                    digest.update(part)
        elif codec == _CODEC_ZLIB:
            filled = 0
            while filled < length:
                size = _CHUNK_LEN.unpack(_exact(source, _CHUNK_LEN.size))[0]
                try:
                    chunk = zlib.decompress(_exact(source, size))
                except zlib.error as exc:
                    raise BlobDamaged(f"compressed data is damaged ({exc})") from None
                if filled + len(chunk) > length:
                    raise BlobDamaged("a compressed segment is longer than its header says")
                view[filled:filled + len(chunk)] = chunk
                if digest is not None:
                    digest.update(view[filled:filled + len(chunk)])
                filled += len(chunk)
        else:
            raise BlobDamaged(f"unknown segment codec {codec}")
        segments.append(view)
    return segments


def _exact(source: BinaryIO, n: int) -> bytes:
    data = source.read(n)
    if len(data) != n:
        raise BlobDamaged(f"the blob is truncated (wanted {n} bytes, got {len(data)})")
    return data


def looks_whole(source: BinaryIO, file_size: int) -> bool:
    """Cheap structural check (header and lengths against the file's size, no hashing):
    False for a truncated or clobbered blob, so a writer replaces it instead of trusting it."""
    kind = source.read(1)
    offset = 0
    if kind == _BOUND:
        offset = len(source.readline(16)) + 1
        kind = source.read(1)
    if kind in (_RAW, _ZLIB):
        return file_size > offset + 1
    if kind != _FRAMED:
        return False
    try:
        count = _COUNT.unpack(_exact(source, _COUNT.size))[0]
        if count > 1_000_000:
            return False
        layout = [_SEGMENT.unpack(_exact(source, _SEGMENT.size)) for _ in range(count)]
        position = offset + 1 + _COUNT.size + count * _SEGMENT.size
        for length, codec in layout:
            if codec == _CODEC_RAW:
                position += length
                continue
            if codec != _CODEC_ZLIB:
                return False
            for _ in range(-(-length // _CHUNK)):  # one record per chunk
                source.seek(position)
                position += _CHUNK_LEN.size + _CHUNK_LEN.unpack(_exact(source, _CHUNK_LEN.size))[0]
                if position > file_size:
                    return False
    except BlobDamaged:
        return False
    return position == file_size


