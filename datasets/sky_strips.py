"""Synthetic catalog pairs generated already cut on the sky, in declination strips.

A pair of ``n`` rows per side is made of ``strip_count(n)`` equal-area declination
strips.  The strip count depends only on ``n``, and strip ``s`` is generated from
``SeedSequence(seed, spawn_key=(s,))`` alone, so any set of strips can be made
anywhere, in any order, and the whole catalog is the strips concatenated
(:func:`make_strip_pair`).  A Dask task can build one sky tile (consecutive strips,
plus the rows of neighbouring strips that reach into its margin) without ever
seeing the rest of the catalog.

Inside strip ``s`` (``strip_rows(n, s)`` rows, global rows from
``strip_offset(n, s)``):

* left row ``k`` is uniform on the strip: ``ra = 360 u0``, ``sin(dec)`` uniform
  between the strip's edges;
* right row ``k`` is, with probability ``matched_fraction`` (``u2 < f``), the true
  counterpart of left row ``k``: moved along a great circle by a 2-D Gaussian offset
  of ``scatter_arcsec`` per axis (Box-Muller on ``u3, u4``); otherwise a field source
  uniform on the strip (``ra = 360 u3``, ``sin(dec)`` from ``u4``).

``u0..u4`` are one ``Generator.random((5, rows))`` draw.  The Box-Muller radius
``sigma * sqrt(-2 ln(1 - u3))`` can never exceed :data:`MAX_SCATTER_SIGMAS` sigma
(``1 - u3 >= 2**-53``), so a right row never lies further than that from its strip:
a tile knows which neighbouring strips can reach its margin without generating the
others.  Compared with :func:`~accel_datasets.synthetic.make_pair`: no spurious
sources and no galactic-plane contrast, the counterpart count per strip is binomial
rather than exact, and the right catalog is not shuffled (row ``k`` of both sides
belong together when matched).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from accel_datasets.synthetic import _check_count, _check_fraction
from numba import njit

from accel.sphere import wrapped_radians_nb

__all__ = [
    "MAX_SCATTER_SIGMAS",
    "ROWS_PER_STRIP",
    "StripPair",
    "check_pair_parameters",
    "make_strip",
    "make_strip_pair",
    "strip_count",
    "strip_edges_z",
    "strip_offset",
    "strip_rows",
    "strip_rows_reference",
    "strip_uniforms",
]

ROWS_PER_STRIP = 1 << 16
"""Rows per strip (at least :data:`MIN_STRIPS` strips): small enough that a tile's
neighbouring strips cost little to regenerate and a strip's temporaries stay in cache."""
MIN_STRIPS = 32
MAX_SCATTER_SIGMAS = math.sqrt(-2.0 * math.log(2.0**-53))
"""Largest counterpart offset, in units of the scatter per axis (about 8.57)."""
_DEG = 180.0 / math.pi
_RAD = math.pi / 180.0


