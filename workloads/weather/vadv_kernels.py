"""Numba kernel for implicit vertical advection (vadv) on (level, lat, lon) fields.

The kernel assumes clean, C-contiguous float64 arrays; :mod:`.canonical` checks
them.  It is a single compiled signature and its results agree bit for bit with
:mod:`.canonical_reference`.

It sweeps a strip of consecutive points of the (lat, lon) plane through all
levels with its Thomas coefficients in a per-thread scratch.  Work is split into
one contiguous run of tasks per thread; the caller passes the scratch, so it can
keep it from call to call (a freshly mapped scratch costs a page fault for every
4 KiB of it on each call).

The lower face of level k is the upper face of level k - 1: the reference's
``gav[k] = -0.25 * ws[k]`` is exactly ``-gcv[k - 1]`` (``gcv[k - 1] = 0.25 *
ws[k]``; negation and scaling by a power of two are exact), so ``acol[k] ==
-cc[k - 1]`` and ``as_[k] == -cs[k - 1]`` bit for bit, and in IEEE arithmetic
``x - (-y) == x + y`` and ``(-y) * z == -(y * z)``.  The sweep therefore keeps
``gcv`` of the level above in a strip-long buffer and writes the reference's
``dtr - acol - cc``, ``bcol - ccol[k-1] * acol``, ``d - dcol[k-1] * acol`` and
``-as_ * du`` as ``dtr + ccp - cc``, ``bcol + ccol[k-1] * ccp``, ``d +
dcol[k-1] * ccp`` and ``csp * du``: the same values, with the averaged wind of
each level computed once inside the sweep instead of twice in a separate pass
(~5-8 % faster at 1 deg).  The wind average is taken a latitude row at a time
(a strip may span several rows), its wrapped last column on its own.
With non-temporal stores (:mod:`.nontemporal`; :mod:`.canonical` turns them on
for outputs over 1 MiB) the output lines are not read from memory
before being overwritten, so a point moves 6 instead of 7 lines of memory
traffic (compulsory bytes are unchanged: every input read once, the output
written once).
"""

from __future__ import annotations

from numba import njit, prange

from .canonical_reference import BET_M, BET_P
from .nontemporal import aligned_start, store_fence, stream_store

__all__ = ["scratch_shape", "vadv_kernel"]


def scratch_shape(nchunks: int, nlev: int, strip: int) -> tuple[int, int, int]:
    """Shape of the work array :func:`vadv_kernel` needs: per chunk, the Thomas
    coefficients and the u_pos copy of one strip over all levels, and a gcv row.

    Examples
    --------
    >>> scratch_shape(2, 64, 4096)
    (2, 193, 4096)
    """
    return (nchunks, 3 * nlev + 1, strip)


# The three sweeps below run over m consecutive points of one latitude row; the
# views all start at the first of them.  we / wh: wcon one column east / here of
# the level below the current one; gp: gcv of the level above (in), of this level
# (out).  Each also copies u_pos into the strip's scratch for the back substitution.
@njit(cache=True, inline="always")
def _top_span(m, dtr, we, wh, usk, usp, up, ut, uts, gp, cck, dck, upc):
    for i in range(m):
        upc[i] = up[i]
        gcv = 0.25 * (we[i] + wh[i])
        cs = gcv * BET_M
        cc = gcv * BET_P
        bcol = dtr - cc
        corr = -cs * (usp[i] - usk[i])
        d = dtr * up[i] + ut[i] + uts[i] + corr
        divided = 1.0 / bcol
        cck[i] = cc * divided
        dck[i] = d * divided
        gp[i] = gcv


@njit(cache=True, inline="always")
def _mid_span(m, dtr, we, wh, usm, usk, usp, up, ut, uts, gp, ccm, dcm, cck, dck, upc):
    for i in range(m):
        upc[i] = up[i]
        gcv = 0.25 * (we[i] + wh[i])
        g_above = gp[i]
        csp = g_above * BET_M  # -as_
        ccp = g_above * BET_P  # -acol
        cs = gcv * BET_M
        cc = gcv * BET_P
        bcol = dtr + ccp - cc
        corr = csp * (usm[i] - usk[i]) - cs * (usp[i] - usk[i])
        d = dtr * up[i] + ut[i] + uts[i] + corr
        divided = 1.0 / (bcol + ccm[i] * ccp)
        cck[i] = cc * divided
        dck[i] = (d + dcm[i] * ccp) * divided
        gp[i] = gcv


@njit(cache=True, inline="always")
def _bottom_span(m, dtr, usm, usk, up, ut, uts, gp, ccm, dcm, dck):
    for i in range(m):
        g_above = gp[i]
        csp = g_above * BET_M
        ccp = g_above * BET_P
        bcol = dtr + ccp
        corr = csp * (usm[i] - usk[i])
        d = dtr * up[i] + ut[i] + uts[i] + corr
        divided = 1.0 / (bcol + ccm[i] * ccp)
        dck[i] = (d + dcm[i] * ccp) * divided


