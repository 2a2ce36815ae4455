"""Big artifacts cost one hash pass and one write (issue 13, D7): array data is never copied
into the pickle stream, compression happens only where a sample shows it pays, an existing
value is found by its hash before anything is compressed or written, and a slow save says
how it is going. Times and memory are measured in bench/bench_artifacts.py, not here."""
from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from runtime import serialize as ser
from runtime.save_progress import SaveProgress
from runtime.stores import local_stores

MIB = 1024 * 1024


def test_array_data_goes_out_of_band_not_into_the_pickle_stream() -> None:
    value = np.random.default_rng(1).random(4 * MIB // 8)
    packed = ser.pack_value(value)
    assert len(packed.segments) == 2 and packed.segments[0].nbytes < 1000
    assert packed.segments[1].obj is not None and np.shares_memory(np.asarray(packed.segments[1]), value)


def test_incompressible_data_is_stored_raw_and_compressible_data_compressed(tmp_path: Path) -> None:
    artifacts, _ = local_stores(str(tmp_path))
    noise = np.random.default_rng(2).random(2 * MIB // 8)
    zeros = np.zeros(2 * MIB // 8)
    for value in (noise, zeros):
        artifacts.put_packed("F", ser.pack_value(value))
    size = lambda v: os.path.getsize(artifacts.blobs.path(artifacts.data_key("F", ser.pack_value(v).sha)))
    assert size(noise) >= noise.nbytes  # zlib would spend ~20x the write to save ~5 %
    assert size(zeros) < zeros.nbytes // 50
    assert np.array_equal(local_stores(str(tmp_path))[0].load("F", ser.pack_value(zeros).sha), zeros)


def test_a_value_already_stored_is_neither_compressed_nor_written_again(tmp_path: Path) -> None:
    artifacts, _ = local_stores(str(tmp_path))
    value = np.zeros(4 * MIB // 8)
    artifacts.put_packed("F", ser.pack_value(value))
    writes: list[int] = []

    class Counting(ser.Packed):
        def write_to(self, out, progress=None):  # type: ignore[no-untyped-def]
            writes.append(1)
            return super().write_to(out, progress)

    again = Counting(ser.pack_value(value).segments)
    assert local_stores(str(tmp_path))[0].put_packed("F", again) is False
    assert writes == []


def test_saving_and_loading_a_big_array_holds_no_second_copy(tmp_path: Path) -> None:
    artifacts, _ = local_stores(str(tmp_path))
    value = np.random.default_rng(3).random(32 * MIB // 8)
    tracemalloc.start()
    try:
        packed = ser.pack_value(value)
        artifacts.put_packed("F", packed)
        _, save_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        back = local_stores(str(tmp_path), )[0].load("F", packed.sha)
        _, load_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.array_equal(back, value) and back.flags.writeable
    assert save_peak < 0.25 * value.nbytes  # buffers, headers, one chunk: no copy of the data
    assert load_peak < 1.25 * value.nbytes  # the value itself, read in place


def test_framed_blobs_round_trip_through_bytes_too() -> None:
    """S3 gets the same bytes as a local file."""
    table = {"x": np.arange(100_000), "y": np.ones((300, 400)).T, "name": [f"n{i}" for i in range(1000)]}
    packed = ser.pack_value(table)
    blob = packed.to_bytes()
    back = ser.deserialize(blob, packed.sha)
    assert np.array_equal(back["x"], table["x"]) and np.array_equal(back["y"], table["y"])
    assert back["name"] == table["name"] and back["y"].flags.f_contiguous
    with pytest.raises(ser.BlobDamaged):
        ser.deserialize(blob[:-10], packed.sha)


def test_a_slow_save_reports_progress_and_a_quick_one_stays_quiet() -> None:
    now = [0.0]
    lines: list[str] = []
    with SaveProgress("body/3", lines.append, clock=lambda: now[0]) as progress:
        report = progress.artifact("big", 2 * 1024 ** 3)
        report(1, 10)
        now[0] = 4.0
        report(4, 10)
        now[0] = 5.0
        report(5, 10)  # within `every` of the last line: quiet
        now[0] = 10.0
        report(9, 10)
    assert lines == ["body/3: saving artifact 'big' (2.0 GiB): 40%", "body/3: saving artifact 'big' (2.0 GiB): 90%",
                     "body/3: artifacts saved in 10.0s"]
    quiet: list[str] = []
    with SaveProgress("x/0", quiet.append, clock=lambda: 0.0) as progress:
        progress.artifact("small", 10)(10, 10)
    assert quiet == []
