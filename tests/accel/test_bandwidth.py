"""STREAM triad and effective bandwidth (accel.bandwidth); correctness only, no timing asserts."""

from __future__ import annotations

import numpy as np
import pytest

from accel.bandwidth import (
    TRIAD_BYTES_PER_ELEMENT,
    TriadResult,
    effective_bandwidth,
    stream_triad,
    triad,
)


def test_triad_matches_numpy(rng):
    b, c = rng.random(10_001), rng.random(10_001)
    a = np.full(10_001, np.nan)
    out = triad(a, b, c, 2.5)
    assert out is a
    np.testing.assert_array_equal(a, b + 2.5 * c)


def test_triad_errors():
    x = np.zeros(4)
    with pytest.raises(TypeError, match="a must be a numpy array; got list"):
        triad([0.0], x, x, 1.0)
    with pytest.raises(ValueError, match="c must have 4 elements like a; got 3"):
        triad(np.zeros(4), np.zeros(4), np.zeros(3), 1.0)
    with pytest.raises(
        ValueError, match="b must be a contiguous 1-D float64 array; got 1-D float32"
    ):
        triad(np.zeros(4), np.zeros(4, np.float32), np.zeros(4), 1.0)
    with pytest.raises(ValueError, match="a must not share memory with b or c"):
        triad(x, x, np.zeros(4), 1.0)


def test_stream_triad_reports_stream_bytes():
    result = stream_triad(n=50_000, repeats=3)
    assert TRIAD_BYTES_PER_ELEMENT == 24
    assert result.bytes_per_run == 24 * 50_000
    assert len(result.seconds) == 3 and min(result.seconds) > 0
    assert result.best_bytes_per_s >= result.median_bytes_per_s > 0


def test_triad_result_arithmetic():
    r = TriadResult(n=1000, seconds=(2e-6, 1e-6, 4e-6))
    assert r.median_bytes_per_s == pytest.approx(24_000 / 2e-6)
    assert r.best_bytes_per_s == pytest.approx(24_000 / 1e-6)


def test_stream_triad_errors():
    with pytest.raises(ValueError, match="n must be a positive number of elements; got 0"):
        stream_triad(n=0)
    with pytest.raises(TypeError, match="n must be an integer; got float"):
        stream_triad(n=1e6)
    with pytest.raises(ValueError, match="repeats must be a positive integer; got 0"):
        stream_triad(n=10, repeats=0)


def test_effective_bandwidth():
    assert effective_bandwidth(48e9, 2.0) == 24e9
    with pytest.raises(ValueError, match="seconds must be positive; got 0"):
        effective_bandwidth(1.0, 0)
    with pytest.raises(ValueError, match="compulsory_bytes must be non-negative; got -1"):
        effective_bandwidth(-1, 1.0)
