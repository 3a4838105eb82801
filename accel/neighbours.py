"""Neighbour search on the sphere over :mod:`accel.buckets`.

Two searches, both deterministic whatever the thread count:

* :func:`pairs_within` — every (query, point) pair closer than a radius.  Pairs are
  emitted in two passes (count, then fill at precomputed offsets), so threads never
  append to shared lists, and come out sorted by (query index, point index).
* :func:`nearest` — the ``k`` nearest points of each query, optionally within a
  maximum radius; ties in distance go to the lower point index.

A candidate is accepted when its chord (straight-line distance between unit
vectors) is at most ``2 sin(r / 2)``, the same test a KD-tree over unit vectors
makes; reported separations use ``atan2(|a x b|, a . b)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from accel.buckets import SkyGrid, cell_ids, counting_sort, make_grid, zone_of
from accel.sphere import ra_half_width, ra_half_width_nb, separation_nb, wrapped_radians_nb

__all__ = ["Buckets", "bucket_points", "pairs_within", "nearest", "prepare_queries"]

# Queries are processed in fixed blocks of this many (in cell order), so the work
# split never depends on the thread count.
BLOCK = 2048
# Window padding in radians: far above round-off, far below any cell size.
PAD_RAD = 1e-9
TWO_PI = 2.0 * math.pi


@dataclass(frozen=True)
class Buckets:
    """Points sorted by cell, their unit vectors stored row by row in that order."""

    grid: SkyGrid
    order: np.ndarray  # sorted position -> original index
    cell_start: np.ndarray
    xyz: np.ndarray  # (n, 3), so one cell's candidates share cache lines


@njit(cache=True, parallel=True)
def _gather(ra, dec, scale, order, xyz, ra_out, dec_out):  # pragma: no cover - compiled
    # Two loops on purpose: the bare gather keeps many cache misses in flight at
    # once, which a loop that also does trig per point would not.  The angles wait
    # in the first two columns of ``xyz`` so no extra array is touched.
    keep = ra_out.shape[0] > 0
    for s in prange(order.shape[0]):
        i = order[s]
        r, d = wrapped_radians_nb(ra[i], dec[i], scale)
        xyz[s, 0] = r
        xyz[s, 1] = d
        if keep:
            ra_out[s] = r
            dec_out[s] = d
    for s in prange(order.shape[0]):
        r = xyz[s, 0]
        d = xyz[s, 1]
        c = math.cos(d)
        xyz[s, 0] = c * math.cos(r)
        xyz[s, 1] = c * math.sin(r)
        xyz[s, 2] = math.sin(d)


def bucket_points(ra: np.ndarray, dec: np.ndarray, grid: SkyGrid, scale: float = 1.0) -> Buckets:
    """Sort points into ``grid``'s cells and lay their unit vectors out in cell order.

    Angles are ``ra * scale``, ``dec * scale`` radians (scale pi/180 for degrees).

    Examples
    --------
    >>> b = bucket_points(np.array([4.0, 0.0]), np.array([0.0, 0.0]), make_grid(2))
    >>> b.order.tolist()
    [1, 0]
    """
    order, cell_start = counting_sort(cell_ids(ra, dec, grid, scale), grid.n_cells)
    xyz = np.empty((order.shape[0], 3))
    _gather(ra, dec, float(scale), order, xyz, np.empty(0), np.empty(0))
    return Buckets(grid, order, cell_start, xyz)


@dataclass(frozen=True)
class Queries:
    """Query points copied in cell order (``visit[s]`` is the original index of row ``s``).

    Visiting queries in cell order keeps the candidate cells in cache, and the
    contiguous copies keep the query reads sequential.
    """

    visit: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    xyz: np.ndarray


def prepare_queries(ra: np.ndarray, dec: np.ndarray, grid: SkyGrid, scale: float = 1.0) -> Queries:
    """Sort queries into ``grid``'s cell order and copy what the kernels read (radians)."""
    visit, _ = counting_sort(cell_ids(ra, dec, grid, scale), grid.n_cells)
    n = visit.shape[0]
    ra_s, dec_s, xyz = np.empty(n), np.empty(n), np.empty((n, 3))
    _gather(ra, dec, float(scale), visit, xyz, ra_s, dec_s)
    return Queries(visit, ra_s, dec_s, xyz)


