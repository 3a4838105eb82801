"""Numba kernels for the canonical weather stencils (hdiff, vadv) on (level, lat, lon) fields.

The kernels assume clean, C-contiguous float64 arrays; :mod:`.canonical` checks
them.  Each one is a single compiled signature (halo variants are runtime
arguments, not types), and each evaluates every expression in the same order as
:mod:`.canonical_reference`, so the results agree bit for bit.

Speed comes from streaming every input once: ``hdiff`` walks each (level,
latitude band) row by row with small ring buffers of padded input rows,
Laplacian rows and flux rows that stay in L1/L2, and ``vadv`` sweeps a strip of
one latitude row through all levels with its Thomas coefficients in a per-thread
scratch that stays in L2.  Work is split into one contiguous run of tasks per
thread, and scratch is allocated once per thread, outside the loops.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .canonical_reference import BET_M, BET_P

__all__ = ["hdiff_kernel", "vadv_kernel"]


@njit(cache=True, inline="always")
def _src_row(src, south, north, lev, g):
    if g < 0:
        return south[lev, g + 2]
    if g >= src.shape[1]:
        return north[lev, g - src.shape[1]]
    return src[lev, g]


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
def hdiff_kernel(src, south, north, lat0, lon_halo, coeff, nbands, nchunks, out):
    """COSMO horizontal diffusion with flux limiter into ``out`` (nlev, nout, nlon).

    Output row ``j`` is centred on source row ``lat0 + j``; source rows below 0 come
    from ``south`` (2 ghost rows) and rows past the end from ``north``.  With
    ``lon_halo == 2`` the source rows carry 2 halo columns each side; with 0 they
    are periodic in longitude.  ``coeff`` is ``out``-shaped, or (1, 1, 1) for a
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
                _load_row(
                    rows_in[(d + 4) % 4], _src_row(src, south, north, lev, g0 + d), lon_halo, nlon
                )
            _lap_row(laps[1], rows_in[2], rows_in[3], rows_in[0], nlon)
            _lap_row(laps[0], rows_in[3], rows_in[0], rows_in[1], nlon)
            _fly_row(flys[1], laps[1], laps[0], rows_in[3], rows_in[0], nlon)
            for j in range(j0, j1):
                t = j - j0
                c = rows_in[t % 4]
                up = rows_in[(t + 1) % 4]
                _load_row(
                    rows_in[(t + 2) % 4],
                    _src_row(src, south, north, lev, g0 + t + 2),
                    lon_halo,
                    nlon,
                )
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
def _wsum(dst, w, i0, n, nlon, wrap):
    # w[i + 1] + w[i] over the strip; only the last column of a row can wrap
    m = n - 1 if wrap and i0 + n == nlon else n
    east = w[i0 + 1 : i0 + m + 1]
    here = w[i0 : i0 + m]
    for i in range(m):
        dst[i] = east[i] + here[i]
    if m < n:
        dst[n - 1] = w[0] + w[nlon - 1]


@njit(cache=True, parallel=True)
def vadv_kernel(utens_stage, u_stage, wcon, u_pos, utens, dtr_stage, wrap, strip, nchunks, out):
    """Implicit vertical advection of u, one Thomas solve per column, into ``out``.

    ``wcon`` is averaged over lon columns ``i`` and ``i + 1``: with ``wrap`` it has
    ``nlon`` columns and ``i + 1`` wraps around; otherwise it has ``nlon + 1``.
    Columns are processed in strips of ``strip`` longitudes of one latitude row;
    the strips are handed out as ``nchunks`` contiguous runs.  Needs ``nlev >= 2``.
    """
    nlev, nlat, nlon = out.shape
    nstrips = (nlon + strip - 1) // strip
    ntasks = nlat * nstrips
    for chunk in prange(nchunks):
        ccol = np.empty((nlev, strip))
        dcol = np.empty((nlev, strip))
        # u_pos is needed again in the back substitution; keeping the strip's copy
        # in L2 saves re-reading it from memory (1 of the 6 compulsory streams)
        upos = np.empty((nlev, strip))
        wsum = np.empty((2, strip))
        for task in range(chunk * ntasks // nchunks, (chunk + 1) * ntasks // nchunks):
            j = task // nstrips
            i0 = (task % nstrips) * strip
            n = min(strip, nlon - i0)

            # Row slices offset by i0 keep every index a plain loop counter, so no
            # negative-index wraparound code blocks vectorisation.
            i1 = i0 + n
            # top level: no level above
            _wsum(wsum[1], wcon[1, j], i0, n, nlon, wrap)
            whi = wsum[1]
            usk = u_stage[0, j, i0:i1]
            usp = u_stage[1, j, i0:i1]
            up = u_pos[0, j, i0:i1]
            ut = utens[0, j, i0:i1]
            uts = utens_stage[0, j, i0:i1]
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
                _wsum(whi, wcon[k + 1, j], i0, n, nlon, wrap)
                usm = u_stage[k - 1, j, i0:i1]
                usk = u_stage[k, j, i0:i1]
                usp = u_stage[k + 1, j, i0:i1]
                up = u_pos[k, j, i0:i1]
                ut = utens[k, j, i0:i1]
                uts = utens_stage[k, j, i0:i1]
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
            usm = u_stage[k - 1, j, i0:i1]
            usk = u_stage[k, j, i0:i1]
            up = u_pos[k, j, i0:i1]
            ut = utens[k, j, i0:i1]
            uts = utens_stage[k, j, i0:i1]
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
            orow = out[k, j, i0:i1]
            for i in range(n):
                orow[i] = dtr_stage * (dck[i] - up[i])
            for k in range(nlev - 2, -1, -1):
                up = upos[k]
                orow = out[k, j, i0:i1]
                cck = ccol[k]
                dck = dcol[k]
                dcp = dcol[k + 1]
                for i in range(n):
                    data = dck[i] - cck[i] * dcp[i]
                    dck[i] = data
                    orow[i] = dtr_stage * (data - up[i])
