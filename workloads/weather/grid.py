"""The latitude-longitude Arakawa C grid of the shallow-water model and its metric terms.

Layout (all angles in degrees at the edges of the package, radians here):

* cell centres (``h``, ``hs``): ``lat[j] = -90 + (j + 1/2) d``, ``lon[i] = i d``; no point
  lies on a pole;
* ``u`` on east faces: row ``j``, longitude ``lon_u[i] = (i + 1/2) d``;
* ``v`` on north/south faces: ``lat_v[jf] = -90 + jf d`` for ``jf = 0 .. nlat`` (both poles
  included, where ``v`` is zero by construction);
* vorticity on corners ``(lat_v[jf], lon_u[i])``.

Metric lengths are derived from exact spherical areas so that the discrete pressure work
equals the discrete divergence of the mass flux (the semi-discrete energy exchange between
kinetic and potential energy is exact) and the discrete curl of a discrete gradient is
exactly zero.  All of them differ from the textbook ``a cos(lat) dlon`` and ``a dlat`` only
at second order in the spacing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "EARTH_RADIUS_M",
    "OMEGA_PER_S",
    "GRAVITY_M_S2",
    "POLAR_FILTER_LAT_DEG",
    "HALO_ROWS_PER_STEP",
    "Grid",
    "make_grid",
]

EARTH_RADIUS_M = 6.37122e6
OMEGA_PER_S = 7.292e-5
GRAVITY_M_S2 = 9.80616

# Poleward of this latitude the tendencies are Fourier-filtered so that the stable time
# step is the one of this latitude, not of the rows next to the poles.
POLAR_FILTER_LAT_DEG = 60.0

# Rows of neighbours one model step reads on each side of a latitude row (h, u and the
# v face north of it).  A latitude block advanced k steps on one exchange needs k rows.
HALO_ROWS_PER_STEP = 1


@dataclass(frozen=True)
class Grid:
    """Coordinates, metric terms and polar-filter response of one resolution.

    Attributes are NumPy float64 arrays (radians, metres, square metres) except the
    integer sizes and the filter row maps.
    """

    resolution_deg: float
    nlat: int
    nlon: int
    lat: np.ndarray  # (nlat,) cell-centre latitudes, rad
    lon: np.ndarray  # (nlon,) cell-centre longitudes, rad
    lat_v: np.ndarray  # (nlat + 1,) face latitudes, rad, poles included
    lon_u: np.ndarray  # (nlon,) east-face longitudes, rad
    area_m2: np.ndarray  # (nlat,) cell area
    area_v_m2: np.ndarray  # (nlat + 1,) area of the box around a v point / corner
    dx_u_m: np.ndarray  # (nlat,) zonal distance between centres along row j
    dy_v_m: float  # meridional distance between centres across a face
    face_u_m: float  # length of an east face (u flux)
    face_v_m: np.ndarray  # (nlat + 1,) length of a north face (v flux), 0 at the poles
    weight_s: np.ndarray  # (nlat,) share of the cell below its centre (kinetic energy)
    weight_n: np.ndarray  # (nlat,) share above its centre
    filter_row_h: np.ndarray  # (nlat,) int64 row of `filter_gain` for h/u row j, -1: none
    filter_row_v: np.ndarray  # (nlat + 1,) int64 row of `filter_gain` for face jf, -1: none
    filter_gain: np.ndarray  # (nfilter, nlon) gain per zonal wavenumber, FFT order

    @property
    def shape(self) -> tuple[int, int]:
        """``(nlat, nlon)`` of the cell-centre fields."""
        return (self.nlat, self.nlon)

    def stable_zonal_spacing_m(self) -> float:
        """Smallest zonal spacing the filtered model still resolves.

        Rows poleward of the filter latitude behave as if they were at that latitude.
        """
        cos_c = math.cos(math.radians(POLAR_FILTER_LAT_DEG))
        cos_h = np.where(self.filter_row_h >= 0, cos_c, np.cos(self.lat))
        inner = self.filter_row_v[1:-1] >= 0
        cos_v = np.where(inner, cos_c, np.cos(self.lat_v[1:-1]))
        dlon = math.radians(self.resolution_deg)
        return float(EARTH_RADIUS_M * dlon * min(cos_h.min(), cos_v.min()))


def _filter_gain(lat_rad: float, nlon: int) -> np.ndarray:
    """Gain per zonal wavenumber (FFT order) at one latitude.

    A wave of wavenumber k has the discrete C-grid frequency factor ``sin(k dlon / 2) /
    cos(lat)``; scaling its tendency by ``cos(lat) / (cos(lat_c) sin(k dlon / 2))`` caps
    that factor at its value on the filter latitude.  Wavenumber 0 keeps gain 1, so the
    zonal mean of a filtered tendency, and with it the mass, is untouched.
    """
    cos_c = math.cos(math.radians(POLAR_FILTER_LAT_DEG))
    k = np.arange(nlon)
    s = np.abs(np.sin(np.pi * k / nlon))
    gain = np.ones(nlon)
    nz = s > 0
    gain[nz] = np.minimum(1.0, math.cos(lat_rad) / (cos_c * s[nz]))
    return gain


def make_grid(resolution_deg: float) -> Grid:
    """Build the grid for a spacing that divides 180 degrees evenly.

    Parameters
    ----------
    resolution_deg
        Grid spacing in degrees, the same in latitude and longitude.

    Returns
    -------
    Grid

    Examples
    --------
    >>> g = make_grid(2.8125)
    >>> g.shape
    (64, 128)
    >>> bool(abs(g.area_m2.sum() * g.nlon / (4 * np.pi * EARTH_RADIUS_M**2) - 1) < 1e-14)
    True
    """
    if isinstance(resolution_deg, bool) or not isinstance(resolution_deg, int | float):
        raise TypeError(
            f"resolution_deg must be a number of degrees; got {type(resolution_deg).__name__}"
        )
    d = float(resolution_deg)
    if not math.isfinite(d) or d <= 0 or d > 30:
        raise ValueError(f"resolution_deg must be in (0, 30] degrees; got {resolution_deg} deg")
    nlat = round(180.0 / d)
    if abs(nlat * d - 180.0) > 1e-9 * 180.0 or nlat < 4:
        raise ValueError(
            f"resolution_deg must divide 180 degrees into a whole number of rows; got {d} deg"
        )
    nlon = 2 * nlat
    a = EARTH_RADIUS_M
    dlat = math.pi / nlat
    dlon = 2.0 * math.pi / nlon
    lat = -0.5 * math.pi + (np.arange(nlat) + 0.5) * dlat
    lat_v = -0.5 * math.pi + np.arange(nlat + 1) * dlat
    lat_v[0], lat_v[-1] = -0.5 * math.pi, 0.5 * math.pi
    lon = np.arange(nlon) * dlon
    lon_u = (np.arange(nlon) + 0.5) * dlon

    sin_v = np.sin(lat_v)
    sin_c = np.sin(lat)
    area = a * a * dlon * np.diff(sin_v)
    # The box around face jf runs from centre jf-1 to centre jf; at the poles it is the cap.
    edges = np.concatenate([[-1.0], sin_c, [1.0]])
    area_v = a * a * dlon * np.diff(edges)
    face_u = a * dlat
    dx_u = area / face_u
    face_v = a * dlon * np.cos(lat_v)
    face_v[0] = face_v[-1] = 0.0
    # Interior faces: area_v / face_v = 2 a sin(dlat / 2) for every face.
    dy_v = 2.0 * a * math.sin(0.5 * dlat)
    weight_s = (sin_c - sin_v[:-1]) / np.diff(sin_v)
    weight_n = 1.0 - weight_s

    lat_c = math.radians(POLAR_FILTER_LAT_DEG)
    gains: list[np.ndarray] = []
    row_h = np.full(nlat, -1, dtype=np.int64)
    row_v = np.full(nlat + 1, -1, dtype=np.int64)
    for j in range(nlat):
        if abs(lat[j]) > lat_c:
            row_h[j] = len(gains)
            gains.append(_filter_gain(lat[j], nlon))
    for jf in range(1, nlat):
        if abs(lat_v[jf]) > lat_c:
            row_v[jf] = len(gains)
            gains.append(_filter_gain(lat_v[jf], nlon))
    gain = np.array(gains) if gains else np.ones((1, nlon))
    return Grid(
        resolution_deg=d,
        nlat=nlat,
        nlon=nlon,
        lat=lat,
        lon=lon,
        lat_v=lat_v,
        lon_u=lon_u,
        area_m2=area,
        area_v_m2=area_v,
        dx_u_m=dx_u,
        dy_v_m=dy_v,
        face_u_m=face_u,
        face_v_m=face_v,
        weight_s=weight_s,
        weight_n=weight_n,
        filter_row_h=row_h,
        filter_row_v=row_v,
        filter_gain=np.ascontiguousarray(gain),
    )