def strip_count(n: int) -> int:
    """Number of strips of an ``n``-row catalog: depends on ``n`` only.

    Examples
    --------
    >>> strip_count(1000), strip_count(100_000_000)
    (32, 1526)
    """
    return max(MIN_STRIPS, -(-_check_count("n", n) // ROWS_PER_STRIP))


def strip_edges_z(n_strips: int) -> np.ndarray:
    """``sin(dec)`` of the strip edges, south to north (equal-area strips).

    Examples
    --------
    >>> strip_edges_z(4).tolist()
    [-1.0, -0.5, 0.0, 0.5, 1.0]
    """
    return -1.0 + 2.0 * np.arange(n_strips + 1) / n_strips


def strip_offset(n: int, s: int | np.ndarray, n_strips: int | None = None):
    """Global row number of the first row of strip ``s`` (``s = n_strips`` gives ``n``)."""
    n_strips = strip_count(n) if n_strips is None else n_strips
    return np.asarray(s, dtype=np.int64) * n // n_strips


def _strip_rows_count(n: int, s: int, n_strips: int) -> int:
    return int(strip_offset(n, s + 1, n_strips) - strip_offset(n, s, n_strips))


@njit(cache=True)
def _strip_kernel(u, z0, z1, f, sigma_rad, radians, l_ra, l_dec, r_ra, r_dec):  # pragma: no cover
    # Degrees, or (radians=True) those degrees converted exactly as
    # accel.sphere.radians_wrapped converts them, so a tile needs no second pass.
    dz = z1 - z0
    for k in range(u.shape[1]):
        a = 2.0 * math.pi * u[0, k]
        z = z0 + dz * u[1, k]
        lra = 360.0 * u[0, k]
        ldec = math.asin(z) * _DEG
        if u[2, k] < f:
            rho = sigma_rad * math.sqrt(-2.0 * math.log(1.0 - u[3, k]))
            theta = 2.0 * math.pi * u[4, k]
            east = math.sin(rho) * math.sin(theta)
            north = math.sin(rho) * math.cos(theta)
            c = math.cos(rho)
            cos_a = math.cos(a)
            sin_a = math.sin(a)
            cos_d = math.sqrt(max(0.0, 1.0 - z * z))
            x = c * cos_d * cos_a - east * sin_a - north * z * cos_a
            y = c * cos_d * sin_a + east * cos_a - north * z * sin_a
            zz = c * z + north * cos_d
            rra = math.atan2(y, x) * _DEG
            if rra < 0.0:
                rra += 360.0
            if rra >= 360.0:
                rra = 0.0
            rdec = math.atan2(zz, math.sqrt(x * x + y * y)) * _DEG
        else:
            rra = 360.0 * u[3, k]
            rdec = math.asin(z0 + dz * u[4, k]) * _DEG
        if radians:
            l_ra[k], l_dec[k] = wrapped_radians_nb(lra, ldec, _RAD)
            r_ra[k], r_dec[k] = wrapped_radians_nb(rra, rdec, _RAD)
        else:
            l_ra[k] = lra
            l_dec[k] = ldec
            r_ra[k] = rra
            r_dec[k] = rdec


def strip_rows_reference(u, z0, z1, f, sigma_rad):
    """NumPy reference of the strip kernel: ``(4, rows)`` degrees and the matched mask."""
    a = 2.0 * np.pi * u[0]
    z = z0 + (z1 - z0) * u[1]
    left_ra, left_dec = 360.0 * u[0], np.degrees(np.arcsin(z))
    matched = u[2] < f
    rho = sigma_rad * np.sqrt(-2.0 * np.log1p(-u[3]))
    theta = 2.0 * np.pi * u[4]
    east, north = np.sin(rho) * np.sin(theta), np.sin(rho) * np.cos(theta)
    cos_d = np.sqrt(np.maximum(0.0, 1.0 - z * z))
    c = np.cos(rho)
    x = c * cos_d * np.cos(a) - east * np.sin(a) - north * z * np.cos(a)
    y = c * cos_d * np.sin(a) + east * np.cos(a) - north * z * np.sin(a)
    zz = c * z + north * cos_d
    m_ra = np.degrees(np.arctan2(y, x)) % 360.0
    m_ra[m_ra >= 360.0] = 0.0
    m_dec = np.degrees(np.arctan2(zz, np.hypot(x, y)))
    f_ra, f_dec = 360.0 * u[3], np.degrees(np.arcsin(z0 + (z1 - z0) * u[4]))
    right_ra = np.where(matched, m_ra, f_ra)
    right_dec = np.where(matched, m_dec, f_dec)
    return np.stack([left_ra, left_dec, right_ra, right_dec]), matched


def strip_uniforms(n: int, s: int, seed: int, n_strips: int | None = None) -> np.ndarray:
    """The ``(5, rows)`` uniforms strip ``s`` is made from."""
    n_strips = strip_count(n) if n_strips is None else n_strips
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(s,)))
    return rng.random((5, _strip_rows_count(n, s, n_strips)))


