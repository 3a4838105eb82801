"""Butterfly stages of the polar filter's batched Stockham FFT (see :mod:`.fourier`).

Data are flat arrays with the lane (row) index innermost: point ``k`` of lane ``b`` of
``nb`` lanes is at ``k * nb + b``, real and imaginary parts in separate arrays.  Every
butterfly input and output is a run of consecutive numbers, taken as a view and indexed
with the loop counter: addresses stay affine, so the loops over a run vectorise (with a
computed index, which could be negative, Numba's wrap-around test keeps them scalar).
Radix 2, 3, 4 and 5 are written out; other primes use a plain DFT.

Each stage is one pass over the working arrays.  Two stages per pass, through a 32 KiB
buffer that stays in L1, made the filter alone 1.2x faster at 1440 points but the whole
shallow-water step 2-5 % slower at 0.25 deg (alternating A/B in one process, Xeon), so
it was not kept (commit a0ba833 and its revert).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["stage", "last_stage"]


@njit(cache=True)
def stage(xr, xi, yr, yi, n_stage, s, r, tw, off, nb):
    """One Stockham stage: radix-``r`` butterflies from ``x`` into ``y`` (stride ``s``).

    Arrays are flat, ``nb`` lanes per point: for a fixed ``p`` the ``s`` points a
    butterfly input spans are ``s * nb`` consecutive numbers, and so is each output.
    Each run is taken as a view, so the loops over it vectorise.
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
            ar_, ai_, br_, bi_ = xr[i0 : i0 + w], xi[i0 : i0 + w], xr[i1 : i1 + w], xi[i1 : i1 + w]
            y0r, y0i, y1r, y1i = yr[o0 : o0 + w], yi[o0 : o0 + w], yr[o1 : o1 + w], yi[o1 : o1 + w]
            for t in range(w):
                ar, ai = ar_[t], ai_[t]
                br, bi = br_[t], bi_[t]
                y0r[t] = ar + br
                y0i[t] = ai + bi
                dr, di = ar - br, ai - bi
                y1r[t] = dr * w1r - di * w1i
                y1i[t] = dr * w1i + di * w1r
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
                y0r[t] = apcr + bpdr
                y0i[t] = apci + bpdi
                tr, ti = amcr + jr, amci + ji
                y1r[t] = tr * w1r - ti * w1i
                y1i[t] = tr * w1i + ti * w1r
                tr, ti = apcr - bpdr, apci - bpdi
                y2r[t] = tr * w2r - ti * w2i
                y2i[t] = tr * w2i + ti * w2r
                tr, ti = amcr - jr, amci - ji
                y3r[t] = tr * w3r - ti * w3i
                y3i[t] = tr * w3i + ti * w3r
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
            ar_, ai_, br_, bi_ = xr[i0 : i0 + w], xi[i0 : i0 + w], xr[i1 : i1 + w], xi[i1 : i1 + w]
            cr_, ci_ = xr[i2 : i2 + w], xi[i2 : i2 + w]
            y0r, y0i, y1r, y1i = yr[o0 : o0 + w], yi[o0 : o0 + w], yr[o1 : o1 + w], yi[o1 : o1 + w]
            y2r, y2i = yr[o2 : o2 + w], yi[o2 : o2 + w]
            for t in range(w):
                ar, ai = ar_[t], ai_[t]
                br, bi = br_[t], bi_[t]
                cr, ci = cr_[t], ci_[t]
                t1r, t1i = br + cr, bi + ci
                t2r, t2i = ar - 0.5 * t1r, ai - 0.5 * t1i
                # -i sqrt(3)/2 (b - c)
                rr, ri = s3 * (bi - ci), -s3 * (br - cr)
                y0r[t] = ar + t1r
                y0i[t] = ai + t1i
                tr, ti = t2r + rr, t2i + ri
                y1r[t] = tr * w1r - ti * w1i
                y1i[t] = tr * w1i + ti * w1r
                tr, ti = t2r - rr, t2i - ri
                y2r[t] = tr * w2r - ti * w2i
                y2i[t] = tr * w2i + ti * w2r
        return
    if r == 5:
        for p in range(m):
            _radix5(xr, xi, yr, yi, w * p, w * m, w * (5 * p), w, w, tw, off + 5 * p, True)
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


# An empty twiddle table for the radix-5 last stage, whose butterfly reads none:
# ``_radix5`` still needs an array of the right type to compile against.
_NO_TWIDDLES = np.empty((2, 0))


@njit(cache=True)
def last_stage(xr, xi, yr, yi, s, r, nb):
    """The last stage (one butterfly position, ``m == 1``) of radix 3, 4 or 5, whose
    twiddles are all exactly one, so it skips their multiplications."""
    w = s * nb
    if r == 4:
        ar_, ai_, br_, bi_ = xr[0:w], xi[0:w], xr[w : 2 * w], xi[w : 2 * w]
        cr_, ci_, dr_, di_ = (
            xr[2 * w : 3 * w],
            xi[2 * w : 3 * w],
            xr[3 * w : 4 * w],
            xi[3 * w : 4 * w],
        )
        y0r, y0i, y1r, y1i = yr[0:w], yi[0:w], yr[w : 2 * w], yi[w : 2 * w]
        y2r, y2i, y3r, y3i = (
            yr[2 * w : 3 * w],
            yi[2 * w : 3 * w],
            yr[3 * w : 4 * w],
            yi[3 * w : 4 * w],
        )
        for t in range(w):
            ar, ai = ar_[t], ai_[t]
            br, bi = br_[t], bi_[t]
            cr, ci = cr_[t], ci_[t]
            dr, di = dr_[t], di_[t]
            apcr, apci = ar + cr, ai + ci
            amcr, amci = ar - cr, ai - ci
            bpdr, bpdi = br + dr, bi + di
            jr, ji = bi - di, dr - br
            y0r[t], y0i[t] = apcr + bpdr, apci + bpdi
            y1r[t], y1i[t] = amcr + jr, amci + ji
            y2r[t], y2i[t] = apcr - bpdr, apci - bpdi
            y3r[t], y3i[t] = amcr - jr, amci - ji
    elif r == 3:
        s3 = 0.5 * np.sqrt(3.0)
        ar_, ai_, br_, bi_ = xr[0:w], xi[0:w], xr[w : 2 * w], xi[w : 2 * w]
        cr_, ci_ = xr[2 * w : 3 * w], xi[2 * w : 3 * w]
        y0r, y0i, y1r, y1i = yr[0:w], yi[0:w], yr[w : 2 * w], yi[w : 2 * w]
        y2r, y2i = yr[2 * w : 3 * w], yi[2 * w : 3 * w]
        for t in range(w):
            ar, ai = ar_[t], ai_[t]
            br, bi = br_[t], bi_[t]
            cr, ci = cr_[t], ci_[t]
            t1r, t1i = br + cr, bi + ci
            t2r, t2i = ar - 0.5 * t1r, ai - 0.5 * t1i
            rr, ri = s3 * (bi - ci), -s3 * (br - cr)
            y0r[t], y0i[t] = ar + t1r, ai + t1i
            y1r[t], y1i[t] = t2r + rr, t2i + ri
            y2r[t], y2i[t] = t2r - rr, t2i - ri
    else:
        _radix5(xr, xi, yr, yi, 0, w, 0, w, w, _NO_TWIDDLES, 0, False)


# Numbers of a run done at a time by :func:`_radix5`: its ten input strips (20 KiB) stay
# in L1 between its two loops.
_STRIP = 256


@njit(cache=True)
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
