"""A small mixed-radix FFT callable from Numba kernels, for the polar filter.

NumPy's FFT cannot be called inside ``@njit`` code, and the filter must run inside the
fused model kernel (one pass over memory per step).  Latitude circles have 360 / d points
(128, 180, 360, 720, 1440 for the usual resolutions), so the transform is mixed radix:
a self-sorting Stockham formulation (no bit reversal) with one stage per prime factor,
radix-2, 3, 4 and 5 butterflies written out and a generic butterfly for other primes.

:func:`make_plan` precomputes factors and twiddles once per length; :func:`fft_inplace`
and :func:`ifft_inplace` run in Numba.  ``tests/workloads/weather/test_fourier.py``
compares them with ``numpy.fft``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

__all__ = ["FftPlan", "make_plan", "fft_inplace", "ifft_inplace", "filter_rows"]


@dataclass(frozen=True)
class FftPlan:
    """Factors (radix per stage) and twiddles ``exp(-2 pi i p u / n_stage)`` per stage."""

    n: int
    factors: np.ndarray  # int64 (nstages,)
    twiddle: np.ndarray  # complex128, stage after stage, m * r entries each


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
    """Plan a complex FFT of length ``n`` (any positive integer).

    Examples
    --------
    >>> make_plan(360).factors.tolist()
    [4, 2, 3, 3, 5]
    """
    if n < 1:
        raise ValueError(f"n must be a positive length; got {n}")
    factors = _factorize(n) or [1]
    tw: list[np.ndarray] = []
    n_stage = n
    for r in factors:
        m = n_stage // r
        p = np.arange(m)[:, None]
        u = np.arange(r)[None, :]
        tw.append(np.exp(-2j * np.pi * (p * u) / n_stage).ravel())
        n_stage = m
    return FftPlan(n, np.array(factors, dtype=np.int64), np.concatenate(tw))


@njit(cache=True)
def _stage(x, y, n_stage, s, r, tw, off):
    """One Stockham stage: radix-r butterflies from x into y (stride s)."""
    m = n_stage // r
    if r == 1:
        for k in range(x.shape[0]):
            y[k] = x[k]
        return
    if r == 2:
        for p in range(m):
            w1 = tw[off + 2 * p + 1]
            for q in range(s):
                a = x[q + s * p]
                b = x[q + s * (p + m)]
                y[q + s * (2 * p)] = a + b
                y[q + s * (2 * p + 1)] = (a - b) * w1
        return
    if r == 4:
        for p in range(m):
            w1 = tw[off + 4 * p + 1]
            w2 = tw[off + 4 * p + 2]
            w3 = tw[off + 4 * p + 3]
            for q in range(s):
                a = x[q + s * p]
                b = x[q + s * (p + m)]
                c = x[q + s * (p + 2 * m)]
                d = x[q + s * (p + 3 * m)]
                apc = a + c
                amc = a - c
                bpd = b + d
                # -i (b - d): the radix-4 rotation, exact
                jbmd = complex((b - d).imag, -(b - d).real)
                y[q + s * (4 * p)] = apc + bpd
                y[q + s * (4 * p + 1)] = (amc + jbmd) * w1
                y[q + s * (4 * p + 2)] = (apc - bpd) * w2
                y[q + s * (4 * p + 3)] = (amc - jbmd) * w3
        return
    if r == 3:
        s3 = 0.5 * np.sqrt(3.0)
        for p in range(m):
            w1 = tw[off + 3 * p + 1]
            w2 = tw[off + 3 * p + 2]
            for q in range(s):
                a = x[q + s * p]
                b = x[q + s * (p + m)]
                c = x[q + s * (p + 2 * m)]
                t1 = b + c
                t2 = a - 0.5 * t1
                bmc = b - c
                rot = complex(s3 * bmc.imag, -s3 * bmc.real)  # -i sqrt(3)/2 (b - c)
                y[q + s * (3 * p)] = a + t1
                y[q + s * (3 * p + 1)] = (t2 + rot) * w1
                y[q + s * (3 * p + 2)] = (t2 - rot) * w2
        return
    if r == 5:
        c1, c2 = np.cos(0.4 * np.pi), np.cos(0.8 * np.pi)
        s1, s2 = np.sin(0.4 * np.pi), np.sin(0.8 * np.pi)
        for p in range(m):
            w1 = tw[off + 5 * p + 1]
            w2 = tw[off + 5 * p + 2]
            w3 = tw[off + 5 * p + 3]
            w4 = tw[off + 5 * p + 4]
            for q in range(s):
                a = x[q + s * p]
                b = x[q + s * (p + m)]
                c = x[q + s * (p + 2 * m)]
                d = x[q + s * (p + 3 * m)]
                e = x[q + s * (p + 4 * m)]
                bpe, bme = b + e, b - e
                cpd, cmd = c + d, c - d
                r1 = a + c1 * bpe + c2 * cpd
                r2 = a + c2 * bpe + c1 * cpd
                i1 = s1 * bme + s2 * cmd
                i2 = s2 * bme - s1 * cmd
                ri1 = complex(i1.imag, -i1.real)  # -i * i1
                ri2 = complex(i2.imag, -i2.real)
                y[q + s * (5 * p)] = a + bpe + cpd
                y[q + s * (5 * p + 1)] = (r1 + ri1) * w1
                y[q + s * (5 * p + 2)] = (r2 + ri2) * w2
                y[q + s * (5 * p + 3)] = (r2 - ri2) * w3
                y[q + s * (5 * p + 4)] = (r1 - ri1) * w4
        return
    base = np.exp(-2j * np.pi * np.arange(r) / r)
    for p in range(m):
        for q in range(s):
            for u in range(r):
                acc = 0j
                for t in range(r):
                    acc += x[q + s * (p + t * m)] * base[(t * u) % r]
                y[q + s * (r * p + u)] = acc * tw[off + r * p + u]


@njit(cache=True)
def fft_inplace(x, work, factors, twiddle):
    """Forward DFT of ``x`` in place (``work``: scratch of the same length)."""
    n = x.shape[0]
    n_stage = n
    s = 1
    off = 0
    src, dst = x, work
    for r in factors:
        _stage(src, dst, n_stage, s, r, twiddle, off)
        off += n_stage
        n_stage //= r
        s *= r
        src, dst = dst, src
    if factors.shape[0] % 2 == 1:
        for k in range(n):
            x[k] = work[k]


@njit(cache=True)
def ifft_inplace(x, work, factors, twiddle):
    """Inverse DFT (with the 1/n factor) of ``x`` in place."""
    n = x.shape[0]
    for k in range(n):
        x[k] = x[k].conjugate()
    fft_inplace(x, work, factors, twiddle)
    scale = 1.0 / n
    for k in range(n):
        x[k] = x[k].conjugate() * scale


@njit(cache=True)
def filter_rows(a, b, gain, z, work, factors, twiddle):
    """Multiply the spectra of two real rows ``a`` and ``b`` by a real, even ``gain``.

    Both rows go through one complex transform (``a + i b``): a real even gain keeps the
    real and imaginary parts apart.  ``z`` and ``work`` are complex scratch rows.
    """
    n = a.shape[0]
    for k in range(n):
        z[k] = complex(a[k], b[k])
    fft_inplace(z, work, factors, twiddle)
    for k in range(n):
        z[k] = z[k] * gain[k]
    ifft_inplace(z, work, factors, twiddle)
    for k in range(n):
        a[k] = z[k].real
        b[k] = z[k].imag
