"""The batched real-input FFT filter against numpy.fft."""

from __future__ import annotations

import numpy as np
import pytest

from workloads.weather.fourier import filter_rows, make_plan, scratch_shape
from workloads.weather.grid import make_grid


def _even_gains(rng, rows, n):
    gain = rng.random((rows, n))
    gain[:, 1:] = 0.5 * (gain[:, 1:] + gain[:, :0:-1])  # g[k] == g[n - k]: a real filter
    return gain


def _numpy_filter(x, gain):
    return np.fft.irfft(np.fft.rfft(x) * gain[: x.size // 2 + 1], x.size)


# Lengths exercise every butterfly: 1 (n = 2), 2, 3, 4, 5 and the generic one (7).
@pytest.mark.parametrize("n", [2, 4, 6, 10, 14, 24, 36, 98, 128, 180, 360, 1440])
def test_filter_rows_matches_numpy(n, rng):
    rows = rng.normal(size=(5, n))
    gain = _even_gains(rng, 3, n)
    gain_row = np.array([0, -1, 2, 1, 0])
    got = rows.copy()
    filter_rows(got, gain_row, gain, *_plan(n), np.empty(scratch_shape(n, 5)))
    for b in range(5):
        want = rows[b] if gain_row[b] < 0 else _numpy_filter(rows[b], gain[gain_row[b]])
        tol = 4e-15 * max(1.0, np.log2(n)) * np.abs(rows[b]).max()
        assert np.abs(got[b] - want).max() <= tol
    assert np.array_equal(got[1], rows[1])  # a row without a gain is not touched


def test_long_radix5_runs_match_numpy(rng):
    # n = 70: a twiddled radix-5 stage first (then radix 7); 300 lanes make its runs
    # longer than one strip of the two-loop radix-5 butterfly.
    n, lanes = 70, 300
    rows = rng.normal(size=(lanes, n))
    gain = _even_gains(rng, 2, n)
    gain_row = np.arange(lanes) % 2
    got = rows.copy()
    filter_rows(got, gain_row, gain, *_plan(n), np.empty(scratch_shape(n, lanes)))
    want = np.fft.irfft(np.fft.rfft(rows) * gain[gain_row, : n // 2 + 1], n)
    tol = 4e-15 * np.log2(n) * np.abs(rows).max()
    assert np.abs(got - want).max() <= tol


def _plan(n):
    plan = make_plan(n)
    return plan.factors, plan.twiddle


def test_a_row_does_not_depend_on_its_batch(rng):
    # Lanes never mix: the kernel's results must not depend on how rows are grouped.
    n = 360
    rows = rng.normal(size=(7, n))
    gain = _even_gains(rng, 2, n)
    alone = rows[4:5].copy()
    filter_rows(alone, np.array([1]), gain, *_plan(n), np.empty(scratch_shape(n, 1)))
    batch = rows.copy()
    filter_rows(batch, np.array([0, 1, -1, 0, 1, 1, 0]), gain, *_plan(n),
                np.empty(scratch_shape(n, 7)))  # fmt: skip
    assert np.array_equal(batch[4], alone[0])


def test_polar_gains_keep_the_zonal_mean(rng):
    g = make_grid(2.0)
    rows = rng.normal(size=(3, g.nlon)) + 5.0
    got = rows.copy()
    gain_row = np.array([0, g.filter_gain.shape[0] // 2, g.filter_gain.shape[0] - 1])
    filter_rows(got, gain_row, g.filter_gain, *_plan(g.nlon), np.empty(scratch_shape(g.nlon, 3)))
    np.testing.assert_allclose(got.mean(axis=1), rows.mean(axis=1), rtol=1e-14)
    # the damped wavenumbers really are damped
    assert np.abs(np.fft.rfft(got[0])[-1]) < 0.5 * np.abs(np.fft.rfft(rows[0])[-1])


def test_make_plan_rejects_bad_length():
    with pytest.raises(ValueError, match="n must be an even length of at least 2; got 0"):
        make_plan(0)
    with pytest.raises(ValueError, match="n must be an even length of at least 2; got 45"):
        make_plan(45)
    with pytest.raises(TypeError, match="n must be an integer length; got float"):
        make_plan(36.0)


def test_too_small_scratch_is_refused():
    n = 64
    rows = np.ones((3, n))
    gain = np.ones((1, n))
    with pytest.raises(ValueError, match="scratch is too small"):
        filter_rows(
            rows, np.zeros(3, dtype=np.int64), gain, *_plan(n), np.empty(scratch_shape(n, 2))
        )
