"""Latitude blocks of the shallow-water model: several steps on one halo exchange.

A block is a band of whole latitude rows (longitude is never cut: the polar Fourier
filter transforms whole latitude circles, and the kernel wraps longitude itself).  The
fields of a band are stacked into one array, one entry per *piece field*
(:data:`PIECE_FIELDS`): ``h``, ``u`` and the ``v`` face *south* of each row, for the
filtered previous leapfrog level and the current one.  The face on the north pole is not
stored: the model keeps it at zero (states with a non-zero polar ``v`` are refused by the
drivers), so every row owns exactly one of everything and bands split like plain arrays.

Ghost-zone expansion.  One model step reads ``HALO_ROWS_PER_STEP`` rows on each side.
:func:`advance_block` calls the model's own kernel on the band, which treats the band's
edges as if they were poles; the rows next to a cut edge therefore go wrong, one more
row per call, while every other row is computed by the same expression from the same
inputs as in a whole-grid run, so it is bitwise equal.  A band that carries
:func:`halo_rows` ``(calls)`` rows of halo on each cut side keeps its owned rows, and the
row just north of them, exact for all ``calls`` kernel calls.  That extra row makes the
blow-up check exact too: the check of row ``j`` reads the ``v`` face north of it.  Each
call only computes the rows that are still needed (the valid region shrinks towards the
owned rows), so the redundant work is a triangle, not a rectangle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from workloads.weather.fourier import make_plan
from workloads.weather.grid import HALO_ROWS_PER_STEP, Grid
from workloads.weather.kernels import leapfrog_kernel
from workloads.weather.model import MAX_SPEED_M_S, RAW_ALPHA, RAW_NU, BlowUpError

__all__ = [
    "PIECE_FIELDS",
    "BlockStatics",
    "BlockBlowUpError",
    "block_statics",
    "halo_rows",
    "stack_levels",
    "unstack_levels",
    "advance_block",
]

PIECE_FIELDS = ("h_prev", "u_prev", "v_prev", "h", "u", "v")

Level = tuple[np.ndarray, np.ndarray, np.ndarray]


class BlockBlowUpError(BlowUpError):
    """A blow-up found in one block; ``step`` and ``row`` (global) order several of them."""

    def __init__(self, message: str, step: int, row: int) -> None:
        super().__init__(message)
        self.step = step
        self.row = row

    def __reduce__(self):
        # Travels between Dask workers and the client with its step and row.
        return (type(self), (self.args[0], self.step, self.row))


@dataclass(frozen=True)
class BlockStatics:
    """Everything a band of rows ``start .. start + n`` needs besides its state.

    Row arrays have ``n`` entries, face arrays ``n + 1`` (the faces south of each row and
    the one north of the last); ``gain`` holds only the filter rows the band uses.
    """

    start: int
    nlat: int
    lat: np.ndarray
    lon: np.ndarray
    hs: np.ndarray
    coriolis: np.ndarray
    area: np.ndarray
    area_v: np.ndarray
    dx_u: np.ndarray
    face_v: np.ndarray
    w_s: np.ndarray
    w_n: np.ndarray
    filter_row_h: np.ndarray
    filter_row_v: np.ndarray
    gain: np.ndarray
    factors: np.ndarray
    twiddle: np.ndarray
    dy_v: float
    face_u: float
    advect_only: bool

    @property
    def stop(self) -> int:
        return self.start + self.hs.shape[0]

    def rows(self, start: int, stop: int) -> BlockStatics:
        """The statics of global rows ``start .. stop`` (a sub-band of this one)."""
        if not self.start <= start < stop <= self.stop:
            raise ValueError(
                f"rows must lie within {self.start} .. {self.stop}; got {start} .. {stop}"
            )
        r = slice(start - self.start, stop - self.start)
        f = slice(start - self.start, stop - self.start + 1)
        return replace(
            self, start=start, lat=self.lat[r], hs=self.hs[r], coriolis=self.coriolis[f],
            area=self.area[r], area_v=self.area_v[f], dx_u=self.dx_u[r], face_v=self.face_v[f],
            w_s=self.w_s[r], w_n=self.w_n[r], filter_row_h=self.filter_row_h[r],
            filter_row_v=self.filter_row_v[f],
        )  # fmt: skip


def block_statics(
    grid: Grid, hs: np.ndarray, coriolis: np.ndarray, advect_only: bool, start: int, stop: int
) -> BlockStatics:
    """Cut the static fields and metric terms of rows ``start .. stop`` out of a grid.

    Examples
    --------
    >>> from workloads.weather.grid import make_grid
    >>> from workloads.weather.cases import case_fields
    >>> g = make_grid(10.0)
    >>> f = case_fields(g, 6)
    >>> s = block_statics(g, f.hs, f.coriolis, f.advect_only, 4, 9)
    >>> s.hs.shape, s.coriolis.shape, s.rows(5, 7).area.shape
    ((5, 36), (6, 36), (2,))
    """
    if not 0 <= start < stop <= grid.nlat:
        raise ValueError(f"rows must lie within 0 .. {grid.nlat}; got {start} .. {stop}")
    r, f = slice(start, stop), slice(start, stop + 1)
    row_h = grid.filter_row_h[r]
    row_v = grid.filter_row_v[f]
    # Keep only the gain rows this band uses and renumber them: a polar band needs a few
    # hundred kilobytes of gains at 0.25 deg, an equatorial one none.
    used = np.unique(np.concatenate([row_h[row_h >= 0], row_v[row_v >= 0]]))
    gain = grid.filter_gain[used] if used.size else grid.filter_gain[:1]

    def renumber(rows: np.ndarray) -> np.ndarray:
        out = np.full(rows.shape, -1, dtype=np.int64)
        out[rows >= 0] = np.searchsorted(used, rows[rows >= 0])
        return out

    plan = make_plan(grid.nlon)
    c = np.ascontiguousarray
    return BlockStatics(
        start=start, nlat=grid.nlat, lat=c(grid.lat[r]), lon=c(grid.lon),
        hs=c(hs[r], dtype=np.float64), coriolis=c(coriolis[f], dtype=np.float64),
        area=c(grid.area_m2[r]), area_v=c(grid.area_v_m2[f]), dx_u=c(grid.dx_u_m[r]),
        face_v=c(grid.face_v_m[f]), w_s=c(grid.weight_s[r]), w_n=c(grid.weight_n[r]),
        filter_row_h=renumber(row_h), filter_row_v=renumber(row_v), gain=c(gain),
        factors=plan.factors, twiddle=plan.twiddle, dy_v=float(grid.dy_v_m),
        face_u=float(grid.face_u_m), advect_only=bool(advect_only),
    )  # fmt: skip


def halo_rows(calls: int) -> int:
    """Halo rows a cut side needs for ``calls`` kernel calls on one exchange.

    ``HALO_ROWS_PER_STEP`` per call plus one row: the blow-up check of the northernmost
    owned row reads the face south of the next row, which must still be exact.

    Examples
    --------
    >>> halo_rows(5)
    6
    """
    return calls * HALO_ROWS_PER_STEP + 1


def stack_levels(previous: Level | None, current: Level) -> np.ndarray:
    """Stack one or two levels into ``(3 or 6, nlat, nlon)`` piece fields.

    ``v`` (``nlat + 1`` faces) loses its north-pole face, which the model keeps at zero.

    Examples
    --------
    >>> z = np.zeros((4, 8))
    >>> stack_levels(None, (z, z, np.zeros((5, 8)))).shape
    (3, 4, 8)
    """
    levels = ([] if previous is None else [previous]) + [current]
    return np.stack([x for h, u, v in levels for x in (h, u, v[:-1])])


def unstack_levels(stacked: np.ndarray) -> list[Level]:
    """Inverse of :func:`stack_levels`: levels with the zero north-pole face put back."""
    pole = np.zeros((1, stacked.shape[-1]))
    return [
        (stacked[i].copy(), stacked[i + 1].copy(), np.concatenate([stacked[i + 2], pole]))
        for i in range(0, stacked.shape[0], 3)
    ]


def _call(st: BlockStatics, old: Level, cur: Level, new: Level, lo: int, hi: int,
          dt: float, nu: float, bad: np.ndarray) -> None:  # fmt: skip
    """One kernel call on rows ``lo .. hi`` of the band (views: no copies)."""
    r, f = slice(lo, hi), slice(lo, hi + 1)
    min_depth = -math.inf if st.advect_only else 0.0
    leapfrog_kernel(
        old[0][r], old[1][r], old[2][f], cur[0][r], cur[1][r], cur[2][f],
        new[0][r], new[1][r], new[2][f],
        st.hs[r], st.coriolis[f], st.area[r], st.area_v[f], st.dx_u[r], st.dy_v, st.face_u,
        st.face_v[f], st.w_s[r], st.w_n[r], st.filter_row_h[r], st.filter_row_v[f], st.gain,
        st.factors, st.twiddle,
        dt, nu, RAW_ALPHA, st.advect_only, min_depth, MAX_SPEED_M_S, bad[r],
    )  # fmt: skip


def _check(st: BlockStatics, bad: np.ndarray, own: slice, step: int, dt_s: float,
           new: Level) -> None:  # fmt: skip
    """Raise for the first bad owned row, with the whole-grid model's message."""
    rows = np.flatnonzero(bad[own])
    if rows.size == 0:
        return
    j = own.start + int(rows[0])
    h, u, v = new
    depth = h[j] - st.hs[j]
    wrong = (
        ~np.isfinite(h[j]) | ~np.isfinite(u[j]) | ~np.isfinite(v[j + 1])
        | (np.abs(u[j]) > MAX_SPEED_M_S) | (np.abs(v[j + 1]) > MAX_SPEED_M_S)
        | (depth < (-math.inf if st.advect_only else 0.0))
    )  # fmt: skip
    i = int(np.flatnonzero(wrong)[0]) if wrong.any() else 0
    row = st.start + j
    where = (
        f"lat {math.degrees(st.lat[j]):.3f} deg, lon {math.degrees(st.lon[i]):.3f} deg "
        f"(row {row}, column {i}): h={h[j, i]:.6g} m, depth={depth[i]:.6g} m, "
        f"u={u[j, i]:.6g} m/s, v={v[j + 1, i]:.6g} m/s"
    )
    raise BlockBlowUpError(
        f"the model blew up at step {step}, model time {step * dt_s:.1f} s "
        f"({step * dt_s / 86400.0:.4f} days), at {where}; try a smaller dt_s",
        step,
        row,
    )


