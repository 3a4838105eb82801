"""The polar filter's Fourier transforms, callable from Numba kernels.

NumPy's FFT cannot be called inside ``@njit`` code, and the filter runs inside the fused
model kernel, on tendency rows that are still in cache.  A latitude circle has an even
number ``n`` of real points (128, 180, 360, 720, 1440 for the usual resolutions), so each
row goes through a complex transform of half the length: even samples as real parts, odd
samples as imaginary parts, then one pass that splits the result into the spectrum of
the real row (the standard real-input FFT identity).  The half-length transform is a
self-sorting Stockham FFT (no bit reversal), one stage per factor, with radix-2, 3, 4 and
5 butterflies written out and a generic butterfly for other primes (:mod:`.butterflies`).

Throughput comes from transforming several rows at once: the working arrays are
``(n // 2, lanes)`` with the lane (row) index innermost, so every butterfly is a loop
over lanes that the compiler turns into SIMD instructions.  Lanes never mix: a row's
result is the same, bit for bit, whichever rows share its batch and in which lane
(``tests/workloads/weather/test_fourier.py`` checks this and compares with ``numpy.fft``).

:func:`make_plan` precomputes factors and twiddles once per length; :func:`filter_rows`
runs in Numba.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from workloads.weather.butterflies import last_stage, stage

__all__ = ["FftPlan", "make_plan", "scratch_shape", "filter_rows"]


@dataclass(frozen=True)
class FftPlan:
    """Transform plan for real rows of even length ``n``.

    ``factors`` are the radices (one per stage) of the complex transform of length
    ``n // 2``; ``twiddle`` is ``(2, size)`` float64, real and imaginary parts: the stage
    twiddles ``exp(-2 pi i p u / n_stage)`` stage after stage (``n_stage`` entries per
    stage), then the ``n // 2 + 1`` split twiddles ``exp(-2 pi i k / n)``.
    """

    n: int
    factors: np.ndarray
    twiddle: np.ndarray


def _factorize(n: int) -> list[int]:
    factors: list[int] = []
    while n % 4 == 0:
        factors.append(4)
        n //= 4
    for p in (2, 3, 5):
        while n % p == 0:
            factors.append(p)
            n //= p
    p = 7
    while n > 1:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 2
    return factors


def make_plan(n: int) -> FftPlan:
    """Plan the filter transform of real rows of length ``n`` (even, at least 2).

    Examples
    --------
    >>> plan = make_plan(360)
    >>> plan.factors.tolist(), plan.twiddle.shape  # 180 + 45 + 15 + 5 stage twiddles, 181 split
    ([4, 3, 3, 5], (2, 426))
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"n must be an integer length; got {type(n).__name__}")
    if n < 2 or n % 2:
        raise ValueError(f"n must be an even length of at least 2; got {n}")
    half = n // 2
    factors = _factorize(half) or [1]
    tw: list[np.ndarray] = []
    n_stage = half
    for r in factors:
        m = n_stage // r
        p = np.arange(m)[:, None]
        u = np.arange(r)[None, :]
        tw.append(np.exp(-2j * np.pi * (p * u) / n_stage).ravel())
        n_stage = m
    tw.append(np.exp(-2j * np.pi * np.arange(half + 1) / n))
    z = np.concatenate(tw)
    return FftPlan(
        int(n), np.array(factors, dtype=np.int64), np.ascontiguousarray([z.real, z.imag])
    )


