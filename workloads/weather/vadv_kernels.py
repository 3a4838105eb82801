"""Numba kernel for implicit vertical advection (vadv) on (level, lat, lon) fields.

The kernel assumes clean, C-contiguous float64 arrays; :mod:`.canonical` checks
them.  It is a single compiled signature and evaluates every expression in the
same order as :mod:`.canonical_reference`, so the results agree bit for bit.

It sweeps a strip of consecutive points of the (lat, lon) plane through all
levels with its Thomas coefficients in a per-thread scratch that stays in L2.
Work is split into one contiguous run of tasks per thread, and scratch is
allocated once per thread, outside the loops.
With non-temporal stores (:mod:`.nontemporal`; :mod:`.canonical` turns them on
for outputs too large for the cache) the output lines are not read from memory
before being overwritten, so a point moves 6 instead of 7 lines of memory
traffic (compulsory bytes are unchanged: every input read once, the output
written once).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .canonical_reference import BET_M, BET_P
from .nontemporal import aligned_start, store_fence, stream_store

__all__ = ["vadv_kernel"]


@njit(cache=True, inline="always")
def _wsum_flat(dst, wk, p0, n, nlon, wrap):
    # dst[q] = w[i + 1] + w[i] at flattened plane points p0 .. p0 + n - 1 of one level;
    # wk is that level's (nlat, ncol) plane.  Rows are done segment by segment.
    q = 0
    while q < n:
        p = p0 + q
        j = p // nlon
        i0 = p - j * nlon
        m = min(n - q, nlon - i0)
        row = wk[j]
        last = wrap and i0 + m == nlon
        mm = m - 1 if last else m
        east = row[i0 + 1 : i0 + mm + 1]
        here = row[i0 : i0 + mm]
        d = dst[q : q + mm]
        for i in range(mm):
            d[i] = east[i] + here[i]
        if last:
            dst[q + m - 1] = row[0] + row[nlon - 1]
        q += m


# Streaming back substitution: the output rows take non-temporal stores in their
# 32-byte aligned middle (no read of the output lines before they are written: 6
# instead of 7 memory transfers per point), normal stores before and after it.
@njit(cache=True, inline="always")
def _last_out_row(orow, dck, up, dtr_stage, n):
    # bottom level: the solution is dcol itself
    h = aligned_start(orow, 0, n)
    nb = (n - h) // 4 * 4
    for i in range(h):
        orow[i] = dtr_stage * (dck[i] - up[i])
    ov, dv, uv = orow[h : h + nb], dck[h : h + nb], up[h : h + nb]
    for i in range(nb):
        stream_store(ov, i, dtr_stage * (dv[i] - uv[i]))
    for i in range(h + nb, n):
        orow[i] = dtr_stage * (dck[i] - up[i])


@njit(cache=True, inline="always")
def _back_out_row(orow, dck, cck, dcp, up, dtr_stage, n):
    # one level of the back substitution; dck is overwritten by the solution
    h = aligned_start(orow, 0, n)
    nb = (n - h) // 4 * 4
    for i in range(h):
        data = dck[i] - cck[i] * dcp[i]
        dck[i] = data
        orow[i] = dtr_stage * (data - up[i])
    ov, dv, cv, pv, uv = (
        orow[h : h + nb],
        dck[h : h + nb],
        cck[h : h + nb],
        dcp[h : h + nb],
        up[h : h + nb],
    )
    for i in range(nb):
        data = dv[i] - cv[i] * pv[i]
        dv[i] = data
        stream_store(ov, i, dtr_stage * (data - uv[i]))
    for i in range(h + nb, n):
        data = dck[i] - cck[i] * dcp[i]
        dck[i] = data
        orow[i] = dtr_stage * (data - up[i])


# A separate function, called once per strip: inlined into the kernel, this branch
# made LLVM compile the kernel's normal-store path ~40 % slower (1 deg, 2 threads).
@njit(cache=True)
def _stream_back_substitution(out3, ccol, dcol, upos, up_last, dtr_stage, p0, n):
    nlev = out3.shape[0]
    i1 = p0 + n
    _last_out_row(out3[nlev - 1, p0:i1], dcol[nlev - 1], up_last, dtr_stage, n)
    for k in range(nlev - 2, -1, -1):
        _back_out_row(out3[k, p0:i1], dcol[k], ccol[k], dcol[k + 1], upos[k], dtr_stage, n)


@njit(cache=True, parallel=True)
def vadv_kernel(
    utens_stage, u_stage, wcon, u_pos, utens, dtr_stage, wrap, strip, nchunks, stream, out
):
    """Implicit vertical advection of u, one Thomas solve per column, into ``out``.

    ``wcon`` is averaged over lon columns ``i`` and ``i + 1``: with ``wrap`` it has
    ``nlon`` columns and ``i + 1`` wraps around; otherwise it has ``nlon + 1``.
    Columns are processed in strips of ``strip`` consecutive points of the
    flattened (lat, lon) plane, so a strip may span several latitude rows and each
    level contributes one contiguous run per field; the strips are handed out as
    ``nchunks`` contiguous runs.  With ``stream`` the output takes non-temporal
    stores.  Needs ``nlev >= 2``.
    """
    nlev, nlat, nlon = out.shape
    m = nlat * nlon
    uts3 = utens_stage.reshape(nlev, m)
    us3 = u_stage.reshape(nlev, m)
    up3 = u_pos.reshape(nlev, m)
    ut3 = utens.reshape(nlev, m)
    out3 = out.reshape(nlev, m)
    ntasks = (m + strip - 1) // strip
    for chunk in prange(nchunks):
        ccol = np.empty((nlev, strip))
        dcol = np.empty((nlev, strip))
        # u_pos is needed again in the back substitution; keeping the strip's copy
        # in L2 saves re-reading it from memory
        upos = np.empty((nlev, strip))
        wsum = np.empty((2, strip))
        for task in range(chunk * ntasks // nchunks, (chunk + 1) * ntasks // nchunks):
            p0 = task * strip
            n = min(strip, m - p0)
            i1 = p0 + n
            # top level: no level above
            _wsum_flat(wsum[1], wcon[1], p0, n, nlon, wrap)
            whi = wsum[1]
            usk = us3[0, p0:i1]
            usp = us3[1, p0:i1]
            up = up3[0, p0:i1]
            ut = ut3[0, p0:i1]
            uts = uts3[0, p0:i1]
            cc0 = ccol[0]
            dc0 = dcol[0]
            upc = upos[0]
            for i in range(n):
                upc[i] = up[i]
                gcv = 0.25 * whi[i]
                cs = gcv * BET_M
                cc = gcv * BET_P
                bcol = dtr_stage - cc
                corr = -cs * (usp[i] - usk[i])
                d = dtr_stage * up[i] + ut[i] + uts[i] + corr
                divided = 1.0 / bcol
                cc0[i] = cc * divided
                dc0[i] = d * divided

            for k in range(1, nlev - 1):
                wlo = wsum[k % 2]
                whi = wsum[(k + 1) % 2]
                _wsum_flat(whi, wcon[k + 1], p0, n, nlon, wrap)
                usm = us3[k - 1, p0:i1]
                usk = us3[k, p0:i1]
                usp = us3[k + 1, p0:i1]
                up = up3[k, p0:i1]
                ut = ut3[k, p0:i1]
                uts = uts3[k, p0:i1]
                ccm = ccol[k - 1]
                dcm = dcol[k - 1]
                cck = ccol[k]
                dck = dcol[k]
                upc = upos[k]
                for i in range(n):
                    upc[i] = up[i]
                    gav = -0.25 * wlo[i]
                    gcv = 0.25 * whi[i]
                    as_ = gav * BET_M
                    cs = gcv * BET_M
                    acol = gav * BET_P
                    cc = gcv * BET_P
                    bcol = dtr_stage - acol - cc
                    corr = -as_ * (usm[i] - usk[i]) - cs * (usp[i] - usk[i])
                    d = dtr_stage * up[i] + ut[i] + uts[i] + corr
                    divided = 1.0 / (bcol - ccm[i] * acol)
                    cck[i] = cc * divided
                    dck[i] = (d - dcm[i] * acol) * divided

            # bottom level: no level below
            k = nlev - 1
            wlo = wsum[k % 2]
            usm = us3[k - 1, p0:i1]
            usk = us3[k, p0:i1]
            up = up3[k, p0:i1]
            ut = ut3[k, p0:i1]
            uts = uts3[k, p0:i1]
            ccm = ccol[k - 1]
            dcm = dcol[k - 1]
            dck = dcol[k]
            for i in range(n):
                gav = -0.25 * wlo[i]
                as_ = gav * BET_M
                acol = gav * BET_P
                bcol = dtr_stage - acol
                corr = -as_ * (usm[i] - usk[i])
                d = dtr_stage * up[i] + ut[i] + uts[i] + corr
                divided = 1.0 / (bcol - ccm[i] * acol)
                dck[i] = (d - dcm[i] * acol) * divided

            # back substitution; dcol[k] is overwritten by the solution of level k
            if stream:
                _stream_back_substitution(out3, ccol, dcol, upos, up, dtr_stage, p0, n)
                continue
            orow = out3[k, p0:i1]
            for i in range(n):
                orow[i] = dtr_stage * (dck[i] - up[i])
            for k in range(nlev - 2, -1, -1):
                up = upos[k]
                orow = out3[k, p0:i1]
                cck = ccol[k]
                dck = dcol[k]
                dcp = dcol[k + 1]
                for i in range(n):
                    data = dck[i] - cck[i] * dcp[i]
                    dck[i] = data
                    orow[i] = dtr_stage * (data - up[i])
        store_fence()