def _working_levels(
    parts: Sequence[np.ndarray], targets: Sequence[int], slots: int
) -> tuple[np.ndarray, list[Level]]:
    """``slots`` levels, the first two in one ``(6, n + 1, nlon)`` buffer, which is
    returned (``v`` has ``n + 1`` faces, ``h`` and ``u`` the first ``n`` rows of their
    slabs); level ``i`` of the parts, joined along latitude in one copy, goes to slot
    ``targets[i]``, with a zero pole face.
    """
    n = sum(p.shape[1] for p in parts)
    nlon = parts[0].shape[2]
    # Slots 0 and 1 in one buffer, any third in its own: smaller blocks stay under
    # glibc's 32 MiB mmap ceiling at 0.25 deg, so freed ones are reused without the
    # fresh page faults of a new mapping (about 6 ms per 46 MB here).
    bufs = [np.empty((3 * min(slots, 2), n + 1, nlon))]
    bufs += [np.empty((3, n + 1, nlon)) for _ in range(slots - 2)]
    levels = [(b[i, :n], b[i + 1, :n], b[i + 2]) for b in bufs for i in range(0, b.shape[0], 3)]
    buf = bufs[0]
    for i, slot in enumerate(targets):
        h, u, v = levels[slot]
        row = 0
        for p in parts:
            rows = slice(row, row + p.shape[1])
            h[rows], u[rows], v[rows] = p[3 * i], p[3 * i + 1], p[3 * i + 2]
            row = rows.stop
        v[n] = 0.0
    return buf, levels