def scratch_shape(n: int, lanes: int) -> tuple[int, int]:
    """Shape of the float64 scratch :func:`filter_rows` needs for up to ``lanes`` rows."""
    return (4, (n // 2) * lanes)


@njit(cache=True)
def _fft(scratch, half, factors, twiddle, nb, src):
    """Forward transforms of length ``half`` of ``nb`` lanes held in the pair
    ``scratch[src]`` (real), ``scratch[src + 1]`` (imaginary), ``src`` 0 or 2, point
    after point; returns the pair that holds the result."""
    n_stage = half
    # np.int64, not literals: a literal first value would make Numba compile the callees
    # once more for it (compile time is part of the user's wait).
    s = np.int64(1)
    off = np.int64(0)
    for r in factors:
        dst = 2 - src
        if n_stage == r and 3 <= r <= 5:
            last_stage(scratch[src], scratch[src + 1], scratch[dst], scratch[dst + 1], s, r, nb)
        else:
            stage(
                scratch[src], scratch[src + 1], scratch[dst], scratch[dst + 1],
                n_stage, s, r, twiddle, off, nb,
            )  # fmt: skip
        off += n_stage
        n_stage //= r
        s *= r
        src = dst
    return src


@njit(cache=True, inline="always")
def _split_point(ar, ai, cr, ci, g1, g2, wr, wi, inv):
    """One lane of :func:`_split_pair`: the new even and odd parts."""
    sg = 0.25 * (g1 + g2) * inv
    dg = 0.25 * (g1 - g2) * inv
    # 2E and 2O: the spectra of the even and odd samples at k
    er, ei = ar + cr, ai - ci
    or_, oi = ai + ci, cr - ar
    pr, pi = or_ * wr - oi * wi, or_ * wi + oi * wr  # 2 W^k O
    ner, nei = sg * er + dg * pr, sg * ei + dg * pi
    dr, di = dg * er + sg * pr, dg * ei + sg * pi
    nor, noi = dr * wr + di * wi, di * wr - dr * wi  # times conj(W^k)
    return ner, nei, nor, noi


# Inlined: called once per wavenumber pair with six array views, and as a call it cost
# about a third of the split pass (measured at 360 and 1440 points, 48 rows).
@njit(cache=True, inline="always")
def _split_pair(akr, aki, acr, aci, g1v, g2v, wr, wi, inv, nb, same):
    """Wavenumbers k and c = half - k of every lane: split the half-length spectrum Z
    into the real row's X, apply the gain, and fold back into the conjugated
    half-length spectrum whose forward transform is the filtered row.  With ``same``
    (k == c, the views passed twice) only the values of k are written."""
    if same:
        for b in range(nb):
            ner, nei, nor, noi = _split_point(akr[b], aki[b], acr[b], aci[b], g1v[b], g2v[b],
                                              wr, wi, inv)  # fmt: skip
            akr[b] = ner - noi
            aki[b] = -(nei + nor)
        return
    for b in range(nb):
        ner, nei, nor, noi = _split_point(akr[b], aki[b], acr[b], aci[b], g1v[b], g2v[b],
                                          wr, wi, inv)  # fmt: skip
        akr[b] = ner - noi
        aki[b] = -(nei + nor)
        acr[b] = ner + noi
        aci[b] = nei - nor


@njit(cache=True)
def filter_rows(rows, gain_row, gain, factors, twiddle, scratch):
    """Multiply the spectrum of each real row ``rows[b]`` with ``gain_row[b] >= 0`` by
    ``gain[gain_row[b]]``, in place; rows with ``gain_row[b] < 0`` are left alone.

    ``gain`` rows hold the gain per wavenumber in FFT order (only wavenumbers ``0 ..
    n // 2`` are read: a real row's gain must be even).  ``scratch`` has
    :func:`scratch_shape` ``(n, lanes)`` with at least as many lanes as filtered rows.
    """
    n = rows.shape[1]
    half = n // 2
    lane_row = np.empty(rows.shape[0], dtype=np.int64)
    nb = np.int64(0)
    for b in range(rows.shape[0]):
        if gain_row[b] >= 0:
            lane_row[nb] = b
            nb += 1
    if nb == 0:
        return
    if scratch.shape[0] < 4 or scratch.shape[1] < half * nb:
        raise ValueError("scratch is too small for the filtered rows; size it with scratch_shape")
    lane_gain = np.empty(nb, dtype=np.int64)
    for b in range(nb):
        lane_gain[b] = gain_row[lane_row[b]]
    zr, zi = scratch[0], scratch[1]
    for m in range(half):
        for b in range(nb):
            zr[m * nb + b] = rows[lane_row[b], 2 * m]
            zi[m * nb + b] = rows[lane_row[b], 2 * m + 1]
    out = _fft(scratch, half, factors, twiddle, nb, np.int64(0))
    zr, zi = scratch[out], scratch[out + 1]
    # Split the half-length spectrum Z into the real row's X, apply the gain, and fold it
    # back into the conjugated half-length spectrum whose forward transform is the
    # filtered row (inverse by conjugation).  Wavenumbers k and half - k are done together.
    sw = twiddle.shape[1] - (half + 1)
    inv = 1.0 / half
    for b in range(nb):
        ar, ai = zr[b], zi[b]
        y0, yh = gain[lane_gain[b], 0] * (ar + ai), gain[lane_gain[b], half] * (ar - ai)
        zr[b] = 0.5 * (y0 + yh) * inv
        zi[b] = -0.5 * (y0 - yh) * inv
    # The gains of wavenumbers k and half - k, lane by lane, so the loop over lanes that
    # uses them reads consecutive numbers (and vectorises).
    g1v = np.empty(nb)
    g2v = np.empty(nb)
    for k in range(1, half // 2 + 1):
        c = half - k
        wr, wi = twiddle[0, sw + k], twiddle[1, sw + k]
        for b in range(nb):
            g1v[b] = gain[lane_gain[b], k]
            g2v[b] = gain[lane_gain[b], c]
        akr, aki = zr[k * nb : (k + 1) * nb], zi[k * nb : (k + 1) * nb]
        acr, aci = zr[c * nb : (c + 1) * nb], zi[c * nb : (c + 1) * nb]
        _split_pair(akr, aki, acr, aci, g1v, g2v, wr, wi, inv, nb, c == k)
    out = _fft(scratch, half, factors, twiddle, nb, out)
    zr, zi = scratch[out], scratch[out + 1]
    # Back to rows in tiles of 32 points: the scratch lines a tile reads stay in L1 while
    # each row writes its stretch in order.
    for m0 in range(0, half, 32):
        m1 = min(half, m0 + 32)
        for b in range(nb):
            row = rows[lane_row[b]]
            for m in range(m0, m1):
                row[2 * m] = zr[m * nb + b]
                row[2 * m + 1] = -zi[m * nb + b]
