"""One-to-one matching: each row of either catalog in at most one pair.

The symmetric best match (STILTS ``find=best``) is built greedily: candidate pairs
are taken in order of increasing separation, ties broken by left index then right
index, and a pair is kept when neither of its rows is already taken.  The order is
a total order on the pairs, so the result does not depend on input order of the
pairs or on threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["best_pairs", "best_pairs_reference", "best_per_row"]


@njit(cache=True)
def _greedy(order, left, right, n_left, n_right, keep):  # pragma: no cover - compiled
    used_left = np.zeros(n_left, dtype=np.bool_)
    used_right = np.zeros(n_right, dtype=np.bool_)
    for p in order:
        i = left[p]
        j = right[p]
        if not used_left[i] and not used_right[j]:
            used_left[i] = True
            used_right[j] = True
            keep[p] = True


def best_pairs(
    left: np.ndarray, right: np.ndarray, sep: np.ndarray, n_left: int, n_right: int
) -> np.ndarray:
    """Mask of the symmetric one-to-one best pairs among candidate pairs.

    Examples
    --------
    >>> best_pairs(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1.0, 2.0, 0.5]), 2, 2)
    array([False,  True,  True])
    """
    order = np.lexsort((right, left, sep))
    keep = np.zeros(left.shape[0], dtype=np.bool_)
    _greedy(order, left, right, n_left, n_right, keep)
    return keep


def best_pairs_reference(left, right, sep, n_left, n_right):
    """Pure-Python reference of :func:`best_pairs`."""
    keep = [False] * len(left)
    used_l, used_r = set(), set()
    for p in sorted(range(len(left)), key=lambda q: (sep[q], left[q], right[q])):
        if left[p] not in used_l and right[p] not in used_r:
            used_l.add(left[p])
            used_r.add(right[p])
            keep[p] = True
    return np.array(keep, dtype=bool)


def best_per_row(rows: np.ndarray, others: np.ndarray, sep: np.ndarray) -> np.ndarray:
    """Mask keeping, for each value of ``rows``, its closest pair (ties: lower ``others``).

    Examples
    --------
    >>> best_per_row(np.array([0, 0, 1]), np.array([5, 3, 1]), np.array([1.0, 1.0, 2.0]))
    array([False,  True,  True])
    """
    order = np.lexsort((others, sep, rows))
    first = np.ones(order.shape[0], dtype=bool)
    first[1:] = rows[order[1:]] != rows[order[:-1]]
    keep = np.zeros(rows.shape[0], dtype=bool)
    keep[order[first]] = True
    return keep
