"""The polar filter's Fourier transforms, callable from Numba kernels.

NumPy's FFT cannot be called inside ``@njit`` code, and the filter runs inside the fused
model kernel, on tendency rows that are still in cache.  A latitude circle has an even
number ``n`` of real points (128, 180, 360, 720, 1440 for the usual resolutions), so each
row goes through a complex transform of half the length: even samples as real parts, odd
samples as imaginary parts, then one pass that splits the result into the spectrum of
the real row (the standard real-input FFT identity).  The half-length transform is a
self-sorting Stockham FFT (no bit reversal), one stage per factor, with radix-2, 3, 4 and
5 butterflies written out and a generic butterfly for other primes.

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
def _stage(xr, xi, yr, yi, n_stage, s, r, tw, off, nb):
    """One Stockham stage: radix-``r`` butterflies from ``x`` into ``y`` (stride ``s``).

    Arrays are flat, ``nb`` lanes per point: for a fixed ``p`` the ``s`` points a
    butterfly input spans are ``s * nb`` consecutive numbers, and so is each output.
    """
    m = n_stage // r
    w = s * nb  # consecutive numbers per butterfly input or output
    if r == 1:
        for k in range(xr.shape[0]):
            yr[k] = xr[k]
            yi[k] = xi[k]
        return
    if r == 2:
        for p in range(m):
            w1r, w1i = tw[0, off + 2 * p + 1], tw[1, off + 2 * p + 1]
            i0, i1 = w * p, w * (p + m)
            o0, o1 = w * (2 * p), w * (2 * p + 1)
            for t in range(w):
                ar, ai = xr[i0 + t], xi[i0 + t]
                br, bi = xr[i1 + t], xi[i1 + t]
                yr[o0 + t] = ar + br
                yi[o0 + t] = ai + bi
                dr, di = ar - br, ai - bi
                yr[o1 + t] = dr * w1r - di * w1i
                yi[o1 + t] = dr * w1i + di * w1r
        return
    if r == 4:
        for p in range(m):
            base = off + 4 * p
            w1r, w1i = tw[0, base + 1], tw[1, base + 1]
            w2r, w2i = tw[0, base + 2], tw[1, base + 2]
            w3r, w3i = tw[0, base + 3], tw[1, base + 3]
            i0 = w * p
            i1, i2, i3 = i0 + w * m, i0 + 2 * w * m, i0 + 3 * w * m
            o0 = w * (4 * p)
            o1, o2, o3 = o0 + w, o0 + 2 * w, o0 + 3 * w
            for t in range(w):
                ar, ai = xr[i0 + t], xi[i0 + t]
                br, bi = xr[i1 + t], xi[i1 + t]
                cr, ci = xr[i2 + t], xi[i2 + t]
                dr, di = xr[i3 + t], xi[i3 + t]
                apcr, apci = ar + cr, ai + ci
                amcr, amci = ar - cr, ai - ci
                bpdr, bpdi = br + dr, bi + di
                # -i (b - d): the radix-4 rotation, exact
                jr, ji = bi - di, dr - br
                yr[o0 + t] = apcr + bpdr
                yi[o0 + t] = apci + bpdi
                tr, ti = amcr + jr, amci + ji
                yr[o1 + t] = tr * w1r - ti * w1i
                yi[o1 + t] = tr * w1i + ti * w1r
                tr, ti = apcr - bpdr, apci - bpdi
                yr[o2 + t] = tr * w2r - ti * w2i
                yi[o2 + t] = tr * w2i + ti * w2r
                tr, ti = amcr - jr, amci - ji
                yr[o3 + t] = tr * w3r - ti * w3i
                yi[o3 + t] = tr * w3i + ti * w3r
        return
    if r == 3:
        s3 = 0.5 * np.sqrt(3.0)
        for p in range(m):
            base = off + 3 * p
            w1r, w1i = tw[0, base + 1], tw[1, base + 1]
            w2r, w2i = tw[0, base + 2], tw[1, base + 2]
            i0 = w * p
            i1, i2 = i0 + w * m, i0 + 2 * w * m
            o0 = w * (3 * p)
            o1, o2 = o0 + w, o0 + 2 * w
            for t in range(w):
                ar, ai = xr[i0 + t], xi[i0 + t]
                br, bi = xr[i1 + t], xi[i1 + t]
                cr, ci = xr[i2 + t], xi[i2 + t]
                t1r, t1i = br + cr, bi + ci
                t2r, t2i = ar - 0.5 * t1r, ai - 0.5 * t1i
                # -i sqrt(3)/2 (b - c)
                rr, ri = s3 * (bi - ci), -s3 * (br - cr)
                yr[o0 + t] = ar + t1r
                yi[o0 + t] = ai + t1i
                tr, ti = t2r + rr, t2i + ri
                yr[o1 + t] = tr * w1r - ti * w1i
                yi[o1 + t] = tr * w1i + ti * w1r
                tr, ti = t2r - rr, t2i - ri
                yr[o2 + t] = tr * w2r - ti * w2i
                yi[o2 + t] = tr * w2i + ti * w2r
        return
    if r == 5:
        c1, c2 = np.cos(0.4 * np.pi), np.cos(0.8 * np.pi)
        s1, s2 = np.sin(0.4 * np.pi), np.sin(0.8 * np.pi)
        for p in range(m):
            base = off + 5 * p
            w1r, w1i = tw[0, base + 1], tw[1, base + 1]
            w2r, w2i = tw[0, base + 2], tw[1, base + 2]
            w3r, w3i = tw[0, base + 3], tw[1, base + 3]
            w4r, w4i = tw[0, base + 4], tw[1, base + 4]
            i0 = w * p
            i1, i2, i3, i4 = i0 + w * m, i0 + 2 * w * m, i0 + 3 * w * m, i0 + 4 * w * m
            o0 = w * (5 * p)
            o1, o2, o3, o4 = o0 + w, o0 + 2 * w, o0 + 3 * w, o0 + 4 * w
            for t in range(w):
                ar, ai = xr[i0 + t], xi[i0 + t]
                bpr, bpi = xr[i1 + t] + xr[i4 + t], xi[i1 + t] + xi[i4 + t]
                bmr, bmi = xr[i1 + t] - xr[i4 + t], xi[i1 + t] - xi[i4 + t]
                cpr, cpi = xr[i2 + t] + xr[i3 + t], xi[i2 + t] + xi[i3 + t]
                cmr, cmi = xr[i2 + t] - xr[i3 + t], xi[i2 + t] - xi[i3 + t]
                r1r, r1i = ar + c1 * bpr + c2 * cpr, ai + c1 * bpi + c2 * cpi
                r2r, r2i = ar + c2 * bpr + c1 * cpr, ai + c2 * bpi + c1 * cpi
                # -i times the sine combinations
                q1r, q1i = s1 * bmi + s2 * cmi, -(s1 * bmr + s2 * cmr)
                q2r, q2i = s2 * bmi - s1 * cmi, -(s2 * bmr - s1 * cmr)
                yr[o0 + t] = ar + bpr + cpr
                yi[o0 + t] = ai + bpi + cpi
                tr, ti = r1r + q1r, r1i + q1i
                yr[o1 + t] = tr * w1r - ti * w1i
                yi[o1 + t] = tr * w1i + ti * w1r
                tr, ti = r2r + q2r, r2i + q2i
                yr[o2 + t] = tr * w2r - ti * w2i
                yi[o2 + t] = tr * w2i + ti * w2r
                tr, ti = r2r - q2r, r2i - q2i
                yr[o3 + t] = tr * w3r - ti * w3i
                yi[o3 + t] = tr * w3i + ti * w3r
                tr, ti = r1r - q1r, r1i - q1i
                yr[o4 + t] = tr * w4r - ti * w4i
                yi[o4 + t] = tr * w4i + ti * w4r
        return
    # Any other prime: the plain DFT of r points, then the twiddle.
    for p in range(m):
        for u in range(r):
            o = w * (r * p + u)
            wr, wi = tw[0, off + r * p + u], tw[1, off + r * p + u]
            for t in range(w):
                accr, acci = 0.0, 0.0
                for j in range(r):
                    ang = -2.0 * np.pi * ((j * u) % r) / r
                    er, ei = np.cos(ang), np.sin(ang)
                    xr_, xi_ = xr[w * (p + j * m) + t], xi[w * (p + j * m) + t]
                    accr += xr_ * er - xi_ * ei
                    acci += xr_ * ei + xi_ * er
                yr[o + t] = accr * wr - acci * wi
                yi[o + t] = accr * wi + acci * wr


@njit(cache=True)
def _last_stage(xr, xi, yr, yi, s, r, nb):
    """The last stage (one butterfly position, ``m == 1``) of radix 3, 4 or 5, whose
    twiddles are all exactly one, so it skips their multiplications."""
    w = s * nb
    if r == 4:
        for t in range(w):
            ar, ai = xr[t], xi[t]
            br, bi = xr[w + t], xi[w + t]
            cr, ci = xr[2 * w + t], xi[2 * w + t]
            dr, di = xr[3 * w + t], xi[3 * w + t]
            apcr, apci = ar + cr, ai + ci
            amcr, amci = ar - cr, ai - ci
            bpdr, bpdi = br + dr, bi + di
            jr, ji = bi - di, dr - br
            yr[t], yi[t] = apcr + bpdr, apci + bpdi
            yr[w + t], yi[w + t] = amcr + jr, amci + ji
            yr[2 * w + t], yi[2 * w + t] = apcr - bpdr, apci - bpdi
            yr[3 * w + t], yi[3 * w + t] = amcr - jr, amci - ji
    elif r == 3:
        s3 = 0.5 * np.sqrt(3.0)
        for t in range(w):
            ar, ai = xr[t], xi[t]
            br, bi = xr[w + t], xi[w + t]
            cr, ci = xr[2 * w + t], xi[2 * w + t]
            t1r, t1i = br + cr, bi + ci
            t2r, t2i = ar - 0.5 * t1r, ai - 0.5 * t1i
            rr, ri = s3 * (bi - ci), -s3 * (br - cr)
            yr[t], yi[t] = ar + t1r, ai + t1i
            yr[w + t], yi[w + t] = t2r + rr, t2i + ri
            yr[2 * w + t], yi[2 * w + t] = t2r - rr, t2i - ri
    else:
        c1, c2 = np.cos(0.4 * np.pi), np.cos(0.8 * np.pi)
        s1, s2 = np.sin(0.4 * np.pi), np.sin(0.8 * np.pi)
        for t in range(w):
            ar, ai = xr[t], xi[t]
            bpr, bpi = xr[w + t] + xr[4 * w + t], xi[w + t] + xi[4 * w + t]
            bmr, bmi = xr[w + t] - xr[4 * w + t], xi[w + t] - xi[4 * w + t]
            cpr, cpi = xr[2 * w + t] + xr[3 * w + t], xi[2 * w + t] + xi[3 * w + t]
            cmr, cmi = xr[2 * w + t] - xr[3 * w + t], xi[2 * w + t] - xi[3 * w + t]
            r1r, r1i = ar + c1 * bpr + c2 * cpr, ai + c1 * bpi + c2 * cpi
            r2r, r2i = ar + c2 * bpr + c1 * cpr, ai + c2 * bpi + c1 * cpi
            q1r, q1i = s1 * bmi + s2 * cmi, -(s1 * bmr + s2 * cmr)
            q2r, q2i = s2 * bmi - s1 * cmi, -(s2 * bmr - s1 * cmr)
            yr[t], yi[t] = ar + bpr + cpr, ai + bpi + cpi
            yr[w + t], yi[w + t] = r1r + q1r, r1i + q1i
            yr[2 * w + t], yi[2 * w + t] = r2r + q2r, r2i + q2i
            yr[3 * w + t], yi[3 * w + t] = r2r - q2r, r2i - q2i
            yr[4 * w + t], yi[4 * w + t] = r1r - q1r, r1i - q1i


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
            _last_stage(scratch[src], scratch[src + 1], scratch[dst], scratch[dst + 1], s, r, nb)
        else:
            _stage(
                scratch[src], scratch[src + 1], scratch[dst], scratch[dst + 1],
                n_stage, s, r, twiddle, off, nb,
            )  # fmt: skip
        off += n_stage
        n_stage //= r
        s *= r
        src = dst
    return src


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
    for k in range(1, half // 2 + 1):
        c = half - k
        wr, wi = twiddle[0, sw + k], twiddle[1, sw + k]
        for b in range(nb):
            g1, g2 = gain[lane_gain[b], k], gain[lane_gain[b], c]
            sg = 0.25 * (g1 + g2) * inv
            dg = 0.25 * (g1 - g2) * inv
            ar, ai = zr[k * nb + b], zi[k * nb + b]
            cr, ci = zr[c * nb + b], zi[c * nb + b]
            # 2E and 2O: the spectra of the even and odd samples at k
            er, ei = ar + cr, ai - ci
            or_, oi = ai + ci, cr - ar
            pr, pi = or_ * wr - oi * wi, or_ * wi + oi * wr  # 2 W^k O
            ner, nei = sg * er + dg * pr, sg * ei + dg * pi
            dr, di = dg * er + sg * pr, dg * ei + sg * pi
            nor, noi = dr * wr + di * wi, di * wr - dr * wi  # times conj(W^k)
            zr[k * nb + b] = ner - noi
            zi[k * nb + b] = -(nei + nor)
            if c != k:
                zr[c * nb + b] = ner + noi
                zi[c * nb + b] = nei - nor
    out = _fft(scratch, half, factors, twiddle, nb, out)
    zr, zi = scratch[out], scratch[out + 1]
    for m in range(half):
        for b in range(nb):
            rows[lane_row[b], 2 * m] = zr[m * nb + b]
            rows[lane_row[b], 2 * m + 1] = -zi[m * nb + b]
