"""Streaming-store helpers: where the aligned middle of a row starts."""

from __future__ import annotations

import numpy as np

from workloads.weather.nontemporal import STREAM_ALIGN_BYTES, aligned_start


def test_aligned_start_finds_the_first_aligned_element():
    buf = np.zeros(64)
    for lo in range(8):
        for offset in range(4):
            row = buf[offset:]
            i = aligned_start(row, lo, 40)
            assert lo <= i < lo + 4
            assert row[i:].ctypes.data % STREAM_ALIGN_BYTES == 0
            # no earlier element in lo .. i is aligned
            assert all(row[j:].ctypes.data % STREAM_ALIGN_BYTES for j in range(lo, i))


def test_aligned_start_is_capped_at_hi_and_skips_unaligned_arrays():
    buf = np.zeros(64)
    row = buf[(-(buf.ctypes.data // 8) % 4) + 1 :]  # one element past a 32-byte boundary
    assert aligned_start(row, 0, 2) == 2
    assert aligned_start(row, 0, 3) == 3
    assert aligned_start(row, 0, 8) == 3
    # float64 elements that are not 8-byte aligned never reach alignment: all normal stores
    raw = np.zeros(8 * 16 + 1, dtype=np.uint8)
    odd = raw[1:].view(np.float64)
    assert odd.ctypes.data % 8 != 0
    assert aligned_start(odd, 0, 16) == 16
