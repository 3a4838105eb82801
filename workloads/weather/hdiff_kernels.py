"""Numba kernels for COSMO horizontal diffusion (hdiff) on (level, lat, lon) fields.

The kernels assume clean, C-contiguous float64 arrays; :mod:`.canonical` checks
them.  Each is a single compiled signature (halo variants are runtime
arguments, not types); there is a second kernel for streaming stores.  Every
expression is evaluated in the same order as :mod:`.canonical_reference`, so
the results agree bit for bit.

Speed comes from streaming every input once.  The kernel walks each (level,
latitude band) row by row and reads the input rows in place: only the two
wrapped columns at each end take scalar code, and only the folded rows beyond a
pole are copied.  Its two-row buffers of Laplacians and lat fluxes stay in L1/L2.
Reading in place instead of copying each row into a padded buffer cut its
compute by ~17 % and raised it from ~62 % to ~70 % of the STREAM triad on one
thread (1 and 0.25 deg, 64 levels).
With non-temporal stores (:mod:`.nontemporal`) the output lines are not read
from memory before being overwritten, so a point moves 3 instead of 4 lines of
memory traffic; even so that kernel measured slower than normal stores on both
machines tried, so :mod:`.canonical` uses it only when told to.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .nontemporal import aligned_start, store_fence, stream_store

__all__ = ["hdiff_kernel", "hdiff_stream_kernel"]


@njit(cache=True, inline="always")
def _lon(row, i, o, nlon):
    # the value at longitude i of a source row with o halo columns each side; without
    # a halo (o == 0) longitude wraps
    if o:
        return row[i + o]
    return row[i % nlon]


@njit(cache=True, inline="always")
def _src_row(src, lev, g, lon_halo, fold):
    # Source row g as stored.  On a global grid (no halo) a row beyond a pole is the
    # row at the same latitude on the other side, 180 degrees of longitude away:
    # written into fold, rotated.
    nlat = src.shape[1]
    if lon_halo == 0 and (g < 0 or g >= nlat):
        nlon = src.shape[2]
        row = src[lev, -1 - g if g < 0 else 2 * nlat - 1 - g]
        half = nlon // 2
        for i in range(nlon - half):
            fold[i] = row[i + half]
        for i in range(half):
            fold[nlon - half + i] = row[i]
        return fold
    return src[lev, g]


# Helpers called once per task are compiled on their own rather than inlined:
# inlining every copy tripled the kernel's compile time (4 s -> 11 s) for no
# measurable speed.  The per-row helpers stay inlined (a call per row would cost
# reference counting on every array argument).
@njit(cache=True)
def _src_row_once(src, lev, g, lon_halo, fold):
    return _src_row(src, lev, g, lon_halo, fold)


@njit(cache=True, inline="always")
def _lap_at(dn, c, up, i, o, nlon):
    return 4.0 * _lon(c, i, o, nlon) - (
        _lon(c, i + 1, o, nlon)
        + _lon(c, i - 1, o, nlon)
        + _lon(up, i, o, nlon)
        + _lon(dn, i, o, nlon)
    )


@njit(cache=True)
def _lap_row(dst, dn, c, up, o, nlon):
    # dst[i + 1] is the Laplacian at lon i = -1 .. nlon.  The interior reads the
    # rows in place (views from lon 0, every index a plain counter, so the loop
    # vectorises); the 2 columns at each end wrap.
    dnv, cv, upv = dn[o:], c[o:], up[o:]
    for q in range(nlon - 2):
        dst[q + 2] = 4.0 * cv[q + 1] - (cv[q + 2] + cv[q] + upv[q + 1] + dnv[q + 1])
    for i in (-1, 0, nlon - 1, nlon):
        dst[i + 1] = _lap_at(dn, c, up, i, o, nlon)


@njit(cache=True)
def _fly_row(dst, lap_lo, lap_hi, in_lo, in_hi, o, nlon):
    # flux through the face between two rows, limited where it runs down the gradient
    lo, hi = in_lo[o:], in_hi[o:]
    for i in range(nlon):
        f = lap_hi[i + 1] - lap_lo[i + 1]
        if f * (hi[i] - lo[i]) > 0.0:
            f = 0.0
        dst[i] = f


@njit(cache=True, inline="always")
def _edge_point(i, c, up, nx, lap_c, lap_up, fly_dn, fly_up, crow, orow, o, nlon):
    # one point of the fused row update below, with longitudes that wrap
    ci = _lon(c, i, o, nlon)
    lu = 4.0 * _lon(up, i, o, nlon) - (
        _lon(up, i + 1, o, nlon) + _lon(up, i - 1, o, nlon) + _lon(nx, i, o, nlon) + ci
    )
    lap_up[i + 1] = lu
    fe = lap_c[i + 2] - lap_c[i + 1]
    if fe * (_lon(c, i + 1, o, nlon) - ci) > 0.0:
        fe = 0.0
    fw = lap_c[i + 1] - lap_c[i]
    if fw * (ci - _lon(c, i - 1, o, nlon)) > 0.0:
        fw = 0.0
    fn = lu - lap_c[i + 1]
    if fn * (_lon(up, i, o, nlon) - ci) > 0.0:
        fn = 0.0
    fly_up[i] = fn
    orow[i] = ci - crow[i] * (fe - fw + fn - fly_dn[i])


@njit(cache=True, inline="always")
def _fused_span(nb, cv, upv, nxv, lcv, luv, fdv, fuv, crv, orv, stream):
    # One fused pass over nb interior points of a row: the next row's Laplacian, the
    # limited fluxes (each lon flux evaluated as the east face of i and again as the
    # west face of i + 1, cheaper than a store and reload) and the update.  The
    # rows are read in place; every view starts one point before the span.
    for q in range(nb):
        lu = 4.0 * upv[q + 1] - (upv[q + 2] + upv[q] + nxv[q + 1] + cv[q + 1])
        luv[q + 2] = lu
        fe = lcv[q + 3] - lcv[q + 2]
        if fe * (cv[q + 2] - cv[q + 1]) > 0.0:
            fe = 0.0
        fw = lcv[q + 2] - lcv[q + 1]
        if fw * (cv[q + 1] - cv[q]) > 0.0:
            fw = 0.0
        fn = lu - lcv[q + 2]
        if fn * (upv[q + 1] - cv[q + 1]) > 0.0:
            fn = 0.0
        fuv[q + 1] = fn
        value = cv[q + 1] - crv[q + 1] * (fe - fw + fn - fdv[q + 1])
        if stream:
            stream_store(orv, q + 1, value)
        else:
            orv[q + 1] = value


@njit(cache=True, inline="always")
def _hdiff_band(src, lev, j0, j1, lat0, o, coeff, cconst, folds, laps, flys, stream, out):
    # output rows j0 .. j1 - 1 of one level, walked row by row
    nlon = out.shape[2]
    scalar_coeff = coeff.size == 1
    g0 = lat0 + j0
    # prime: lap rows j0-1 and j0, fly row j0-1; row r of the band uses
    # fold slot r % 4, so a folded row lives until its slot comes round
    r_2 = _src_row_once(src, lev, g0 - 2, o, folds[2])
    r_1 = _src_row_once(src, lev, g0 - 1, o, folds[3])
    c = _src_row_once(src, lev, g0, o, folds[0])
    up = _src_row_once(src, lev, g0 + 1, o, folds[1])
    _lap_row(laps[1], r_2, r_1, c, o, nlon)
    _lap_row(laps[0], r_1, c, up, o, nlon)
    _fly_row(flys[1], laps[1], laps[0], r_1, c, o, nlon)
    for j in range(j0, j1):
        t = j - j0
        nx = _src_row(src, lev, g0 + t + 2, o, folds[(t + 2) % 4])
        lap_c = laps[t % 2]
        lap_up = laps[(t + 1) % 2]
        # the two halo columns of the next Laplacian row; the rest is fused below
        lap_up[0] = _lap_at(c, up, nx, -1, o, nlon)
        lap_up[nlon + 1] = _lap_at(c, up, nx, nlon, o, nlon)
        fly_dn = flys[(t + 1) % 2]
        fly_up = flys[t % 2]
        crow = cconst if scalar_coeff else coeff[lev, j]
        orow = out[lev, j]
        if stream:
            # non-temporal stores in whole vectors of 4 from the first 32-byte aligned
            # interior point a on; the points before a and after the vectors (among
            # them the two wrapped columns) take the scalar path
            a = aligned_start(orow, 1, nlon - 1)
            nb = (nlon - 1 - a) // 4 * 4
            b = a - 1  # views from lon a - 1, so interior point i = a + q is q + 1
            _fused_span(nb, c[o + b :], up[o + b :], nx[o + b :], lap_c[b:], lap_up[b:],
                        fly_dn[b:], fly_up[b:], crow[b:], orow[b:], True)  # fmt: skip
            for r in range(nlon - nb):
                i = r if r < a else r + nb
                _edge_point(i, c, up, nx, lap_c, lap_up, fly_dn, fly_up, crow, orow, o, nlon)
        else:
            # views from lon 0: interior points i = q + 1, the wrapped columns after
            _fused_span(nlon - 2, c[o:], up[o:], nx[o:], lap_c, lap_up, fly_dn, fly_up,
                        crow, orow, False)  # fmt: skip
            for i in (0, nlon - 1):
                _edge_point(i, c, up, nx, lap_c, lap_up, fly_dn, fly_up, crow, orow, o, nlon)
        c, up = up, nx


@njit(cache=True, inline="always")
def _hdiff_tasks(src, lat0, lon_halo, coeff, nbands, nchunks, stream, out):
    """COSMO horizontal diffusion with flux limiter into ``out`` (nlev, nout, nlon).

    Output row ``j`` is centred on source row ``lat0 + j``.  With ``lon_halo == 2``
    the source carries 2 halo rows and columns on each side; with 0 it is a whole
    global grid, periodic in longitude, whose rows beyond the poles are folded
    across them (the rows ``accel.halo.ghost_rows`` builds).  ``coeff`` is
    ``out``-shaped, or (1, 1, 1) for a constant.  Work is split into
    ``nlev * nbands`` (level, latitude band) tasks handed out as ``nchunks``
    contiguous runs.  With ``stream`` (a literal) the output takes non-temporal
    stores.
    """
    nlev, nout, nlon = out.shape
    o = lon_halo
    ntasks = nlev * nbands
    scalar_coeff = coeff.size == 1
    for chunk in prange(nchunks):
        folds = np.empty((4, src.shape[2]))
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
            _hdiff_band(src, lev, j0, j1, lat0, o, coeff, cconst, folds, laps, flys, stream, out)
        store_fence()


# Two kernels rather than a runtime flag: compiled into one function beside the
# streaming path, the normal-store path ran ~7-20 % slower (1 deg, 2 threads).
@njit(cache=True, parallel=True)
def hdiff_kernel(src, lat0, lon_halo, coeff, nbands, nchunks, out):
    """:func:`_hdiff_tasks` with normal stores."""
    _hdiff_tasks(src, lat0, lon_halo, coeff, nbands, nchunks, False, out)


@njit(cache=True, parallel=True)
def hdiff_stream_kernel(src, lat0, lon_halo, coeff, nbands, nchunks, out):
    """:func:`_hdiff_tasks` with non-temporal stores of the output."""
    _hdiff_tasks(src, lat0, lon_halo, coeff, nbands, nchunks, True, out)
