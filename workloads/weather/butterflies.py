"""Butterfly stages of the polar filter's batched Stockham FFT (see :mod:`.fourier`).

Data are flat arrays with the lane (row) index innermost: point ``k`` of lane ``b`` of
``nb`` lanes is at ``k * nb + b``, real and imaginary parts in separate arrays.  Every
butterfly input and output is a run of consecutive numbers, taken as a view and indexed
with the loop counter: addresses stay affine, so the loops over a run vectorise (with a
computed index, which could be negative, Numba's wrap-around test keeps them scalar).
Radix 2, 3, 4 and 5 are written out; other primes use a plain DFT.

A stage reads and writes the whole working array, which for a batch of long rows lives
in L2, not L1; each pass costs about as much as copying it (measured at 360 and 1440
points, 48 lanes), whatever the butterfly.  :func:`pair_stage` therefore does two
stages in one pass: the first writes into a small buffer that stays in L1, the second
reads it back from there.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["PAIR_BUFFER", "stage", "pair_stage"]


@njit(cache=True, inline="always")
def _radix2(xr, xi, yr, yi, i0, istep, o0, ostep, w, tw, tb, tws):
    """One radix-2 butterfly on runs of ``w`` numbers: inputs at ``i0 + j * istep``,
    outputs at ``o0 + u * ostep``, output ``u`` times ``tw[:, tb + u]`` if ``tws``
    (output 0's twiddle is one and never read)."""
    w1r, w1i = (tw[0, tb + 1], tw[1, tb + 1]) if tws else (1.0, 0.0)
    ar_, ai_ = xr[i0 : i0 + w], xi[i0 : i0 + w]
    br_, bi_ = xr[i0 + istep : i0 + istep + w], xi[i0 + istep : i0 + istep + w]
    y0r, y0i = yr[o0 : o0 + w], yi[o0 : o0 + w]
    y1r, y1i = yr[o0 + ostep : o0 + ostep + w], yi[o0 + ostep : o0 + ostep + w]
    for t in range(w):
        ar, ai = ar_[t], ai_[t]
        br, bi = br_[t], bi_[t]
        y0r[t], y0i[t] = ar + br, ai + bi
        dr, di = ar - br, ai - bi
        if tws:
            dr, di = dr * w1r - di * w1i, dr * w1i + di * w1r
        y1r[t], y1i[t] = dr, di


@njit(cache=True, inline="always")
def _radix3(xr, xi, yr, yi, i0, istep, o0, ostep, w, tw, tb, tws):
    """Radix 3, arguments as for :func:`_radix2`."""
    s3 = 0.5 * np.sqrt(3.0)
    one = (1.0, 0.0)
    w1r, w1i = (tw[0, tb + 1], tw[1, tb + 1]) if tws else one
    w2r, w2i = (tw[0, tb + 2], tw[1, tb + 2]) if tws else one
    ar_, ai_ = xr[i0 : i0 + w], xi[i0 : i0 + w]
    br_, bi_ = xr[i0 + istep : i0 + istep + w], xi[i0 + istep : i0 + istep + w]
    cr_, ci_ = xr[i0 + 2 * istep : i0 + 2 * istep + w], xi[i0 + 2 * istep : i0 + 2 * istep + w]
    y0r, y0i = yr[o0 : o0 + w], yi[o0 : o0 + w]
    y1r, y1i = yr[o0 + ostep : o0 + ostep + w], yi[o0 + ostep : o0 + ostep + w]
    y2r, y2i = yr[o0 + 2 * ostep : o0 + 2 * ostep + w], yi[o0 + 2 * ostep : o0 + 2 * ostep + w]
    for t in range(w):
        ar, ai = ar_[t], ai_[t]
        br, bi = br_[t], bi_[t]
        cr, ci = cr_[t], ci_[t]
        t1r, t1i = br + cr, bi + ci
        t2r, t2i = ar - 0.5 * t1r, ai - 0.5 * t1i
        # -i sqrt(3)/2 (b - c)
        rr, ri = s3 * (bi - ci), -s3 * (br - cr)
        y0r[t], y0i[t] = ar + t1r, ai + t1i
        tr, ti = t2r + rr, t2i + ri
        ur, ui = t2r - rr, t2i - ri
        if tws:
            tr, ti = tr * w1r - ti * w1i, tr * w1i + ti * w1r
            ur, ui = ur * w2r - ui * w2i, ur * w2i + ui * w2r
        y1r[t], y1i[t] = tr, ti
        y2r[t], y2i[t] = ur, ui


@njit(cache=True, inline="always")
def _radix4(xr, xi, yr, yi, i0, istep, o0, ostep, w, tw, tb, tws):
    """Radix 4, arguments as for :func:`_radix2`."""
    one = (1.0, 0.0)
    w1r, w1i = (tw[0, tb + 1], tw[1, tb + 1]) if tws else one
    w2r, w2i = (tw[0, tb + 2], tw[1, tb + 2]) if tws else one
    w3r, w3i = (tw[0, tb + 3], tw[1, tb + 3]) if tws else one
    i1, i2, i3 = i0 + istep, i0 + 2 * istep, i0 + 3 * istep
    o1, o2, o3 = o0 + ostep, o0 + 2 * ostep, o0 + 3 * ostep
    ar_, ai_, br_, bi_ = xr[i0 : i0 + w], xi[i0 : i0 + w], xr[i1 : i1 + w], xi[i1 : i1 + w]
    cr_, ci_, dr_, di_ = xr[i2 : i2 + w], xi[i2 : i2 + w], xr[i3 : i3 + w], xi[i3 : i3 + w]
    y0r, y0i, y1r, y1i = yr[o0 : o0 + w], yi[o0 : o0 + w], yr[o1 : o1 + w], yi[o1 : o1 + w]
    y2r, y2i, y3r, y3i = yr[o2 : o2 + w], yi[o2 : o2 + w], yr[o3 : o3 + w], yi[o3 : o3 + w]
    for t in range(w):
        ar, ai = ar_[t], ai_[t]
        br, bi = br_[t], bi_[t]
        cr, ci = cr_[t], ci_[t]
        dr, di = dr_[t], di_[t]
        apcr, apci = ar + cr, ai + ci
        amcr, amci = ar - cr, ai - ci
        bpdr, bpdi = br + dr, bi + di
        # -i (b - d): the radix-4 rotation, exact
        jr, ji = bi - di, dr - br
        y0r[t], y0i[t] = apcr + bpdr, apci + bpdi
        tr, ti = amcr + jr, amci + ji
        ur, ui = apcr - bpdr, apci - bpdi
        vr, vi = amcr - jr, amci - ji
        if tws:
            tr, ti = tr * w1r - ti * w1i, tr * w1i + ti * w1r
            ur, ui = ur * w2r - ui * w2i, ur * w2i + ui * w2r
            vr, vi = vr * w3r - vi * w3i, vr * w3i + vi * w3r
        y1r[t], y1i[t] = tr, ti
        y2r[t], y2i[t] = ur, ui
        y3r[t], y3i[t] = vr, vi


# Numbers of a run done at a time by :func:`_radix5`: its ten input strips (20 KiB) stay
# in L1 between its two loops.
_STRIP = 256


@njit(cache=True, inline="always")
def _radix5(xr, xi, yr, yi, i0, istep, o0, ostep, w, tw, tb, tws):
    """One radix-5 butterfly on runs of ``w`` numbers: inputs at ``i0 + j * istep``,
    outputs at ``o0 + u * ostep``, output ``u`` times ``tw[:, tb + u]`` if ``tws``.

    Outputs 0, 1, 4 and outputs 2, 3 are computed in two loops over each strip: one loop
    over all twenty runs needs more run-time overlap tests than LLVM allows, so it stayed
    scalar; each of the two vectorises.  Every output is the same expression as in one
    loop, so the results do not change.
    """
    c1, c2 = np.cos(0.4 * np.pi), np.cos(0.8 * np.pi)
    s1, s2 = np.sin(0.4 * np.pi), np.sin(0.8 * np.pi)
    one = (1.0, 0.0)
    w1r, w1i = (tw[0, tb + 1], tw[1, tb + 1]) if tws else one
    w2r, w2i = (tw[0, tb + 2], tw[1, tb + 2]) if tws else one
    w3r, w3i = (tw[0, tb + 3], tw[1, tb + 3]) if tws else one
    w4r, w4i = (tw[0, tb + 4], tw[1, tb + 4]) if tws else one
    for t0 in range(0, w, _STRIP):
        n = min(_STRIP, w - t0)
        i, o = i0 + t0, o0 + t0
        ar_, ai_ = xr[i : i + n], xi[i : i + n]
        br_, bi_ = xr[i + istep : i + istep + n], xi[i + istep : i + istep + n]
        cr_, ci_ = xr[i + 2 * istep : i + 2 * istep + n], xi[i + 2 * istep : i + 2 * istep + n]
        dr_, di_ = xr[i + 3 * istep : i + 3 * istep + n], xi[i + 3 * istep : i + 3 * istep + n]
        er_, ei_ = xr[i + 4 * istep : i + 4 * istep + n], xi[i + 4 * istep : i + 4 * istep + n]
        y0r, y0i = yr[o : o + n], yi[o : o + n]
        y1r, y1i = yr[o + ostep : o + ostep + n], yi[o + ostep : o + ostep + n]
        y2r, y2i = yr[o + 2 * ostep : o + 2 * ostep + n], yi[o + 2 * ostep : o + 2 * ostep + n]
        y3r, y3i = yr[o + 3 * ostep : o + 3 * ostep + n], yi[o + 3 * ostep : o + 3 * ostep + n]
        y4r, y4i = yr[o + 4 * ostep : o + 4 * ostep + n], yi[o + 4 * ostep : o + 4 * ostep + n]
        for t in range(n):
            ar, ai = ar_[t], ai_[t]
            bpr, bpi = br_[t] + er_[t], bi_[t] + ei_[t]
            bmr, bmi = br_[t] - er_[t], bi_[t] - ei_[t]
            cpr, cpi = cr_[t] + dr_[t], ci_[t] + di_[t]
            cmr, cmi = cr_[t] - dr_[t], ci_[t] - di_[t]
            r1r, r1i = ar + c1 * bpr + c2 * cpr, ai + c1 * bpi + c2 * cpi
            # -i times the sine combination
            q1r, q1i = s1 * bmi + s2 * cmi, -(s1 * bmr + s2 * cmr)
            y0r[t], y0i[t] = ar + bpr + cpr, ai + bpi + cpi
            tr, ti = r1r + q1r, r1i + q1i
            ur, ui = r1r - q1r, r1i - q1i
            if tws:
                tr, ti = tr * w1r - ti * w1i, tr * w1i + ti * w1r
                ur, ui = ur * w4r - ui * w4i, ur * w4i + ui * w4r
            y1r[t], y1i[t] = tr, ti
            y4r[t], y4i[t] = ur, ui
        for t in range(n):
            ar, ai = ar_[t], ai_[t]
            bpr, bpi = br_[t] + er_[t], bi_[t] + ei_[t]
            bmr, bmi = br_[t] - er_[t], bi_[t] - ei_[t]
            cpr, cpi = cr_[t] + dr_[t], ci_[t] + di_[t]
            cmr, cmi = cr_[t] - dr_[t], ci_[t] - di_[t]
            r2r, r2i = ar + c2 * bpr + c1 * cpr, ai + c2 * bpi + c1 * cpi
            q2r, q2i = s2 * bmi - s1 * cmi, -(s2 * bmr - s1 * cmr)
            tr, ti = r2r + q2r, r2i + q2i
            ur, ui = r2r - q2r, r2i - q2i
            if tws:
                tr, ti = tr * w2r - ti * w2i, tr * w2i + ti * w2r
                ur, ui = ur * w3r - ui * w3i, ur * w3i + ui * w3r
            y2r[t], y2i[t] = tr, ti
            y3r[t], y3i[t] = ur, ui


@njit(cache=True, inline="always")
def _radix_any(xr, xi, yr, yi, i0, istep, o0, ostep, w, tw, tb, tws, r):
    """Any other radix ``r``: the plain DFT of ``r`` points, arguments as for
    :func:`_radix2`."""
    for u in range(r):
        o = o0 + u * ostep
        wr, wi = (tw[0, tb + u], tw[1, tb + u]) if tws else (1.0, 0.0)
        for t in range(w):
            accr, acci = 0.0, 0.0
            for j in range(r):
                ang = -2.0 * np.pi * ((j * u) % r) / r
                er, ei = np.cos(ang), np.sin(ang)
                xr_, xi_ = xr[i0 + j * istep + t], xi[i0 + j * istep + t]
                accr += xr_ * er - xi_ * ei
                acci += xr_ * ei + xi_ * er
            yr[o + t] = accr * wr - acci * wi
            yi[o + t] = accr * wi + acci * wr


@njit(cache=True)
def _butterflies(r, xr, xi, yr, yi, i0, istep, o0, ostep, w, tw, tb, tws, count, di, do, dtb):
    """``count`` radix-``r`` butterflies on runs, arguments as for :func:`_radix2` for
    the first; each next one starts ``di``, ``do`` and ``dtb`` further on.

    The radix is picked once for all of them: with the choice inside the loop (all five
    butterflies inlined in it), a stage of short runs took twice as long (measured at
    180 points, 48 lanes).
    """
    if r == 4:
        for c in range(count):
            _radix4(
                xr, xi, yr, yi, i0 + c * di, istep, o0 + c * do, ostep, w, tw, tb + c * dtb, tws
            )
    elif r == 2:
        for c in range(count):
            _radix2(
                xr, xi, yr, yi, i0 + c * di, istep, o0 + c * do, ostep, w, tw, tb + c * dtb, tws
            )
    elif r == 3:
        for c in range(count):
            _radix3(
                xr, xi, yr, yi, i0 + c * di, istep, o0 + c * do, ostep, w, tw, tb + c * dtb, tws
            )
    elif r == 5:
        for c in range(count):
            _radix5(
                xr, xi, yr, yi, i0 + c * di, istep, o0 + c * do, ostep, w, tw, tb + c * dtb, tws
            )
    else:
        for c in range(count):
            _radix_any(xr, xi, yr, yi, i0 + c * di, istep, o0 + c * do, ostep, w, tw,
                       tb + c * dtb, tws, r)  # fmt: skip


@njit(cache=True)
def stage(xr, xi, yr, yi, n_stage, s, r, tw, off, nb):
    """One Stockham stage: radix-``r`` butterflies from ``x`` into ``y`` (stride ``s``).

    Arrays are flat, ``nb`` lanes per point: for a fixed ``p`` the ``s`` points a
    butterfly input spans are ``s * nb`` consecutive numbers, and so is each output.
    The last stage (``n_stage == r``) has twiddles that are all exactly one and skips
    their multiplications.
    """
    m = n_stage // r
    w = s * nb  # consecutive numbers per butterfly input or output
    if r == 1:
        for k in range(xr.shape[0]):
            yr[k] = xr[k]
            yi[k] = xi[k]
        return
    # Numba compiles a callee once more for literal arguments: no literals below.
    zero = np.int64(0)
    _butterflies(r, xr, xi, yr, yi, zero, w * m, zero, w, w, tw, off, m > 1, m, w, w * r, r)


# Numbers per part (real, imaginary) of the buffer :func:`pair_stage` passes through:
# 2 x 16 KiB, which stay in L1 between its two stages.
PAIR_BUFFER = 2048


@njit(cache=True)
def pair_stage(xr, xi, yr, yi, br, bi, n_stage, s, r1, r2, tw, off, nb):
    """Two stages in one pass: radix ``r1`` at ``n_stage`` (stride ``s``, twiddles from
    ``tw[:, off]``), then radix ``r2`` at ``n_stage // r1``, from ``x`` into ``y``.

    The ``r1 * r2`` points one second-stage butterfly position needs come from ``r2``
    first-stage positions; for each position the runs go through the buffer
    ``(br, bi)`` of :data:`PAIR_BUFFER` numbers a chunk at a time.  Every output is the
    expression :func:`stage` computes, so two stages and one pair agree bit for bit.
    """
    m1 = n_stage // r1
    m2 = m1 // r2
    run = s * nb  # numbers per point in the first stage
    run2 = run * r1  # and in the second
    chunk = br.shape[0] // (r1 * r2)
    if chunk > 8:
        chunk -= chunk % 8  # whole vectors
    off2 = off + n_stage
    zero = np.int64(0)  # not a literal: see stage
    for p in range(m2):
        for t0 in range(0, run, chunk):
            n = min(chunk, run - t0)
            # first stage, positions p + j * m2 for j < r2: into the buffer, output u of
            # position j at (j * r1 + u) * chunk
            _butterflies(r1, xr, xi, br, bi, p * run + t0, m1 * run, zero, chunk, n, tw,
                         off + r1 * p, m1 > 1, r2, m2 * run, r1 * chunk, r1 * m2)  # fmt: skip
            # second stage, position p: one butterfly per first-stage output u
            _butterflies(r2, br, bi, yr, yi, zero, r1 * chunk, r2 * p * run2 + t0, run2, n, tw,
                         off2 + r2 * p, m2 > 1, r1, chunk, run, zero)  # fmt: skip