def advance_block(
    data: np.ndarray | Sequence[np.ndarray],
    data_start: int,
    own_start: int,
    own_stop: int,
    statics: BlockStatics,
    *,
    dt_s: float,
    steps: int,
    first_step: int,
) -> np.ndarray:
    """Advance a band ``steps`` model steps and return its owned rows.

    Parameters
    ----------
    data
        ``(6, n, nlon)`` piece fields (previous and current level) of global rows
        ``data_start .. data_start + n``, or ``(3, n, nlon)``, one level at step 0, which
        is started with the model's midpoint step; or a list of such arrays that join
        along latitude into it (a band and its neighbours' halo strips, copied once).
        Not modified.
    data_start, own_start, own_stop
        Global rows: the first one in ``data`` and the owned range.  Cut sides need
        ``halo_rows(calls)`` rows of halo, where ``calls`` is ``steps``, plus one when
        starting; sides on a pole need none.
    statics
        From :func:`block_statics`, covering at least the rows of ``data``.
    dt_s, steps, first_step
        Time step, number of steps and the step number of ``data``'s current level.

    Returns
    -------
    numpy.ndarray
        ``(6, own_stop - own_start, nlon)`` piece fields at step ``first_step + steps``
        (after the first exchange, a view of the band's working buffer, which it keeps
        alive: about 1.5x its own size).

    Raises
    ------
    BlockBlowUpError
        Naming the first owned row that went wrong, at the first step it did.

    Examples
    --------
    >>> from workloads.weather.grid import make_grid
    >>> from workloads.weather.cases import case_fields
    >>> g = make_grid(10.0)
    >>> f = case_fields(g, 6)
    >>> st = block_statics(g, f.hs, f.coriolis, f.advect_only, 0, g.nlat)
    >>> x0 = stack_levels(None, (f.h, f.u, f.v))
    >>> advance_block(x0[:, :12], 0, 0, 6, st, dt_s=600.0, steps=3, first_step=0).shape
    (6, 6, 36)
    """
    parts = [data] if isinstance(data, np.ndarray) else list(data)
    n = sum(p.shape[1] for p in parts)
    data_stop = data_start + n
    starting = parts[0].shape[0] == 3
    calls = steps + (1 if starting else 0)
    south_cut, north_cut = data_start > 0, data_stop < statics.nlat
    need = halo_rows(calls)
    if (south_cut and own_start - data_start < need) or (north_cut and data_stop - own_stop < need):
        raise ValueError(
            f"data must carry at least halo_rows({calls}) = {need} rows beyond the owned rows "
            f"{own_start} .. {own_stop} on each cut side; got rows {data_start} .. {data_stop}"
        )
    st = statics.rows(data_start, data_stop)
    if starting:
        # The north face of a cut band is unknown; it only feeds rows that are given up.
        _, (old, cur, spare) = _working_levels(parts, (0,), 3)
        for dst, src in zip(cur, old, strict=True):
            dst[...] = src
    else:
        # The current level starts in the slot that makes it end in slot 1, next to the
        # filtered previous level (which stays in slot 0), so the result is a view of
        # their shared buffer: no copy on the way out.
        cur_slot, spare_slot = (1, 2) if steps % 2 == 0 else (2, 1)
        buf, levels = _working_levels(parts, (0, cur_slot), 3)
        old, cur, spare = levels[0], levels[cur_slot], levels[spare_slot]
    bad = np.zeros(n, dtype=np.bool_)
    own = slice(own_start - data_start, own_stop - data_start)
    r = HALO_ROWS_PER_STEP

    def rows_for(call: int) -> tuple[int, int]:
        # Rows still needed after this call, widened by r: what the call must compute.
        left = calls - call
        lo = own.start - r * (left + 1) if south_cut else 0
        hi = own.stop + 1 + r * (left + 1) if north_cut else n
        return max(lo, 0), min(hi, n)

    call = 0
    step = first_step
    if starting:
        # The model's start: old = cur = x0 with dt/4 gives the midpoint, then a full dt.
        call += 1
        lo, hi = rows_for(call)
        _call(st, old, cur, spare, lo, hi, 0.25 * dt_s, 0.0, bad)
        _check(st, bad, own, 1, dt_s, spare)
        call += 1
        lo, hi = rows_for(call)
        _call(st, cur, spare, old, lo, hi, 0.5 * dt_s, 0.0, bad)
        _check(st, bad, own, 1, dt_s, old)
        _, (x0,) = _working_levels(parts, (0,), 1)
        old, cur, spare = x0, old, spare
        step += 1
    while call < calls:
        call += 1
        lo, hi = rows_for(call)
        _call(st, old, cur, spare, lo, hi, dt_s, RAW_NU, bad)
        _check(st, bad, own, step + 1, dt_s, spare)
        old, cur, spare = old, spare, cur
        step += 1
    if not starting:
        assert old is levels[0] and cur is levels[1]  # the slot choice above
        return buf[:6, own]
    return stack_levels(
        tuple(x[own] for x in old[:2]) + (old[2][own.start : own.stop + 1],),
        tuple(x[own] for x in cur[:2]) + (cur[2][own.start : own.stop + 1],),
    )
