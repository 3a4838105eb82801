"""Brute-force NumPy references for :mod:`accel.neighbours` (the test oracle).

Same signatures and outputs; every query is compared with every point, in chunks
so memory stays bounded.  Only for small inputs.
"""

from __future__ import annotations

import math

import numpy as np

from accel.sphere import radec_to_xyz, separation

__all__ = ["pairs_within_reference", "nearest_reference"]


def pairs_within_reference(q_ra, q_dec, p_ra, p_dec, radius_rad, chunk: int = 512):
    """All pairs with chord <= 2 sin(r/2), sorted by (query, point)."""
    q = radec_to_xyz(q_ra, q_dec)
    p = radec_to_xyz(p_ra, p_dec)
    chord2 = (2.0 * math.sin(min(radius_rad, math.pi) / 2.0)) ** 2
    out_i, out_j = [], []
    for start in range(0, q.shape[0], chunk):
        d = q[start : start + chunk, None, :] - p[None, :, :]
        i, j = np.nonzero((d * d).sum(axis=-1) <= chord2)
        out_i.append(i + start)
        out_j.append(j)
    i = np.concatenate(out_i).astype(np.int64) if out_i else np.empty(0, np.int64)
    j = np.concatenate(out_j).astype(np.int64) if out_j else np.empty(0, np.int64)
    return i, j, separation(q[i], p[j])


def nearest_reference(q_ra, q_dec, p_ra, p_dec, k=1, max_radius_rad=None):
    """The k nearest points per query (ties to the lower index); -1 / NaN when missing."""
    q = radec_to_xyz(q_ra, q_dec)
    p = radec_to_xyz(p_ra, p_dec)
    limit = (
        math.inf
        if max_radius_rad is None
        else (2.0 * math.sin(min(max_radius_rad, math.pi) / 2)) ** 2
    )
    out_j = np.full((q.shape[0], k), -1, dtype=np.int64)
    out_sep = np.full((q.shape[0], k), np.nan)
    for i in range(q.shape[0]):
        d = q[i] - p
        d2 = (d * d).sum(axis=-1)
        order = np.lexsort((np.arange(p.shape[0]), d2))[:k]
        order = order[d2[order] <= limit]
        out_j[i, : order.size] = order
        out_sep[i, : order.size] = separation(q[i], p[order])
    return out_j, out_sep
