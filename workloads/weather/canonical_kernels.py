"""Numba kernels for the canonical weather stencils (hdiff, vadv) on (level, lat, lon) fields.

The kernels assume clean, C-contiguous float64 arrays; :mod:`.canonical` checks
them.  Each one is a single compiled signature (halo variants are runtime
arguments, not types), and each evaluates every expression in the same order as
:mod:`.canonical_reference`, so the results agree bit for bit.

Speed comes from streaming every input once: ``hdiff`` walks each (level,
latitude band) row by row with small ring buffers of padded input rows,
Laplacian rows and flux rows that stay in L1/L2, and ``vadv`` sweeps a strip of
consecutive points of the (lat, lon) plane through all levels with its Thomas
coefficients in a per-thread scratch that stays in L2.  Work is split into one contiguous run of tasks per
thread, and scratch is allocated once per thread, outside the loops.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .canonical_reference import BET_M, BET_P

__all__ = ["hdiff_kernel", "vadv_kernel"]


@njit(cache=True, inline="always")
def _load_row(dst, row, lon_halo, nlon):
    # dst holds lon -2 .. nlon + 1
    if lon_halo == 2:
        for i in range(nlon + 4):
            dst[i] = row[i]
    else:
        for i in range(nlon):
            dst[i + 2] = row[i]
        dst[0] = row[nlon - 2]
        dst[1] = row[nlon - 1]
        dst[nlon + 2] = row[0]
        dst[nlon + 3] = row[1]


@njit(cache=True, inline="always")
def _load_src_row(dst, src, lev, g, lon_halo):
    # dst holds lon -2 .. nlon + 1 of source row g.  Without a lon halo the grid
    # is global: longitude wraps, and a row beyond a pole is the row at the same
    # latitude on the other side, 180 degrees of longitude away.
    nlat, nlon = src.shape[1], src.shape[2] - 2 * lon_halo
    if lon_halo == 0 and (g < 0 or g >= nlat):
        row = src[lev, -1 - g if g < 0 else 2 * nlat - 1 - g]
        half = nlon // 2
        for i in range(nlon + 4):
            dst[i] = row[(i - 2 + half) % nlon]
    else:
        _load_row(dst, src[lev, g], lon_halo, nlon)


@njit(cache=True, inline="always")
def _lap_row(dst, dn, c, up, nlon):
    # dst holds lon -1 .. nlon; rows hold lon -2 .. nlon + 1
    for i in range(1, nlon + 3):
        dst[i - 1] = 4.0 * c[i] - (c[i + 1] + c[i - 1] + up[i] + dn[i])


@njit(cache=True, inline="always")
def _fly_row(dst, lap_lo, lap_hi, in_lo, in_hi, nlon):
    # flux through the face between two rows, limited where it runs down the gradient
    for i in range(nlon):
        f = lap_hi[i + 1] - lap_lo[i + 1]
        if f * (in_hi[i + 2] - in_lo[i + 2]) > 0.0:
            f = 0.0
        dst[i] = f


@njit(cache=True, parallel=True)
def hdiff_kernel(src, lat0, lon_halo, coeff, nbands, nchunks, out):
    """COSMO horizontal diffusion with flux limiter into ``out`` (nlev, nout, nlon).

    Output row ``j`` is centred on source row ``lat0 + j``.  With ``lon_halo == 2``
    the source carries 2 halo rows and columns on each side; with 0 it is a whole
    global grid, periodic in longitude, whose rows beyond the poles are folded
    across them (the rows ``accel.halo.ghost_rows`` builds, without a copy).  ``coeff`` is ``out``-shaped, or (1, 1, 1) for a
    constant.  Work is split into ``nlev * nbands`` (level, latitude band) tasks
    handed out as ``nchunks`` contiguous runs.
    """
    nlev, nout, nlon = out.shape
    ntasks = nlev * nbands
    scalar_coeff = coeff.size == 1
    for chunk in prange(nchunks):
        rows_in = np.empty((4, nlon + 4))
        laps = np.empty((2, nlon + 2))
        flys = np.empty((2, nlon))
        cconst = np.empty(nlon)
        if scalar_coeff:
            cconst[:] = coeff[0, 0, 0]
        for task in range(chunk * ntasks // nchunks, (chunk + 1) * ntasks // nchunks):
            lev = task // nbands
            band = task % nbands
            j0 = band * nout // nbands
            j1 = (band + 1) * nout // nbands
            if j1 == j0:
                continue
            g0 = lat0 + j0
            # prime the rings: input rows j0-2 .. j0+1, lap rows j0-1 and j0, fly row j0-1
            for d in range(-2, 2):
                _load_src_row(rows_in[(d + 4) % 4], src, lev, g0 + d, lon_halo)
            _lap_row(laps[1], rows_in[2], rows_in[3], rows_in[0], nlon)
            _lap_row(laps[0], rows_in[3], rows_in[0], rows_in[1], nlon)
            _fly_row(flys[1], laps[1], laps[0], rows_in[3], rows_in[0], nlon)
            for j in range(j0, j1):
                t = j - j0
                c = rows_in[t % 4]
                up = rows_in[(t + 1) % 4]
                _load_src_row(rows_in[(t + 2) % 4], src, lev, g0 + t + 2, lon_halo)
                nx = rows_in[(t + 2) % 4]
                lap_c = laps[t % 2]
                lap_up = laps[(t + 1) % 2]
                # the two halo columns of the next Laplacian row; the rest is fused below
                lap_up[0] = 4.0 * up[1] - (up[2] + up[0] + nx[1] + c[1])
                lap_up[nlon + 1] = 4.0 * up[nlon + 2] - (
                    up[nlon + 3] + up[nlon + 1] + nx[nlon + 2] + c[nlon + 2]
                )
                fly_dn = flys[(t + 1) % 2]
                fly_up = flys[t % 2]
                crow = cconst if scalar_coeff else coeff[lev, j]
                orow = out[lev, j]
                # One fused pass per row: the next row's Laplacian, the limited fluxes
                # (each lon flux evaluated as the east face of i and again as the west
                # face of i + 1, cheaper than a store and reload) and the update.
                for i in range(nlon):
                    lu = 4.0 * up[i + 2] - (up[i + 3] + up[i + 1] + nx[i + 2] + c[i + 2])
                    lap_up[i + 1] = lu
                    fe = lap_c[i + 2] - lap_c[i + 1]
                    if fe * (c[i + 3] - c[i + 2]) > 0.0:
                        fe = 0.0
                    fw = lap_c[i + 1] - lap_c[i]
                    if fw * (c[i + 2] - c[i + 1]) > 0.0:
                        fw = 0.0
                    fn = lu - lap_c[i + 1]
                    if fn * (up[i + 2] - c[i + 2]) > 0.0:
                        fn = 0.0
                    fly_up[i] = fn
                    orow[i] = c[i + 2] - crow[i] * (fe - fw + fn - fly_dn[i])


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


@njit(cache=True, parallel=True)
def vadv_kernel(utens_stage, u_stage, wcon, u_pos, utens, dtr_stage, wrap, strip, nchunks, out):
    """Implicit vertical advection of u, one Thomas solve per column, into ``out``.

    ``wcon`` is averaged over lon columns ``i`` and ``i + 1``: with ``wrap`` it has
    ``nlon`` columns and ``i + 1`` wraps around; otherwise it has ``nlon + 1``.
    Columns are processed in strips of ``strip`` consecutive points of the
    flattened (lat, lon) plane, so a strip may span several latitude rows and each
    level contributes one contiguous run per field; the strips are handed out as
    ``nchunks`` contiguous runs.  Needs ``nlev >= 2``.
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
