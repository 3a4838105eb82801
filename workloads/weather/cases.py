"""Initial conditions of the Williamson et al. (1992) shallow-water test cases 1, 2, 5, 6.

Williamson, D. L., Drake, J. B., Hack, J. J., Jakob, R., Swarztrauber, P. N. (1992):
A standard test set for numerical approximations to the shallow water equations in
spherical geometry.  J. Comput. Phys. 102, 211-224.

Every field is sampled at its own C-grid position (see :mod:`workloads.weather.grid`).
``h`` is the height of the free surface and ``hs`` the bottom topography; the fluid
depth is ``h - hs``.  The Coriolis parameter lives on the corners; for cases 1 and 2 it
is the rotated form of the paper, ``2 Omega (-cos lon cos lat sin alpha + sin lat cos
alpha)``, which makes the tilted flow of case 2 an exact steady state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from workloads.weather.grid import EARTH_RADIUS_M, GRAVITY_M_S2, OMEGA_PER_S, Grid

__all__ = ["CASES", "CaseFields", "case_fields", "exact_height", "check_case"]

CASES = (1, 2, 5, 6)
DAY_S = 86400.0
U0_SOLID_M_S = 2.0 * math.pi * EARTH_RADIUS_M / (12.0 * DAY_S)


@dataclass(frozen=True)
class CaseFields:
    """Arrays of one initial state: ``h``, ``hs`` (nlat, nlon), ``u`` (nlat, nlon),
    ``v`` (nlat + 1, nlon), ``coriolis`` on the corners (nlat + 1, nlon)."""

    h: np.ndarray
    u: np.ndarray
    v: np.ndarray
    hs: np.ndarray
    coriolis: np.ndarray
    advect_only: bool


def check_case(case: object, alpha: object) -> tuple[int, float]:
    """Validate a (case, alpha) pair and return them as (int, float)."""
    if isinstance(case, bool) or not isinstance(case, int | np.integer):
        raise TypeError(f"case must be an integer test-case number; got {type(case).__name__}")
    if int(case) not in CASES:
        raise ValueError(f"case must be one of {list(CASES)}; got {case}")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.floating):
        raise TypeError(f"alpha must be an angle in radians (a float); got {type(alpha).__name__}")
    alpha = float(alpha)
    if not math.isfinite(alpha) or abs(alpha) > math.pi:
        raise ValueError(f"alpha must be a finite angle in [-pi, pi] radians; got {alpha}")
    if int(case) in (5, 6) and alpha != 0.0:
        raise ValueError(
            f"alpha must be 0 for case {case} (the paper defines it unrotated); got {alpha}"
        )
    return int(case), alpha


def _rotated_sin_lat(lon: np.ndarray, lat: np.ndarray, alpha: float) -> np.ndarray:
    return -np.cos(lon) * np.cos(lat) * math.sin(alpha) + np.sin(lat) * math.cos(alpha)


def _solid_body_winds(grid: Grid, u0: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    lat_u, lon_u = np.meshgrid(grid.lat, grid.lon_u, indexing="ij")
    u = u0 * (np.cos(lat_u) * math.cos(alpha) + np.sin(lat_u) * np.cos(lon_u) * math.sin(alpha))
    lat_v, lon_v = np.meshgrid(grid.lat_v, grid.lon, indexing="ij")
    v = -u0 * np.sin(lon_v) * math.sin(alpha) * np.ones_like(lat_v)
    v[0] = v[-1] = 0.0
    return u, v


def _streamfunction_winds(grid: Grid, u0: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Solid-body winds from a corner stream function: discretely divergence-free."""
    a = EARTH_RADIUS_M
    lat_c, lon_c = np.meshgrid(grid.lat_v, grid.lon_u, indexing="ij")
    psi = -a * u0 * _rotated_sin_lat(lon_c, lat_c, alpha)
    u = (psi[:-1] - psi[1:]) / grid.face_u_m
    v = np.zeros((grid.nlat + 1, grid.nlon))
    # psi[:, i] is east of v[:, i]; psi[:, i - 1] west of it.
    v[1:-1] = (psi[1:-1] - np.roll(psi[1:-1], 1, axis=1)) / grid.face_v_m[1:-1, None]
    return u, v


def _coriolis(grid: Grid, alpha: float) -> np.ndarray:
    lat_c, lon_c = np.meshgrid(grid.lat_v, grid.lon_u, indexing="ij")
    return 2.0 * OMEGA_PER_S * _rotated_sin_lat(lon_c, lat_c, alpha)


