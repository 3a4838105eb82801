"""Epoch propagation: move positions along their proper motion between epochs.

Motion is along the great circle, the way a star with zero radial velocity moves:
the tangential velocity is added to the unit vector and the sum renormalised.
This is what astropy's ``SkyCoord.apply_space_motion`` (ERFA ``pmsafe``) computes
for zero radial velocity, up to ERFA's light-time correction (sub-microarcsecond
for these catalogs); unlike linear motion in (RA, Dec) it stays right at the poles.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = ["propagate", "propagate_reference"]

MAS_TO_RAD = math.pi / (180.0 * 3600.0 * 1000.0)


@njit(cache=True, parallel=True)
def _propagate(ra, dec, pmra, pmdec, dt_yr, out_ra, out_dec):  # pragma: no cover - compiled
    for i in prange(ra.shape[0]):
        sa = math.sin(ra[i])
        ca = math.cos(ra[i])
        sd = math.sin(dec[i])
        cd = math.cos(dec[i])
        mua = pmra[i] * MAS_TO_RAD * dt_yr
        mud = pmdec[i] * MAS_TO_RAD * dt_yr
        # u + mu_alpha* e_alpha + mu_delta e_delta
        x = cd * ca - mua * sa - mud * sd * ca
        y = cd * sa + mua * ca - mud * sd * sa
        z = sd + mud * cd
        r = math.atan2(y, x)
        out_ra[i] = r + 2.0 * math.pi if r < 0.0 else r
        out_dec[i] = math.atan2(z, math.sqrt(x * x + y * y))


def propagate(
    ra_rad: np.ndarray,
    dec_rad: np.ndarray,
    pmra_masyr: np.ndarray,
    pmdec_masyr: np.ndarray,
    dt_yr: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``dt_yr`` Julian years later, in radians (RA in [0, 2 pi)).

    ``pmra_masyr`` is the proper motion in RA times cos(Dec), as Hipparcos and Gaia
    publish it.  Inputs must be finite; the public API validates them.

    Examples
    --------
    >>> ra, dec = propagate(np.array([0.0]), np.array([0.0]), np.array([1000.0]),
    ...                     np.array([0.0]), 3.6)
    >>> round(float(np.rad2deg(ra[0])) * 3600, 6)
    3.6
    """
    out_ra = np.empty_like(ra_rad, dtype=np.float64)
    out_dec = np.empty_like(dec_rad, dtype=np.float64)
    _propagate(
        np.ascontiguousarray(ra_rad, dtype=np.float64),
        np.ascontiguousarray(dec_rad, dtype=np.float64),
        np.ascontiguousarray(pmra_masyr, dtype=np.float64),
        np.ascontiguousarray(pmdec_masyr, dtype=np.float64),
        float(dt_yr),
        out_ra,
        out_dec,
    )
    return out_ra, out_dec


def propagate_reference(ra_rad, dec_rad, pmra_masyr, pmdec_masyr, dt_yr):
    """NumPy reference of :func:`propagate`, written with explicit basis vectors."""
    sa, ca, sd, cd = np.sin(ra_rad), np.cos(ra_rad), np.sin(dec_rad), np.cos(dec_rad)
    u = np.stack([cd * ca, cd * sa, sd])
    e_ra = np.stack([-sa, ca, np.zeros_like(sa)])
    e_dec = np.stack([-sd * ca, -sd * sa, cd])
    p = u + (pmra_masyr * MAS_TO_RAD * dt_yr) * e_ra + (pmdec_masyr * MAS_TO_RAD * dt_yr) * e_dec
    ra = np.mod(np.arctan2(p[1], p[0]), 2 * np.pi)
    dec = np.arctan2(p[2], np.hypot(p[0], p[1]))
    return ra, dec