@njit(cache=True, inline="always")
def _ra_cells(ra, dra, full, n_ra):  # pragma: no cover - compiled
    if full:
        return 0, n_ra - 1
    lo = int(math.floor((ra - dra) * n_ra / TWO_PI))
    hi = int(math.floor((ra + dra) * n_ra / TWO_PI))
    if hi - lo + 1 >= n_ra:
        return 0, n_ra - 1
    return lo, hi


@njit(cache=True, parallel=True)
def _pairs_pass(
    q_ra,
    q_dec,
    q_xyz,
    zone_height,
    n_ra,
    zone_start,
    cell_start,
    p_xyz,
    p_order,
    radius,
    chord2_max,
    zone_dra,
    fill,
    counts,
    offsets,
    out_j,
    out_sep,
):  # pragma: no cover - compiled
    n_zones = n_ra.shape[0]
    nq = q_ra.shape[0]
    for b in prange((nq + BLOCK - 1) // BLOCK):
        for s in range(b * BLOCK, min(nq, (b + 1) * BLOCK)):
            ra = q_ra[s]
            dec = q_dec[s]
            x = q_xyz[s, 0]
            y = q_xyz[s, 1]
            z = q_xyz[s, 2]
            dra = zone_dra[zone_of(dec, zone_height, n_zones)]
            full = dra >= math.pi
            z0 = zone_of(dec - radius - PAD_RAD, zone_height, n_zones)
            z1 = zone_of(dec + radius + PAD_RAD, zone_height, n_zones)
            start = offsets[s] if fill else 0
            k = 0
            for zz in range(z0, z1 + 1):
                nr = n_ra[zz]
                lo, hi = _ra_cells(ra, dra, full, nr)
                for c in range(lo, hi + 1):
                    cell = zone_start[zz] + (c % nr)
                    for j in range(cell_start[cell], cell_start[cell + 1]):
                        dx = p_xyz[j, 0] - x
                        dy = p_xyz[j, 1] - y
                        dz = p_xyz[j, 2] - z
                        if dx * dx + dy * dy + dz * dz <= chord2_max:
                            if fill:
                                out_j[start + k] = p_order[j]
                                out_sep[start + k] = separation_nb(
                                    x, y, z, p_xyz[j, 0], p_xyz[j, 1], p_xyz[j, 2]
                                )
                            k += 1
            if fill and k > 32:
                perm = np.argsort(out_j[start : start + k])
                out_j[start : start + k] = out_j[start : start + k][perm]
                out_sep[start : start + k] = out_sep[start : start + k][perm]
            elif fill:
                # Insertion sort by point index: segments are usually a handful of pairs.
                for a in range(start + 1, start + k):
                    jv = out_j[a]
                    sv = out_sep[a]
                    m = a - 1
                    while m >= start and out_j[m] > jv:
                        out_j[m + 1] = out_j[m]
                        out_sep[m + 1] = out_sep[m]
                        m -= 1
                    out_j[m + 1] = jv
                    out_sep[m + 1] = sv
            else:
                counts[s] = k


def _zone_half_widths(grid: SkyGrid, radius_rad: float) -> np.ndarray:
    """RA half-width of the search window for queries in each zone (pi: whole circle).

    The widest cap in a zone belongs to its most polar query, so one conservative
    width per zone replaces an asin per query.
    """
    lower = -0.5 * math.pi + grid.zone_height * np.arange(grid.n_zones)
    most_polar = np.maximum(np.abs(lower), np.abs(lower + grid.zone_height))
    dra = ra_half_width(most_polar, radius_rad)
    return np.where(dra >= math.pi, math.pi, dra * (1.0 + 1e-9) + PAD_RAD)


def _dec_range(dec: np.ndarray, scale: float) -> tuple[float, float] | None:
    """Lowest and highest declination (radians) of the points, for the cell size."""
    if dec.shape[0] == 0:
        return None
    return float(dec.min()) * scale, float(dec.max()) * scale


def pairs_within(
    q_ra: np.ndarray,
    q_dec: np.ndarray,
    p_ra: np.ndarray,
    p_dec: np.ndarray,
    radius_rad: float,
    *,
    degrees: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs closer than ``radius_rad``: ``(query_idx, point_idx, sep_rad)``.

    Inputs are clean angles, radians unless ``degrees`` (RA any value, Dec within
    +-90 deg); the caller validates.  Output is sorted by query index, then point
    index.

    Examples
    --------
    >>> q, p, s = pairs_within(np.array([0.0]), np.array([0.0]),
    ...                        np.array([1e-6, 2.0]), np.array([0.0, 0.0]), 1e-5)
    >>> q.tolist(), p.tolist(), bool(np.isclose(s[0], 1e-6))
    ([0], [0], True)
    """
    scale = math.pi / 180.0 if degrees else 1.0
    grid = make_grid(p_ra.shape[0], radius_rad, _dec_range(p_dec, scale))
    buckets = bucket_points(p_ra, p_dec, grid, scale)
    queries = prepare_queries(q_ra, q_dec, grid, scale)
    return _pairs(queries, buckets, radius_rad)


def _pairs(queries: Queries, buckets: Buckets, radius_rad: float):
    # Both passes run in cell order and touch only cell-ordered arrays; moving
    # counts and offsets between cell order and input order is left to two bare
    # NumPy scatter/gather loops, which overlap their cache misses far better.
    grid = buckets.grid
    nq = queries.ra.shape[0]
    chord2 = float(2.0 * math.sin(min(radius_rad, math.pi) / 2.0)) ** 2
    counts_visit = np.empty(nq, dtype=np.int64)
    args = (
        queries.ra,
        queries.dec,
        queries.xyz,
        grid.zone_height,
        grid.n_ra,
        grid.zone_start,
        buckets.cell_start,
        buckets.xyz,
        buckets.order,
        float(radius_rad),
        chord2,
        _zone_half_widths(grid, radius_rad),
    )
    empty_i = np.empty(0, dtype=np.int64)
    _pairs_pass(*args, False, counts_visit, empty_i, empty_i, np.empty(0))
    counts = np.empty(nq, dtype=np.int64)
    counts[queries.visit] = counts_visit
    offsets = np.zeros(nq + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    total = int(offsets[-1])
    out_j = np.empty(total, dtype=np.int64)
    out_sep = np.empty(total, dtype=np.float64)
    _pairs_pass(*args, True, counts_visit, offsets[queries.visit], out_j, out_sep)
    out_i = np.repeat(np.arange(nq, dtype=np.int64), counts)
    return out_i, out_j, out_sep


@njit(cache=True, parallel=True)
def _nearest_pass(
    q_ra,
    q_dec,
    q_xyz,
    visit,
    zone_height,
    n_ra,
    zone_start,
    cell_start,
    p_xyz,
    p_order,
    k,
    start_radius,
    max_radius,
    out_j,
    out_sep,
):  # pragma: no cover - compiled
    n_zones = n_ra.shape[0]
    nq = visit.shape[0]
    for b in prange((nq + BLOCK - 1) // BLOCK):
        best_d2 = np.empty(k)
        best_j = np.empty(k, dtype=np.int64)
        best_s = np.empty(k, dtype=np.int64)
        for s in range(b * BLOCK, min(nq, (b + 1) * BLOCK)):
            i = visit[s]
            ra = q_ra[s]
            dec = q_dec[s]
            x = q_xyz[s, 0]
            y = q_xyz[s, 1]
            z = q_xyz[s, 2]
            radius = min(start_radius, max_radius)
            while True:
                found = 0
                chord = 2.0 * math.sin(min(radius, math.pi) / 2.0)
                chord2 = chord * chord
                dra = ra_half_width_nb(dec, radius)
                full = dra >= math.pi
                dra = dra * (1.0 + 1e-9) + PAD_RAD
                z0 = zone_of(dec - radius - PAD_RAD, zone_height, n_zones)
                z1 = zone_of(dec + radius + PAD_RAD, zone_height, n_zones)
                for zz in range(z0, z1 + 1):
                    nr = n_ra[zz]
                    lo, hi = _ra_cells(ra, dra, full, nr)
                    for c in range(lo, hi + 1):
                        cell = zone_start[zz] + (c % nr)
                        for j in range(cell_start[cell], cell_start[cell + 1]):
                            dx = p_xyz[j, 0] - x
                            dy = p_xyz[j, 1] - y
                            dz = p_xyz[j, 2] - z
                            d2 = dx * dx + dy * dy + dz * dz
                            if d2 > chord2:
                                continue
                            jj = p_order[j]
                            if found == k and (
                                d2 > best_d2[k - 1] or (d2 == best_d2[k - 1] and jj > best_j[k - 1])
                            ):
                                continue
                            m = found if found < k else k - 1
                            while m > 0 and (
                                best_d2[m - 1] > d2 or (best_d2[m - 1] == d2 and best_j[m - 1] > jj)
                            ):
                                best_d2[m] = best_d2[m - 1]
                                best_j[m] = best_j[m - 1]
                                best_s[m] = best_s[m - 1]
                                m -= 1
                            best_d2[m] = d2
                            best_j[m] = jj
                            best_s[m] = j
                            if found < k:
                                found += 1
                if found == k or radius >= max_radius:
                    break
                radius = min(2.0 * radius, max_radius)
            for m in range(k):
                if m < found:
                    j = best_s[m]
                    out_j[i, m] = best_j[m]
                    out_sep[i, m] = separation_nb(x, y, z, p_xyz[j, 0], p_xyz[j, 1], p_xyz[j, 2])
                else:
                    out_j[i, m] = -1
                    out_sep[i, m] = np.nan


def nearest(
    q_ra: np.ndarray,
    q_dec: np.ndarray,
    p_ra: np.ndarray,
    p_dec: np.ndarray,
    k: int = 1,
    max_radius_rad: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest points of each query: ``(point_idx, sep_rad)``, each (nq, k).

    Missing neighbours (fewer than ``k`` points, or none within ``max_radius_rad``)
    are ``-1`` with a NaN separation.

    Examples
    --------
    >>> j, s = nearest(np.array([0.0]), np.array([0.0]),
    ...                np.array([0.5, 0.1, 3.0]), np.array([0.0, 0.0, 0.0]), k=2)
    >>> j.tolist()
    [[1, 0]]
    """
    max_radius = math.pi if max_radius_rad is None else min(float(max_radius_rad), math.pi)
    grid = make_grid(
        p_ra.shape[0],
        0.0 if max_radius_rad is None else min(max_radius, 0.01),
        _dec_range(p_dec, 1.0),
    )
    buckets = bucket_points(p_ra, p_dec, grid)
    queries = prepare_queries(q_ra, q_dec, grid)
    nq = q_ra.shape[0]
    out_j = np.empty((nq, k), dtype=np.int64)
    out_sep = np.empty((nq, k), dtype=np.float64)
    _nearest_pass(
        queries.ra,
        queries.dec,
        queries.xyz,
        queries.visit,
        grid.zone_height,
        grid.n_ra,
        grid.zone_start,
        buckets.cell_start,
        buckets.xyz,
        buckets.order,
        int(k),
        float(grid.zone_height),
        max_radius,
        out_j,
        out_sep,
    )
    return out_j, out_sep