def make_strip(
    n: int,
    s: int,
    *,
    seed: int = 0,
    matched_fraction: float = 0.5,
    scatter_arcsec: float = 0.3,
    radians: bool = False,
    out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Strip ``s`` of the ``n``-row pair: ``(left_ra, left_dec, right_ra, right_dec)``.

    Degrees, or with ``radians=True`` those degrees converted to radians exactly as
    :func:`accel.sphere.radians_wrapped` does (RA in [0, 2 pi)).  ``out``: four
    contiguous float64 arrays of the strip's length to fill instead of new ones.

    Examples
    --------
    >>> left_ra, left_dec, right_ra, right_dec = make_strip(10_000, 3, seed=1)
    >>> left_ra.shape, bool(((left_dec > -54.4) & (left_dec < -48.5)).all())
    ((313,), True)
    """
    n_strips = strip_count(n)
    if not 0 <= s < n_strips:
        raise ValueError(f"strip must lie in [0, {n_strips}); got {s}")
    u = strip_uniforms(n, s, seed, n_strips)
    if out is None:
        out = tuple(np.empty(u.shape[1]) for _ in range(4))
    z = strip_edges_z(n_strips)
    sigma_rad = math.radians(scatter_arcsec / 3600.0)
    _strip_kernel(u, float(z[s]), float(z[s + 1]), float(matched_fraction), sigma_rad,
                  bool(radians), *out)  # fmt: skip
    return out


def strip_rows(n: int, s: int) -> int:
    """Rows of strip ``s`` of an ``n``-row catalog (per side)."""
    return _strip_rows_count(n, s, strip_count(n))


@dataclass(eq=False)
class StripPair:
    """A whole strip-generated pair in memory (degrees) with its truth."""

    left_ra: np.ndarray
    left_dec: np.ndarray
    right_ra: np.ndarray
    right_dec: np.ndarray
    matched: np.ndarray  # right row k is the counterpart of left row k


def check_pair_parameters(
    seed: object, matched_fraction: object, scatter_arcsec: object
) -> tuple[int, float, float]:
    """Validate the parameters shared by every strip of a pair; returns them normalised.

    Examples
    --------
    >>> check_pair_parameters(1, 0.5, 0.3)
    (1, 0.5, 0.3)
    """
    seed = _check_count("seed", seed)
    matched_fraction = _check_fraction("matched_fraction", matched_fraction)
    if isinstance(scatter_arcsec, bool) or not isinstance(scatter_arcsec, numbers.Real):
        raise TypeError(f"scatter_arcsec must be a real number; got {scatter_arcsec!r}")
    if not (math.isfinite(scatter_arcsec) and scatter_arcsec >= 0.0):
        raise ValueError(
            f"scatter_arcsec must be a finite non-negative angle; got {scatter_arcsec}"
        )
    return seed, matched_fraction, float(scatter_arcsec)


def make_strip_pair(
    n: int, *, seed: int = 0, matched_fraction: float = 0.5, scatter_arcsec: float = 0.3
) -> StripPair:
    """The whole ``n``-row pair: every strip, concatenated in strip order.

    Examples
    --------
    >>> pair = make_strip_pair(5000, seed=2)
    >>> pair.left_ra.shape, bool(0.4 < pair.matched.mean() < 0.6)
    ((5000,), True)
    """
    n = _check_count("n", n)
    seed, matched_fraction, scatter_arcsec = check_pair_parameters(
        seed, matched_fraction, scatter_arcsec
    )
    n_strips = strip_count(n)
    rows = [np.empty(n) for _ in range(4)]
    matched = np.empty(n, dtype=bool)
    for s in range(n_strips):
        lo, hi = strip_offset(n, s, n_strips), strip_offset(n, s + 1, n_strips)
        make_strip(n, s, seed=seed, matched_fraction=matched_fraction,
                   scatter_arcsec=scatter_arcsec, out=tuple(r[lo:hi] for r in rows))  # fmt: skip
        matched[lo:hi] = strip_uniforms(n, s, seed, n_strips)[2] < matched_fraction
    return StripPair(rows[0], rows[1], rows[2], rows[3], matched)
