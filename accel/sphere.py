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
from numba import njit

__all__ = [
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
