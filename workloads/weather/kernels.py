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


# Longitude is periodic: each stencil loop below runs over the columns whose neighbour
# index needs no wrap-around, and the one column that does is done on its own with the
# same expression.  Without a conditional index the loops vectorise.


@njit(cache=True, inline="always")
def _depth(row, h, hs, dep, dsum):
    """Fluid depth of a row and the sum of each cell's depth with its east neighbour's."""
    nlon = h.shape[1]
    for i in range(nlon):
        dep[i] = h[row, i] - hs[row, i]
    for i in range(nlon - 1):
        dsum[i] = dep[i] + dep[i + 1]
    dsum[nlon - 1] = dep[nlon - 1] + dep[0]


@njit(cache=True, inline="always")
def _mass_flux_u(row, dsum, u, face_u, out):
    for i in range(out.shape[0]):
        out[i] = 0.5 * dsum[i] * u[row, i] * face_u


@njit(cache=True, inline="always")
def _mass_flux_v(face, nlat, dep_s, dep_n, v, face_v, out):
    if face == 0 or face == nlat:
        out[:] = 0.0
        return
    fv = face_v[face]
    for i in range(out.shape[0]):
        out[i] = 0.5 * (dep_s[i] + dep_n[i]) * v[face, i] * fv


@njit(cache=True, inline="always")
def _pv_point(i, ie, face, u, v, dsum_s, dsum_n, cor, a_s, a_n, dxs, dxn, av, dy_v, out):
    circ = (v[face, ie] - v[face, i]) * dy_v + (u[face - 1, i] * dxs - u[face, i] * dxn)
    zeta = circ / av
    depth_c = (a_s * dsum_s[i] + a_n * dsum_n[i]) / (2.0 * (a_s + a_n))
    out[i] = (zeta + cor[face, i]) / depth_c


@njit(cache=True, inline="always")
def _pot_vorticity(face, nlat, u, v, dsum_s, dsum_n, cor, area, area_v, dx_u, dy_v, out):
    """Potential vorticity on the corners of a face row (zero on the poles)."""
    nlon = out.shape[0]
    if face == 0 or face == nlat:
        out[:] = 0.0
        return
    a_s, a_n = area[face - 1], area[face]
    dxs, dxn = dx_u[face - 1], dx_u[face]
    av = area_v[face]
    for i in range(nlon - 1):
        _pv_point(i, i + 1, face, u, v, dsum_s, dsum_n, cor, a_s, a_n, dxs, dxn, av, dy_v, out)
    _pv_point(nlon - 1, 0, face, u, v, dsum_s, dsum_n, cor, a_s, a_n, dxs, dxn, av, dy_v, out)


@njit(cache=True, inline="always")
def _bernoulli_point(i, iw, row, h, u, v, ws, wn, out):
    uu, uw = u[row, i], u[row, iw]
    vs, vn = v[row, i], v[row + 1, i]
    ke = 0.5 * (0.5 * (uu * uu + uw * uw) + ws * vs * vs + wn * vn * vn)
    out[i] = ke + GRAVITY_M_S2 * h[row, i]


@njit(cache=True, inline="always")
def _bernoulli(row, h, u, v, w_s, w_n, out):
    nlon = out.shape[0]
    ws, wn = w_s[row], w_n[row]
    _bernoulli_point(0, nlon - 1, row, h, u, v, ws, wn, out)
    for i in range(1, nlon):
        _bernoulli_point(i, i - 1, row, h, u, v, ws, wn, out)


@njit(cache=True, inline="always")
def _tend_h(fs, gs, gn, area_j, th):
    nlon = th.shape[0]
    th[0] = -((fs[0] - fs[nlon - 1]) + (gn[0] - gs[0])) / area_j
    for i in range(1, nlon):
        th[i] = -((fs[i] - fs[i - 1]) + (gn[i] - gs[i])) / area_j


@njit(cache=True, inline="always")
def _tu_point(i, ie, qs, qn, gs, gn, bs, dx, tu):
    qg_s = qs[i] * (0.5 * (gs[i] + gs[ie]))
    qg_n = qn[i] * (0.5 * (gn[i] + gn[ie]))
    t = 0.5 * (qg_s + qg_n) / dx
    tu[i] = t - (bs[ie] - bs[i]) / dx


@njit(cache=True, inline="always")
def _tend_u(qs, qn, gs, gn, bs, dx, tu):
    nlon = tu.shape[0]
    for i in range(nlon - 1):
        _tu_point(i, i + 1, qs, qn, gs, gn, bs, dx, tu)
    _tu_point(nlon - 1, 0, qs, qn, gs, gn, bs, dx, tu)


