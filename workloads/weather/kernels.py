"""Numba kernel of one full model step: tendencies, polar filter and leapfrog-RAW update.

One fused pass over memory per step.  Latitude rows are cut into an even number of blocks of
about ``ROWS_PER_BLOCK`` rows, which ``prange`` hands to threads; inside a block the rows are swept south to north.
What a row shares with its northern neighbour (mass fluxes, potential vorticity on the
corners, Bernoulli function) is computed once, in one loop over the row, into a two-row
rolling buffer.  A row that needs no polar filtering is then advanced in three more
loops (one per field), each computing the tendency, the leapfrog-RAW update and the
blow-up check of a point while its values are in registers.  In a polar block the
tendencies of all its rows wait in a block buffer (in cache), are filtered together by
the batched transform of :mod:`.fourier`, and only then applied.

Row constants enter as reciprocals computed once per row (a multiplication per point
instead of a division; :mod:`.reference` does the same).  Every value is computed by the
same expression from the same inputs whichever block or thread handles it, so the result
does not depend on the thread count or on how rows are cut into blocks, and the order of
floating-point operations mirrors :mod:`.reference` (outside the polar rows, whose filter
uses a different FFT, the two agree bit for bit).

Arrays: level 0 (``*0``, filtered previous) is overwritten with the filtered current level;
level 1 (``*1``, current) is only read; level 2 (``*2``) receives the new level.  The
first and last rows of the arrays are treated as the rows next to the poles (a latitude
band run by :mod:`.blocks` gives them halos whose results it discards).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from workloads.weather.fourier import filter_rows
from workloads.weather.grid import GRAVITY_M_S2

__all__ = ["ROWS_PER_BLOCK", "leapfrog_kernel"]

# 48 tendency rows per polar batch: the transform's short first-stage loops (one run per
# lane group) get longer; measured ~7% faster at 1 deg than 8 rows, equal at 0.25 deg.
ROWS_PER_BLOCK = 16

# IEEE division (x / 0 gives inf or NaN, which the blow-up check reports with its place)
# instead of Python's ZeroDivisionError: the test before each division would keep the
# loops from vectorising.
_JIT = {"cache": True, "error_model": "numpy"}
_INLINE = {**_JIT, "inline": "always"}

# Slots of the rolling buffer ``q[slot, row % 2, :]``: mass flux through the east faces
# of a row, mass flux through its south face, potential vorticity on that face's corners,
# Bernoulli function of the row.  One array for all four, so the compiler sees a single
# written object in the loop that fills them and can vectorise it.
_FU, _FV, _PV, _BE = 0, 1, 2, 3

# Longitude is periodic: each loop below runs over the columns whose neighbour indices
# need no wrap-around, and the columns that do are done on their own with the same
# expression.  Without a conditional index the loops vectorise.


@njit(**_INLINE)
def _face_point(i, ie, iw, r, s, h, u, v, hs, cor, q, fu, fv, dy_v, dxs, dxn, inv_av, cs, cn,
                ws, wn):  # fmt: skip
    """Row ``r`` and face ``r`` (between rows ``r - 1`` and ``r``) at column ``i``."""
    dn = h[r, i] - hs[r, i]
    ds = h[r - 1, i] - hs[r - 1, i]
    sum_n = dn + (h[r, ie] - hs[r, ie])
    sum_s = ds + (h[r - 1, ie] - hs[r - 1, ie])
    q[_FU, s, i] = 0.5 * sum_n * u[r, i] * fu
    q[_FV, s, i] = 0.5 * (ds + dn) * v[r, i] * fv
    circ = (v[r, ie] - v[r, i]) * dy_v + (u[r - 1, i] * dxs - u[r, i] * dxn)
    q[_PV, s, i] = (circ * inv_av + cor[r, i]) / (cs * sum_s + cn * sum_n)
    uu, uw = u[r, i], u[r, iw]
    vs, vn = v[r, i], v[r + 1, i]
    ke = 0.5 * (0.5 * (uu * uu + uw * uw) + ws * vs * vs + wn * vn * vn)
    q[_BE, s, i] = ke + GRAVITY_M_S2 * h[r, i]


@njit(**_INLINE)
def _face_flux_point(i, ie, r, s, h, u, v, hs, q, fu, fv):
    """The two mass fluxes of :func:`_face_point` only (advection runs)."""
    dn = h[r, i] - hs[r, i]
    ds = h[r - 1, i] - hs[r - 1, i]
    sum_n = dn + (h[r, ie] - hs[r, ie])
    q[_FU, s, i] = 0.5 * sum_n * u[r, i] * fu
    q[_FV, s, i] = 0.5 * (ds + dn) * v[r, i] * fv


@njit(**_JIT)
def _faces(r, h, u, v, hs, cor, area, area_v, dx_u, dy_v, face_u, face_v, w_s, w_n, q,
           advect_only):  # fmt: skip
    """Fill slot ``r % 2`` of ``q`` with the quantities of row ``r`` and face ``r``.

    Faces 0 and ``nlat`` are the poles: no flux, potential vorticity zero (it multiplies
    zero fluxes only).  Row ``nlat`` does not exist.
    """
    nlat, nlon = h.shape
    s = r % 2
    if r == 0 or r == nlat:
        q[_FV, s, :] = 0.0
        q[_PV, s, :] = 0.0
        if r == nlat:
            return
        for i in range(nlon):
            ie, iw = (i + 1) % nlon, (i - 1) % nlon
            sum_n = (h[r, i] - hs[r, i]) + (h[r, ie] - hs[r, ie])
            q[_FU, s, i] = 0.5 * sum_n * u[r, i] * face_u
            uu, uw = u[r, i], u[r, iw]
            vs, vn = v[r, i], v[r + 1, i]
            ke = 0.5 * (0.5 * (uu * uu + uw * uw) + w_s[r] * vs * vs + w_n[r] * vn * vn)
            q[_BE, s, i] = ke + GRAVITY_M_S2 * h[r, i]
        return
    fv = face_v[r]
    last = nlon - 1
    if advect_only:
        for i in range(last):
            _face_flux_point(i, i + 1, r, s, h, u, v, hs, q, face_u, fv)
        _face_flux_point(last, 0, r, s, h, u, v, hs, q, face_u, fv)
        return
    a_s, a_n = area[r - 1], area[r]
    cs = a_s / (2.0 * (a_s + a_n))
    cn = a_n / (2.0 * (a_s + a_n))
    inv_av = 1.0 / area_v[r]
    dxs, dxn, ws, wn = dx_u[r - 1], dx_u[r], w_s[r], w_n[r]
    if nlon == 1:
        _face_point(0, 0, 0, r, s, h, u, v, hs, cor, q, face_u, fv, dy_v, dxs, dxn, inv_av,
                    cs, cn, ws, wn)  # fmt: skip
        return
    _face_point(0, 1, last, r, s, h, u, v, hs, cor, q, face_u, fv, dy_v, dxs, dxn, inv_av,
                cs, cn, ws, wn)  # fmt: skip
    for i in range(1, last):
        _face_point(i, i + 1, i - 1, r, s, h, u, v, hs, cor, q, face_u, fv, dy_v, dxs, dxn,
                    inv_av, cs, cn, ws, wn)  # fmt: skip
    _face_point(last, 0, last - 1, r, s, h, u, v, hs, cor, q, face_u, fv, dy_v, dxs, dxn,
                inv_av, cs, cn, ws, wn)  # fmt: skip


# Tendencies of row j (h, u) and of the face north of it (v) at column i, from the rolling
# buffer: slot s holds row j and face j, slot n row j + 1 and face j + 1.


@njit(**_INLINE)
def _th(i, iw, q, s, n, inv_a):
    return -((q[_FU, s, i] - q[_FU, s, iw]) + (q[_FV, n, i] - q[_FV, s, i])) * inv_a


@njit(**_INLINE)
def _tu(i, ie, q, s, n, inv_dx):
    qg_s = q[_PV, s, i] * (0.5 * (q[_FV, s, i] + q[_FV, s, ie]))
    qg_n = q[_PV, n, i] * (0.5 * (q[_FV, n, i] + q[_FV, n, ie]))
    return (0.5 * (qg_s + qg_n) - (q[_BE, s, ie] - q[_BE, s, i])) * inv_dx


@njit(**_INLINE)
def _tv(i, iw, q, s, n, inv_dy):
    qf = q[_PV, n, i] * (0.5 * (q[_FU, s, i] + q[_FU, n, i]))
    qf_w = q[_PV, n, iw] * (0.5 * (q[_FU, s, iw] + q[_FU, n, iw]))
    return -(0.5 * (qf + qf_w) + (q[_BE, n, i] - q[_BE, s, i])) * inv_dy


@njit(**_INLINE)
def _leap(x0, x1, x2, r, i, t, dt2, c_cur, c_new):
    """Leapfrog-RAW update of one point; returns the new value."""
    a = x0[r, i]
    b = x1[r, i]
    nw = a + dt2 * t
    d = (a - 2.0 * b) + nw
    x0[r, i] = b + c_cur * d
    new = nw - c_new * d
    x2[r, i] = new
    return new


# Blow-up checks: 1 where a new value is not finite, too fast or too shallow.  Bitwise &
# (no short-circuit), so the loops vectorise; a NaN fails every comparison.


@njit(**_INLINE)
def _bad_h(hn, hs_ji, min_depth):
    return 0 if np.isfinite(hn) & (hn - hs_ji >= min_depth) else 1


@njit(**_INLINE)
def _bad_wind(x, max_speed):
    return 0 if np.isfinite(x) & (abs(x) <= max_speed) else 1


@njit(**_JIT)
def _advance_row(j, s, n, q, h0, u0, v0, h1, u1, v1, h2, u2, v2, hs, inv_a, inv_dx, inv_dy,
                 dt2, c_cur, c_new, advect_only, min_depth, max_speed):  # fmt: skip
    """Tendencies and update of row ``j`` and the face north of it; returns the bad count."""
    nlat, nlon = h1.shape
    last = nlon - 1
    nbad = 0
    hn = _leap(h0, h1, h2, j, 0, _th(0, last, q, s, n, inv_a), dt2, c_cur, c_new)
    nbad += _bad_h(hn, hs[j, 0], min_depth)
    for i in range(1, nlon):
        hn = _leap(h0, h1, h2, j, i, _th(i, i - 1, q, s, n, inv_a), dt2, c_cur, c_new)
        nbad += _bad_h(hn, hs[j, i], min_depth)
    if advect_only:
        for i in range(nlon):
            nbad += _bad_wind(_leap(u0, u1, u2, j, i, 0.0, dt2, c_cur, c_new), max_speed)
        if j + 1 < nlat:
            for i in range(nlon):
                nbad += _bad_wind(_leap(v0, v1, v2, j + 1, i, 0.0, dt2, c_cur, c_new), max_speed)
        return nbad
    for i in range(last):
        un = _leap(u0, u1, u2, j, i, _tu(i, i + 1, q, s, n, inv_dx), dt2, c_cur, c_new)
        nbad += _bad_wind(un, max_speed)
    un = _leap(u0, u1, u2, j, last, _tu(last, 0, q, s, n, inv_dx), dt2, c_cur, c_new)
    nbad += _bad_wind(un, max_speed)
    if j + 1 < nlat:
        vn = _leap(v0, v1, v2, j + 1, 0, _tv(0, last, q, s, n, inv_dy), dt2, c_cur, c_new)
        nbad += _bad_wind(vn, max_speed)
        for i in range(1, nlon):
            vn = _leap(v0, v1, v2, j + 1, i, _tv(i, i - 1, q, s, n, inv_dy), dt2, c_cur, c_new)
            nbad += _bad_wind(vn, max_speed)
    return nbad


@njit(**_JIT)
def _store_tendencies(j, s, n, q, nlat, inv_a, inv_dx, inv_dy, advect_only, th, tu, tv):
    """The tendencies :func:`_advance_row` would apply, kept for the polar filter."""
    nlon = th.shape[0]
    last = nlon - 1
    th[0] = _th(0, last, q, s, n, inv_a)
    for i in range(1, nlon):
        th[i] = _th(i, i - 1, q, s, n, inv_a)
    if advect_only:
        tu[:] = 0.0
        tv[:] = 0.0
        return
    for i in range(last):
        tu[i] = _tu(i, i + 1, q, s, n, inv_dx)
    tu[last] = _tu(last, 0, q, s, n, inv_dx)
    if j + 1 < nlat:
        tv[0] = _tv(0, last, q, s, n, inv_dy)
        for i in range(1, nlon):
            tv[i] = _tv(i, i - 1, q, s, n, inv_dy)
    else:
        tv[:] = 0.0


@njit(**_JIT)
def _apply_tendencies(j, th, tu, tv, h0, u0, v0, h1, u1, v1, h2, u2, v2, hs, dt2, c_cur,
                      c_new, min_depth, max_speed):  # fmt: skip
    """Update row ``j`` (and the face north of it) from stored tendencies; bad count."""
    nlat, nlon = h1.shape
    nbad = 0
    for i in range(nlon):
        nbad += _bad_h(_leap(h0, h1, h2, j, i, th[i], dt2, c_cur, c_new), hs[j, i], min_depth)
    for i in range(nlon):
        nbad += _bad_wind(_leap(u0, u1, u2, j, i, tu[i], dt2, c_cur, c_new), max_speed)
    if j + 1 < nlat:
        for i in range(nlon):
            nbad += _bad_wind(_leap(v0, v1, v2, j + 1, i, tv[i], dt2, c_cur, c_new), max_speed)
    return nbad


@njit(**_JIT)
def _block(
    j_start, j_stop, h0, u0, v0, h1, u1, v1, h2, u2, v2,
    hs, cor, area, area_v, dx_u, dy_v, face_u, face_v, w_s, w_n,
    filter_row_h, filter_row_v, gain, factors, twiddle,
    dt2, c_cur, c_new, advect_only, min_depth, max_speed, bad, q, tend, tend_gain, scratch,
):  # fmt: skip
    """Advance rows ``j_start .. j_stop``; the scratch arrays belong to the calling thread.

    Rows that need no filtering are advanced at once, while their tendencies are in
    cache; the others wait in ``tend`` and are filtered together, so the transforms run
    on many rows at a time (:func:`.fourier.filter_rows`).
    """
    nlat = h1.shape[0]
    inv_dy = 1.0 / dy_v
    statics = (hs, cor, area, area_v, dx_u, dy_v, face_u, face_v, w_s, w_n)
    _faces(j_start, h1, u1, v1, *statics, q, advect_only)
    deferred = False
    for j in range(j_start, j_stop):
        s = j % 2
        n = 1 - s
        _faces(j + 1, h1, u1, v1, *statics, q, advect_only)
        inv_a = 1.0 / area[j]
        inv_dx = 1.0 / dx_u[j]
        k = 3 * (j - j_start)
        # Zero tendencies (winds of an advection run, the pole face) filter to zero.
        north = j + 1 < nlat
        tend_gain[k] = filter_row_h[j]
        tend_gain[k + 1] = -1 if advect_only else filter_row_h[j]
        tend_gain[k + 2] = filter_row_v[j + 1] if north and not advect_only else -1
        if tend_gain[k] < 0 and tend_gain[k + 1] < 0 and tend_gain[k + 2] < 0:
            nbad = _advance_row(
                j, s, n, q, h0, u0, v0, h1, u1, v1, h2, u2, v2, hs, inv_a, inv_dx, inv_dy,
                dt2, c_cur, c_new, advect_only, min_depth, max_speed,
            )  # fmt: skip
            bad[j] = nbad > 0
        else:
            deferred = True
            _store_tendencies(j, s, n, q, nlat, inv_a, inv_dx, inv_dy, advect_only,
                              tend[k], tend[k + 1], tend[k + 2])  # fmt: skip
    if not deferred:
        return
    rows = 3 * (j_stop - j_start)
    filter_rows(tend[:rows], tend_gain[:rows], gain, factors, twiddle, scratch)
    for j in range(j_start, j_stop):
        k = 3 * (j - j_start)
        if tend_gain[k] >= 0 or tend_gain[k + 1] >= 0 or tend_gain[k + 2] >= 0:
            nbad = _apply_tendencies(
                j, tend[k], tend[k + 1], tend[k + 2], h0, u0, v0, h1, u1, v1, h2, u2, v2,
                hs, dt2, c_cur, c_new, min_depth, max_speed,
            )  # fmt: skip
            bad[j] = nbad > 0


@njit(parallel=True, **_JIT)
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
    dt2 = 2.0 * dt
    c_cur = 0.5 * raw_nu * raw_alpha
    c_new = 0.5 * raw_nu * (1.0 - raw_alpha)
    # An even number of blocks, edges at round-down(b * nlat / nblocks): Numba hands each
    # of two threads one half of the blocks, and as the grid is symmetric about the
    # equator, the same number of polar rows.
    nblocks = min(nlat, 2 * max(1, -(-nlat // (2 * ROWS_PER_BLOCK))))
    max_rows = -(-nlat // nblocks)
    for blk in prange(nblocks):
        q = np.empty((4, 2, nlon))
        j_start = (blk * nlat) // nblocks
        j_stop = ((blk + 1) * nlat) // nblocks
        polar = False
        for j in range(j_start, j_stop):
            polar |= filter_row_h[j] >= 0 or filter_row_v[j + 1] >= 0
        # Buffers for the polar filter only where it runs (no empty pages to touch).
        rows = max_rows if polar else 0
        tend = np.empty((3 * rows, nlon))
        tend_gain = np.empty(3 * max_rows, dtype=np.int64)
        scratch = np.empty((4, (nlon // 2) * 3 * rows))
        _block(
            j_start, j_stop, h0, u0, v0, h1, u1, v1, h2, u2, v2,
            hs, cor, area, area_v, dx_u, dy_v, face_u, face_v, w_s, w_n,
            filter_row_h, filter_row_v, gain, factors, twiddle,
            dt2, c_cur, c_new, advect_only, min_depth, max_speed, bad, q, tend,
            tend_gain, scratch,
        )  # fmt: skip
    for i in range(nlon):
        v0[0, i] = 0.0
        v0[nlat, i] = 0.0
        v2[0, i] = 0.0
        v2[nlat, i] = 0.0