@njit(cache=True, inline="always")
def _forward_sweep(uts3, us3, wcon, up3, ut3, dtr, wrap, p0, n, gbuf, ccol, dcol, upos):
    # Thomas forward sweep of the strip p0 .. p0 + n - 1, row segment by row segment;
    # inlined into the kernel, where LLVM sees that the scratch does not alias the
    # inputs (as a separate function its loops were left scalar)
    nlev = ccol.shape[0]
    nlon = up3.shape[1] // wcon.shape[1]
    for k in range(nlev - 1):
        q = 0
        while q < n:
            p = p0 + q
            j = p // nlon
            i0 = p - j * nlon
            m = min(n - q, nlon - i0)
            # with wrap the east neighbour of the last column is the first one
            mm = m - 1 if wrap and i0 + m == nlon else m
            row = wcon[k + 1, j]
            for part in range(2 if mm < m else 1):
                # part 1: the wrapped last column, a span of one point
                a, b, ie, ih, cnt = (p, q, i0 + 1, i0, mm) if part == 0 else (
                    p + mm, q + mm, 0, nlon - 1, 1)  # fmt: skip
                if k == 0:
                    _top_span(cnt, dtr, row[ie:], row[ih:], us3[0, a:], us3[1, a:], up3[0, a:],
                              ut3[0, a:], uts3[0, a:], gbuf[b:], ccol[0, b:], dcol[0, b:],
                              upos[0, b:])  # fmt: skip
                else:
                    _mid_span(cnt, dtr, row[ie:], row[ih:], us3[k - 1, a:], us3[k, a:],
                              us3[k + 1, a:], up3[k, a:], ut3[k, a:], uts3[k, a:], gbuf[b:],
                              ccol[k - 1, b:], dcol[k - 1, b:], ccol[k, b:], dcol[k, b:],
                              upos[k, b:])  # fmt: skip
            q += m
    k = nlev - 1
    i1 = p0 + n
    _bottom_span(n, dtr, us3[k - 1, p0:i1], us3[k, p0:i1], up3[k, p0:i1], ut3[k, p0:i1],
                 uts3[k, p0:i1], gbuf, ccol[k - 1], dcol[k - 1], dcol[k])  # fmt: skip


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
def vadv_kernel(utens_stage, u_stage, wcon, u_pos, utens, dtr_stage, wrap, stream, scratch, out):
    """Implicit vertical advection of u, one Thomas solve per column, into ``out``.

    ``wcon`` is averaged over lon columns ``i`` and ``i + 1``: with ``wrap`` it has
    ``nlon`` columns and ``i + 1`` wraps around; otherwise it has ``nlon + 1``.
    Columns are processed in strips of ``strip`` consecutive points of the
    flattened (lat, lon) plane, so a strip may span several latitude rows and each
    level contributes one contiguous run per field; the strips are handed out as
    ``nchunks`` contiguous runs, one per row of ``scratch``, a C-contiguous
    ``(nchunks, 3 * nlev + 1, strip)`` float64 work array (see :func:`scratch_shape`).
    With ``stream`` the output takes non-temporal stores.  Needs ``nlev >= 2``.
    """
    nlev, nlat, nlon = out.shape
    m = nlat * nlon
    uts3 = utens_stage.reshape(nlev, m)
    us3 = u_stage.reshape(nlev, m)
    up3 = u_pos.reshape(nlev, m)
    ut3 = utens.reshape(nlev, m)
    out3 = out.reshape(nlev, m)
    nchunks, strip = scratch.shape[0], scratch.shape[2]
    ntasks = (m + strip - 1) // strip
    for chunk in prange(nchunks):
        ccol = scratch[chunk, :nlev]
        dcol = scratch[chunk, nlev : 2 * nlev]
        # u_pos is needed again in the back substitution; keeping the strip's copy
        # in cache saves re-reading it from memory
        upos = scratch[chunk, 2 * nlev : 3 * nlev]
        gbuf = scratch[chunk, 3 * nlev]
        for task in range(chunk * ntasks // nchunks, (chunk + 1) * ntasks // nchunks):
            p0 = task * strip
            n = min(strip, m - p0)
            i1 = p0 + n
            _forward_sweep(uts3, us3, wcon, up3, ut3, dtr_stage, wrap, p0, n, gbuf, ccol, dcol,
                           upos)  # fmt: skip
            # back substitution; dcol[k] is overwritten by the solution of level k
            k = nlev - 1
            up = up3[k, p0:i1]
            if stream:
                _stream_back_substitution(out3, ccol, dcol, upos, up, dtr_stage, p0, n)
                continue
            orow = out3[k, p0:i1]
            dck = dcol[k]
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