@njit(cache=True, inline="always")
def _tend_v(qn, fs, fn, bs, bn, dy_v, qf, tv):
    nlon = tv.shape[0]
    for i in range(nlon):
        qf[i] = qn[i] * (0.5 * (fs[i] + fn[i]))
    tv[0] = -0.5 * (qf[0] + qf[nlon - 1]) / dy_v - (bn[0] - bs[0]) / dy_v
    for i in range(1, nlon):
        tv[i] = -0.5 * (qf[i] + qf[i - 1]) / dy_v - (bn[i] - bs[i]) / dy_v


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
    # Bitwise & (no short-circuit), so the check vectorises; a NaN fails every comparison.
    nbad = 0
    for i in range(nlon):
        hn, un = h2[j, i], u2[j, i]
        ok = np.isfinite(hn) & np.isfinite(un) & (abs(un) <= max_speed)
        ok = ok & (hn - hs[j, i] >= min_depth)
        nbad += 0 if ok else 1
    if north:
        for i in range(nlon):
            vn = v2[j + 1, i]
            nbad += 0 if np.isfinite(vn) & (abs(vn) <= max_speed) else 1
    bad[j] = nbad > 0


@njit(cache=True)
def _block(
    j_start, j_stop, h0, u0, v0, h1, u1, v1, h2, u2, v2,
    hs, cor, area, area_v, dx_u, dy_v, face_u, face_v, w_s, w_n,
    filter_row_h, filter_row_v, gain, factors, twiddle,
    dt2, c_cur, c_new, advect_only, min_depth, max_speed, bad, work, tend, tend_gain, scratch,
):  # fmt: skip
    """Advance rows ``j_start .. j_stop``; the scratch arrays belong to the calling thread.

    ``work`` holds two-row rolling buffers (index ``row % 2``) and one spare row.  Rows
    that need no filtering are updated at once, while their tendencies are in cache; the
    others wait in ``tend`` and are filtered together, so the transforms run on many
    rows at a time (:func:`.fourier.filter_rows`).
    """
    nlat, nlon = h1.shape
    dep, dsum, flux_u, flux_v, pv, bern = work[0], work[1], work[2], work[3], work[4], work[5]
    qf = work[6, 0]
    # The southern half of the first row's stencil, rolled forward afterwards.
    s = j_start % 2
    n = 1 - s
    _depth(j_start, h1, hs, dep[s], dsum[s])
    if j_start > 0:
        _depth(j_start - 1, h1, hs, dep[n], dsum[n])
    _mass_flux_u(j_start, dsum[s], u1, face_u, flux_u[s])
    _mass_flux_v(j_start, nlat, dep[n], dep[s], v1, face_v, flux_v[s])
    if not advect_only:
        _pot_vorticity(
            j_start, nlat, u1, v1, dsum[n], dsum[s], cor, area, area_v, dx_u, dy_v, pv[s]
        )
        _bernoulli(j_start, h1, u1, v1, w_s, w_n, bern[s])
    deferred = False
    for j in range(j_start, j_stop):
        s = j % 2
        n = 1 - s
        north = j + 1 < nlat
        k = 3 * (j - j_start)
        th, tu, tv = tend[k], tend[k + 1], tend[k + 2]
        if north:
            _depth(j + 1, h1, hs, dep[n], dsum[n])
            _mass_flux_u(j + 1, dsum[n], u1, face_u, flux_u[n])
        _mass_flux_v(j + 1, nlat, dep[s], dep[n], v1, face_v, flux_v[n])
        fs, fn = flux_u[s], flux_u[n]
        gs, gn = flux_v[s], flux_v[n]
        _tend_h(fs, gs, gn, area[j], th)
        if advect_only:
            tu[:] = 0.0
            tv[:] = 0.0
        else:
            _pot_vorticity(
                j + 1, nlat, u1, v1, dsum[s], dsum[n], cor, area, area_v, dx_u, dy_v, pv[n]
            )
            if north:
                _bernoulli(j + 1, h1, u1, v1, w_s, w_n, bern[n])
            _tend_u(pv[s], pv[n], gs, gn, bern[s], dx_u[j], tu)
            if north:
                _tend_v(pv[n], fs, fn, bern[s], bern[n], dy_v, qf, tv)
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
        work = np.empty((7, 2, nlon))
        tend = np.empty((3 * ROWS_PER_BLOCK, nlon))
        tend_gain = np.empty(3 * ROWS_PER_BLOCK, dtype=np.int64)
        scratch = np.empty((4, (nlon // 2) * 3 * ROWS_PER_BLOCK))
        j_start = blk * ROWS_PER_BLOCK
        j_stop = min(nlat, j_start + ROWS_PER_BLOCK)
        _block(
            j_start, j_stop, h0, u0, v0, h1, u1, v1, h2, u2, v2,
            hs, cor, area, area_v, dx_u, dy_v, face_u, face_v, w_s, w_n,
            filter_row_h, filter_row_v, gain, factors, twiddle,
            dt2, c_cur, c_new, advect_only, min_depth, max_speed, bad, work, tend, tend_gain,
            scratch,
        )  # fmt: skip
    for i in range(nlon):
        v0[0, i] = 0.0
        v0[nlat, i] = 0.0
        v2[0, i] = 0.0
        v2[nlat, i] = 0.0