def _great_circle(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> np.ndarray:
    """Angle between points and (lon0, lat0), stable near 0 and pi."""
    x = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    x0 = np.array(
        [math.cos(lat0) * math.cos(lon0), math.cos(lat0) * math.sin(lon0), math.sin(lat0)]
    )
    dot = np.tensordot(x0, x, axes=1)
    cross = np.cross(x0[:, None, None], x, axis=0)
    return np.arctan2(np.sqrt((cross**2).sum(axis=0)), dot)


def _cosine_bell(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> np.ndarray:
    h0, radius = 1000.0, 1.0 / 3.0  # radius in units of a
    r = _great_circle(lon, lat, lon0, lat0)
    return np.where(r < radius, 0.5 * h0 * (1.0 + np.cos(np.pi * r / radius)), 0.0)


def _bell_centre(alpha: float, t_s: float) -> tuple[float, float]:
    """Centre of the case-1 bell after ``t_s`` of solid-body rotation."""
    start = np.array([0.0, -1.0, 0.0])  # lon 3 pi / 2, lat 0
    axis = np.array([-math.sin(alpha), 0.0, math.cos(alpha)])
    angle = U0_SOLID_M_S / EARTH_RADIUS_M * t_s
    # Rodrigues' rotation of the start point about the flow's axis.
    rotated = (
        start * math.cos(angle)
        + np.cross(axis, start) * math.sin(angle)
        + axis * np.dot(axis, start) * (1.0 - math.cos(angle))
    )
    return math.atan2(rotated[1], rotated[0]), math.asin(max(-1.0, min(1.0, rotated[2])))


def exact_height(grid: Grid, case: int, alpha: float, t_s: float) -> np.ndarray:
    """Analytic free-surface height at cell centres after ``t_s`` (cases 1 and 2 only).

    Examples
    --------
    >>> from workloads.weather.grid import make_grid
    >>> h = exact_height(make_grid(10.0), 2, 0.0, 86400.0)
    >>> round(float(h.max()), 3)
    2997.837
    """
    case, alpha = check_case(case, alpha)
    lat, lon = np.meshgrid(grid.lat, grid.lon, indexing="ij")
    if case == 1:
        lon0, lat0 = _bell_centre(alpha, t_s)
        return _cosine_bell(lon, lat, lon0, lat0)
    if case == 2:
        u0 = U0_SOLID_M_S
        gh0 = 2.94e4
        s = _rotated_sin_lat(lon, lat, alpha)
        return (gh0 - (EARTH_RADIUS_M * OMEGA_PER_S * u0 + 0.5 * u0 * u0) * s * s) / GRAVITY_M_S2
    raise ValueError(f"case must be 1 or 2 for an analytic solution; got {case}")


def _rossby_haurwitz(grid: Grid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, om, g = EARTH_RADIUS_M, OMEGA_PER_S, GRAVITY_M_S2
    w = k = 7.848e-6
    r, h0 = 4, 8000.0
    lat_u, lon_u = np.meshgrid(grid.lat, grid.lon_u, indexing="ij")
    cu = np.cos(lat_u)
    u = a * w * cu + a * k * cu ** (r - 1) * (r * np.sin(lat_u) ** 2 - cu**2) * np.cos(r * lon_u)
    lat_v, lon_v = np.meshgrid(grid.lat_v, grid.lon, indexing="ij")
    v = -a * k * r * np.cos(lat_v) ** (r - 1) * np.sin(lat_v) * np.sin(r * lon_v)
    v[0] = v[-1] = 0.0
    lat, lon = np.meshgrid(grid.lat, grid.lon, indexing="ij")
    c = np.cos(lat)
    big_a = 0.5 * w * (2.0 * om + w) * c**2 + 0.25 * k * k * (
        c ** (2 * r) * ((r + 1) * c**2 + (2 * r * r - r - 2)) - 2 * r * r * c ** (2 * r - 2)
    )
    big_b = (
        2.0
        * (om + w)
        * k
        / ((r + 1) * (r + 2))
        * c**r
        * ((r * r + 2 * r + 2) - (r + 1) ** 2 * c**2)
    )
    big_c = 0.25 * k * k * c ** (2 * r) * ((r + 1) * c**2 - (r + 2))
    h = h0 + a * a / g * (big_a + big_b * np.cos(r * lon) + big_c * np.cos(2 * r * lon))
    return h, u, v


def case_fields(grid: Grid, case: int, alpha: float = 0.0) -> CaseFields:
    """Initial arrays of a test case on ``grid``.

    Examples
    --------
    >>> from workloads.weather.grid import make_grid
    >>> f = case_fields(make_grid(10.0), 5)
    >>> float(f.hs.max()) > 1500.0
    True
    """
    case, alpha = check_case(case, alpha)
    zeros = np.zeros(grid.shape)
    if case == 1:
        u, v = _streamfunction_winds(grid, U0_SOLID_M_S, alpha)
        h = exact_height(grid, 1, alpha, 0.0)
        return CaseFields(h, u, v, zeros, _coriolis(grid, alpha), True)
    if case == 2:
        u, v = _solid_body_winds(grid, U0_SOLID_M_S, alpha)
        h = exact_height(grid, 2, alpha, 0.0)
        return CaseFields(h, u, v, zeros, _coriolis(grid, alpha), False)
    if case == 5:
        u0, h0 = 20.0, 5960.0
        u, v = _solid_body_winds(grid, u0, 0.0)
        lat, lon = np.meshgrid(grid.lat, grid.lon, indexing="ij")
        s = np.sin(lat)
        coef = EARTH_RADIUS_M * OMEGA_PER_S * u0 + 0.5 * u0 * u0
        h = h0 - coef * s * s / GRAVITY_M_S2
        radius = math.pi / 9.0
        dlon = np.angle(np.exp(1j * (lon - 1.5 * math.pi)))  # wrapped to (-pi, pi]
        r = np.sqrt(np.minimum(radius**2, dlon**2 + (lat - math.pi / 6.0) ** 2))
        hs = 2000.0 * (1.0 - r / radius)
        return CaseFields(h, u, v, hs, _coriolis(grid, 0.0), False)
    h, u, v = _rossby_haurwitz(grid)
    return CaseFields(h, u, v, zeros, _coriolis(grid, 0.0), False)
