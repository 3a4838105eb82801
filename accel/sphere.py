"""Geometry on the unit sphere: (ra, dec) <-> unit vectors, chords and angles.

Angles are radians inside the engine.  Separations use ``atan2(|a x b|, a . b)``,
which keeps full relative precision from sub-milliarcsecond scales up to 180 deg;
``arccos`` of a dot product loses about half the digits for small angles.

Every ``*_nb`` function is a Numba scalar helper used inside kernels; its NumPy
counterpart (same name without the suffix) is the reference the tests compare it with.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = [
    "radians_wrapped",
    "radec_to_xyz",
    "chord_from_angle",
    "angle_from_chord",
    "separation",
    "ra_half_width",
]

TWO_PI = 2.0 * math.pi
HALF_PI = 0.5 * math.pi


def radec_to_xyz(ra_rad: np.ndarray, dec_rad: np.ndarray) -> np.ndarray:
    """Unit vectors (n, 3) from right ascension and declination in radians.

    Examples
    --------
    >>> radec_to_xyz(np.array([0.0]), np.array([np.pi / 2])).round(12)
    array([[0., 0., 1.]])
    """
    cos_dec = np.cos(dec_rad)
    return np.stack([cos_dec * np.cos(ra_rad), cos_dec * np.sin(ra_rad), np.sin(dec_rad)], axis=-1)


def chord_from_angle(angle_rad: float | np.ndarray) -> float | np.ndarray:
    """Straight-line distance between two unit vectors separated by ``angle_rad``.

    Examples
    --------
    >>> float(chord_from_angle(np.pi))
    2.0
    """
    return 2.0 * np.sin(np.minimum(np.asarray(angle_rad, dtype=float), np.pi) / 2.0)


def angle_from_chord(chord: float | np.ndarray) -> float | np.ndarray:
    """Inverse of :func:`chord_from_angle`.

    Examples
    --------
    >>> float(angle_from_chord(2.0)) == np.pi
    True
    """
    return 2.0 * np.arcsin(np.clip(np.asarray(chord, dtype=float) / 2.0, 0.0, 1.0))


def separation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle in radians between unit vectors ``a`` and ``b`` (..., 3).

    Examples
    --------
    >>> float(separation(np.array([1.0, 0, 0]), np.array([0, 1.0, 0]))) == np.pi / 2
    True
    """
    cross = np.cross(a, b)
    return np.arctan2(np.sqrt((cross * cross).sum(axis=-1)), (a * b).sum(axis=-1))


def ra_half_width(dec_rad: np.ndarray, radius_rad: float) -> np.ndarray:
    """Half-width in RA of a cap of ``radius_rad`` centred at ``dec_rad``; pi when a pole is inside.

    The widest point of the cap is not at its declination edge: the exact half-width
    is ``asin(sin r / cos dec)``.

    Examples
    --------
    >>> float(ra_half_width(np.array(0.0), 0.1)) == 0.1
    True
    """
    dec = np.abs(np.asarray(dec_rad, dtype=float))
    inside = dec + radius_rad < HALF_PI
    ratio = np.sin(radius_rad) / np.cos(np.where(inside, dec, 0.0))
    return np.where(inside, np.arcsin(np.clip(ratio, -1.0, 1.0)), np.pi)


@njit(cache=True, inline="always")
def separation_nb(ax, ay, az, bx, by, bz):  # pragma: no cover - compiled
    cx = ay * bz - az * by
    cy = az * bx - ax * bz
    cz = ax * by - ay * bx
    return math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), ax * bx + ay * by + az * bz)


@njit(cache=True, inline="always")
def ra_half_width_nb(dec, radius):  # pragma: no cover - compiled
    adec = abs(dec)
    if adec + radius >= HALF_PI:
        return math.pi
    ratio = math.sin(radius) / math.cos(adec)
    if ratio >= 1.0:
        return math.pi
    return math.asin(ratio)


@njit(cache=True, inline="always")
def wrapped_radians_nb(ra, dec, scale):  # pragma: no cover - compiled
    """(ra * scale wrapped into [0, 2 pi), dec * scale): scale pi/180 for degrees, 1 for radians."""
    r = ra * scale
    if r < 0.0 or r >= TWO_PI:
        r = r % TWO_PI
        if r >= TWO_PI:  # a tiny negative can round up to 2 pi
            r = 0.0
    return r, dec * scale


@njit(cache=True, parallel=True)
def _radians_wrapped(ra_deg, dec_deg, ra_out, dec_out):  # pragma: no cover - compiled
    scale = math.pi / 180.0
    for i in prange(ra_deg.shape[0]):
        ra_out[i], dec_out[i] = wrapped_radians_nb(ra_deg[i], dec_deg[i], scale)


def radians_wrapped(ra_deg: np.ndarray, dec_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Degrees to radians in one pass, RA wrapped into [0, 2 pi).

    Examples
    --------
    >>> ra, dec = radians_wrapped(np.array([-90.0, 360.0]), np.array([45.0, 0.0]))
    >>> (ra / np.pi).tolist(), (dec / np.pi).tolist()
    ([1.5, 0.0], [0.25, 0.0])
    """
    ra_deg = np.ascontiguousarray(ra_deg, dtype=np.float64)
    dec_deg = np.ascontiguousarray(dec_deg, dtype=np.float64)
    ra_out = np.empty_like(ra_deg)
    dec_out = np.empty_like(dec_deg)
    _radians_wrapped(ra_deg, dec_deg, ra_out, dec_out)
    return ra_out, dec_out


def radians_wrapped_reference(ra_deg: np.ndarray, dec_deg: np.ndarray):
    """NumPy reference of :func:`radians_wrapped`."""
    ra = np.deg2rad(ra_deg)
    ra = np.where((ra < 0) | (ra >= TWO_PI), np.mod(ra, TWO_PI), ra)
    ra[ra >= TWO_PI] = 0.0
    return ra, np.deg2rad(dec_deg)


@njit(cache=True, parallel=True)
def _count_invalid(ra_deg, dec_deg):  # pragma: no cover - compiled
    nonfinite = 0
    out_of_range = 0
    for i in prange(ra_deg.shape[0]):
        r = ra_deg[i]
        d = dec_deg[i]
        if not (math.isfinite(r) and math.isfinite(d)):
            nonfinite += 1
        elif abs(d) > 90.0:
            out_of_range += 1
    return nonfinite, out_of_range


def count_invalid(ra_deg: np.ndarray, dec_deg: np.ndarray) -> tuple[int, int]:
    """``(rows with NaN/inf, rows with |dec| > 90)`` in one pass over degree arrays.

    Examples
    --------
    >>> count_invalid(np.array([0.0, np.nan, 1.0]), np.array([0.0, 0.0, 91.0]))
    (1, 1)
    """
    return tuple(int(v) for v in _count_invalid(ra_deg, dec_deg))
