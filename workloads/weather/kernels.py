"""Numba kernel of one full model step: tendencies, polar filter and leapfrog-RAW update.

One fused pass over memory per step: latitude rows are split into blocks of
``ROWS_PER_BLOCK`` rows handed to threads with ``prange``; inside a block the rows are swept
south to north, and the quantities a row shares with its northern neighbour (mass fluxes,
potential vorticity on the corners, Bernoulli function) are kept in two-row rolling
buffers, so each is computed once per block.  A row that needs no polar filtering is
updated as soon as its tendencies are known; in a polar block the tendencies of all its
rows wait in a block buffer (a few hundred kilobytes, in cache), are filtered together
by the batched transform of :mod:`.fourier`, and only then applied.  Every value is
computed by the same expression from the same inputs whichever block or thread handles
it, so the result does not depend on the thread count or on how rows are cut into
blocks, and the order of floating-point operations mirrors :mod:`.reference` (outside
the polar rows, whose filter uses a different FFT, the two agree bit for bit).

Arrays: level 0 (``*0``, filtered previous) is overwritten with the filtered current level;
level 1 (``*1``, current) is only read; level 2 (``*2``) receives the new level.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.weather.fourier import filter_rows
from workloads.weather.grid import GRAVITY_M_S2

__all__ = ["ROWS_PER_BLOCK", "leapfrog_kernel"]

ROWS_PER_BLOCK = 8


@njit(cache=True, inline="always")
def _mass_flux_u(row, h, u, hs, face_u, out):
    nlon = h.shape[1]
    for i in range(nlon):
        ie = i + 1 if i + 1 < nlon else 0
        d = h[row, i] - hs[row, i]
        de = h[row, ie] - hs[row, ie]
        out[i] = 0.5 * (d + de) * u[row, i] * face_u


@njit(cache=True, inline="always")
def _mass_flux_v(face, h, v, hs, face_v, out):
    nlat, nlon = h.shape
    if face == 0 or face == nlat:
        for i in range(nlon):
            out[i] = 0.0
        return
    fv = face_v[face]
    for i in range(nlon):
        ds = h[face - 1, i] - hs[face - 1, i]
        dn = h[face, i] - hs[face, i]
        out[i] = 0.5 * (ds + dn) * v[face, i] * fv


@njit(cache=True, inline="always")
def _pot_vorticity(face, h, u, v, hs, cor, area, area_v, dx_u, dy_v, out):
    nlat, nlon = h.shape
    if face == 0 or face == nlat:
        for i in range(nlon):
            out[i] = 0.0
        return
    js, jn = face - 1, face
    a_s, a_n = area[js], area[jn]
    dxs, dxn = dx_u[js], dx_u[jn]
    av = area_v[face]
    for i in range(nlon):
        ie = i + 1 if i + 1 < nlon else 0
        circ = (v[face, ie] - v[face, i]) * dy_v + (u[js, i] * dxs - u[jn, i] * dxn)
        zeta = circ / av
        ds = h[js, i] - hs[js, i]
        dse = h[js, ie] - hs[js, ie]
        dn = h[jn, i] - hs[jn, i]
        dne = h[jn, ie] - hs[jn, ie]
        depth_c = (a_s * (ds + dse) + a_n * (dn + dne)) / (2.0 * (a_s + a_n))
        out[i] = (zeta + cor[face, i]) / depth_c


@njit(cache=True, inline="always")
def _bernoulli(row, h, u, v, w_s, w_n, out):
    nlon = h.shape[1]
    ws, wn = w_s[row], w_n[row]
    for i in range(nlon):
        iw = i - 1 if i > 0 else nlon - 1
        uu, uw = u[row, i], u[row, iw]
        vs, vn = v[row, i], v[row + 1, i]
        ke = 0.5 * (0.5 * (uu * uu + uw * uw) + ws * vs * vs + wn * vn * vn)
        out[i] = ke + GRAVITY_M_S2 * h[row, i]


@njit(cache=True, inline="always")
def _update(x0, x1, x2, tend, row, dt2, c_cur, c_new):
    for i in range(x1.shape[1]):
        a = x0[row, i]
        b = x1[row, i]
        n = a + dt2 * tend[i]
        d = (a - 2.0 * b) + n
        x0[row, i] = b + c_cur * d
        x2[row, i] = n - c_new * d


@njit(cache=True, inline="always")
def _update_row(
    j, th, tu, tv, h0, u0, v0, h1, u1, v1, h2, u2, v2, hs, dt2, c_cur, c_new,
    min_depth, max_speed, bad,
):  # fmt: skip
    """Leapfrog-RAW update of row ``j`` (and the face north of it) and its blow-up flag."""
    nlat, nlon = h1.shape
    north = j + 1 < nlat
    _update(h0, h1, h2, th, j, dt2, c_cur, c_new)
    _update(u0, u1, u2, tu, j, dt2, c_cur, c_new)
    if north:
        _update(v0, v1, v2, tv, j + 1, dt2, c_cur, c_new)
    flag = False
    for i in range(nlon):
        hn, un = h2[j, i], u2[j, i]
        vn = v2[j + 1, i] if north else 0.0
        ok = np.isfinite(hn) and np.isfinite(un) and np.isfinite(vn)
        ok = ok and abs(un) <= max_speed and abs(vn) <= max_speed
        ok = ok and hn - hs[j, i] >= min_depth
        flag = flag or not ok
    bad[j] = flag


@njit(cache=True)
def _block(
    j_start, j_stop, h0, u0, v0, h1, u1, v1, h2, u2, v2,
    hs, cor, area, area_v, dx_u, dy_v, face_u, face_v, w_s, w_n,
    filter_row_h, filter_row_v, gain, factors, twiddle,
    dt2, c_cur, c_new, advect_only, min_depth, max_speed, bad,
    flux_u, flux_v, pv, bern, tend, tend_gain, scratch,
):  # fmt: skip
    """Advance rows ``j_start .. j_stop``; the scratch arrays belong to the calling thread.

    Tendencies of rows that need no filtering are applied at once, while they are in
    cache; the others wait in ``tend`` and are filtered together, so the transforms run
    on many rows at a time (:func:`.fourier.filter_rows`).
    """
    nlat, nlon = h1.shape
    # The southern half of the first row's stencil, rolled forward afterwards.
    s = j_start % 2
    _mass_flux_u(j_start, h1, u1, hs, face_u, flux_u[s])
    _mass_flux_v(j_start, h1, v1, hs, face_v, flux_v[s])
    if not advect_only:
        _pot_vorticity(j_start, h1, u1, v1, hs, cor, area, area_v, dx_u, dy_v, pv[s])
        _bernoulli(j_start, h1, u1, v1, w_s, w_n, bern[s])
    deferred = False
    for j in range(j_start, j_stop):
        s = j % 2
        n = 1 - s
        north = j + 1 < nlat
        k = 3 * (j - j_start)
        th, tu, tv = tend[k], tend[k + 1], tend[k + 2]
        if north:
            _mass_flux_u(j + 1, h1, u1, hs, face_u, flux_u[n])
        _mass_flux_v(j + 1, h1, v1, hs, face_v, flux_v[n])
        fs, fn = flux_u[s], flux_u[n]
        gs, gn = flux_v[s], flux_v[n]
        area_j = area[j]
        for i in range(nlon):
            iw = i - 1 if i > 0 else nlon - 1
            div = (fs[i] - fs[iw]) + (gn[i] - gs[i])
            th[i] = -div / area_j
        if advect_only:
            for i in range(nlon):
                tu[i] = 0.0
                tv[i] = 0.0
        else:
            _pot_vorticity(j + 1, h1, u1, v1, hs, cor, area, area_v, dx_u, dy_v, pv[n])
            if north:
                _bernoulli(j + 1, h1, u1, v1, w_s, w_n, bern[n])
            qs, qn = pv[s], pv[n]
            bs, bn = bern[s], bern[n]
            dx = dx_u[j]
            for i in range(nlon):
                ie = i + 1 if i + 1 < nlon else 0
                qg_s = qs[i] * (0.5 * (gs[i] + gs[ie]))
                qg_n = qn[i] * (0.5 * (gn[i] + gn[ie]))
                t = 0.5 * (qg_s + qg_n) / dx
                tu[i] = t - (bs[ie] - bs[i]) / dx
            if north:
                for i in range(nlon):
                    iw = i - 1 if i > 0 else nlon - 1
                    qf = qn[i] * (0.5 * (fs[i] + fn[i]))
                    qf_w = qn[iw] * (0.5 * (fs[iw] + fn[iw]))
                    t = -0.5 * (qf + qf_w) / dy_v
                    tv[i] = t - (bn[i] - bs[i]) / dy_v
        # Zero tendencies (winds of an advection run, the pole face) filter to zero.
        g_h = filter_row_h[j]
        tend_gain[k] = g_h
        tend_gain[k + 1] = -1 if advect_only else g_h
        tend_gain[k + 2] = filter_row_v[j + 1] if north and not advect_only else -1
        if tend_gain[k] < 0 and tend_gain[k + 1] < 0 and tend_gain[k + 2] < 0:
            _update_row(
                j, th, tu, tv, h0, u0, v0, h1, u1, v1, h2, u2, v2, hs, dt2, c_cur, c_new,
                min_depth, max_speed, bad,
            )  # fmt: skip
        else:
            deferred = True
    if not deferred:
        return
    rows = 3 * (j_stop - j_start)
    filter_rows(tend[:rows], tend_gain[:rows], gain, factors, twiddle, scratch)
    for j in range(j_start, j_stop):
        k = 3 * (j - j_start)
        if tend_gain[k] >= 0 or tend_gain[k + 1] >= 0 or tend_gain[k + 2] >= 0:
            _update_row(
                j, tend[k], tend[k + 1], tend[k + 2], h0, u0, v0, h1, u1, v1, h2, u2, v2,
                hs, dt2, c_cur, c_new, min_depth, max_speed, bad,
            )  # fmt: skip


@njit(cache=True, parallel=True)
def leapfrog_kernel(
    h0, u0, v0, h1, u1, v1, h2, u2, v2,
    hs, cor, area, area_v, dx_u, dy_v, face_u, face_v, w_s, w_n,
    filter_row_h, filter_row_v, gain, factors, twiddle,
    dt, raw_nu, raw_alpha, advect_only, min_depth, max_speed, bad,
):  # fmt: skip
    """Advance one leapfrog-RAW step; ``bad[j]`` is set where row ``j`` went wrong.

    Row ``j`` owns ``h[j]``, ``u[j]`` and the face north of it, ``v[j + 1]``.
    ``factors`` and ``twiddle`` come from :func:`.fourier.make_plan` ``(nlon)``.
    """
    nlat, nlon = h1.shape
    nblocks = (nlat + ROWS_PER_BLOCK - 1) // ROWS_PER_BLOCK
    dt2 = 2.0 * dt
    c_cur = 0.5 * raw_nu * raw_alpha
    c_new = 0.5 * raw_nu * (1.0 - raw_alpha)
    for blk in prange(nblocks):
        flux_u = np.empty((2, nlon))
        flux_v = np.empty((2, nlon))
        pv = np.empty((2, nlon))
        bern = np.empty((2, nlon))
        tend = np.empty((3 * ROWS_PER_BLOCK, nlon))
        tend_gain = np.empty(3 * ROWS_PER_BLOCK, dtype=np.int64)
        scratch = np.empty((4, (nlon // 2) * 3 * ROWS_PER_BLOCK))
        j_start = blk * ROWS_PER_BLOCK
        j_stop = min(nlat, j_start + ROWS_PER_BLOCK)
        _block(
            j_start, j_stop, h0, u0, v0, h1, u1, v1, h2, u2, v2,
            hs, cor, area, area_v, dx_u, dy_v, face_u, face_v, w_s, w_n,
            filter_row_h, filter_row_v, gain, factors, twiddle,
            dt2, c_cur, c_new, advect_only, min_depth, max_speed, bad,
            flux_u, flux_v, pv, bern, tend, tend_gain, scratch,
        )  # fmt: skip
    for i in range(nlon):
        v0[0, i] = 0.0
        v0[nlat, i] = 0.0
        v2[0, i] = 0.0
        v2[nlat, i] = 0.0
