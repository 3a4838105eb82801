"""The Numba mixed-radix FFT against numpy.fft."""

from __future__ import annotations

import numpy as np
import pytest

from workloads.weather.fourier import fft_inplace, filter_rows, ifft_inplace, make_plan


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 12, 36, 49, 90, 128, 180, 360])
def test_fft_matches_numpy(n, rng):
    plan = make_plan(n)
    x = rng.normal(size=n) + 1j * rng.normal(size=n)
    y, work = x.copy(), np.empty_like(x)
    fft_inplace(y, work, plan.factors, plan.twiddle)
    expected = np.fft.fft(x)
    assert np.abs(y - expected).max() <= 1e-13 * np.abs(expected).max()
    ifft_inplace(y, work, plan.factors, plan.twiddle)
    assert np.abs(y - x).max() <= 1e-14 * np.abs(x).max() * max(1, np.log2(n))


def test_filter_rows_filters_each_row_separately(rng):
    n = 72
    plan = make_plan(n)
    gain = np.minimum(1.0, 0.3 / np.maximum(np.abs(np.sin(np.pi * np.arange(n) / n)), 1e-300))
    a, b = rng.normal(size=n), rng.normal(size=n)
    fa, fb = a.copy(), b.copy()
    z, work = np.empty(n, complex), np.empty(n, complex)
    filter_rows(fa, fb, gain, z, work, plan.factors, plan.twiddle)
    for got, x in ((fa, a), (fb, b)):
        expected = np.fft.ifft(np.fft.fft(x) * gain).real
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-14 * np.abs(x).max())
    # wavenumber 0 (the zonal mean) is untouched
    assert abs(fa.sum() - a.sum()) < 1e-12


def test_make_plan_rejects_bad_length():
    with pytest.raises(ValueError, match="n must be a positive length; got 0"):
        make_plan(0)
