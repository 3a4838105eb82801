"""Error norms and global invariants exactly as Williamson et al. (1992) define them.

With ``I(x)`` the area-weighted global integral (a sum over cells of ``x * area``):

* ``l1 = I|h - hT| / I|hT|``, ``l2 = sqrt(I (h - hT)^2) / sqrt(I hT^2)``,
  ``linf = max|h - hT| / max|hT|``;
* conservation error of an invariant ``xi``: ``(I(xi, t) - I(xi, 0)) / I(xi, 0)`` for
  mass (``xi`` = fluid depth ``h* = h - hs``), total energy
  (``xi = h* v.v / 2 + g (h^2 - hs^2) / 2``) and potential enstrophy
  (``xi = (zeta + f)^2 / (2 h*)``).

Energy is evaluated at cell centres with the model's own kinetic energy (the area-weighted
mean of ``u^2`` and ``v^2`` around the cell); potential enstrophy on the corners, where
vorticity lives, including the two polar caps, whose vorticity is the circulation round
the last row of ``u`` divided by the cap's area.
"""

from __future__ import annotations

import math

import numpy as np

from workloads.weather.grid import GRAVITY_M_S2, Grid

__all__ = ["integral", "height_errors", "vorticity", "invariants", "conservation_errors"]


def integral(grid: Grid, field: np.ndarray) -> float:
    """Area-weighted global integral of a cell-centre field (m^2 times its unit).

    Examples
    --------
    >>> from workloads.weather.grid import make_grid
    >>> g = make_grid(10.0)
    >>> bool(abs(integral(g, np.ones(g.shape)) / (4 * np.pi * 6.37122e6**2) - 1) < 1e-14)
    True
    """
    return float(np.sum(field * grid.area_m2[:, None]))


def height_errors(grid: Grid, h: np.ndarray, h_true: np.ndarray) -> dict[str, float]:
    """Normalized l1, l2 and linf height errors of the paper.

    Examples
    --------
    >>> from workloads.weather.grid import make_grid
    >>> g = make_grid(10.0)
    >>> height_errors(g, np.full(g.shape, 2.0), np.ones(g.shape))
    {'l1': 1.0, 'l2': 1.0, 'linf': 1.0}
    """
    diff = h - h_true
    return {
        "l1": integral(grid, np.abs(diff)) / integral(grid, np.abs(h_true)),
        "l2": float(np.sqrt(integral(grid, diff * diff) / integral(grid, h_true * h_true))),
        "linf": float(np.max(np.abs(diff)) / np.max(np.abs(h_true))),
    }


def vorticity(grid: Grid, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Relative vorticity (1/s) on the corners ``(lat_v, lon_u)``, polar caps included.

    Examples
    --------
    >>> from workloads.weather.grid import make_grid
    >>> g = make_grid(10.0)
    >>> u = 10.0 * np.cos(g.lat)[:, None] * np.ones(g.shape)
    >>> z = vorticity(g, u, np.zeros((g.nlat + 1, g.nlon)))
    >>> bool(np.allclose(z[1:-1, 0], 2 * 10.0 * np.sin(g.lat_v[1:-1]) / 6.37122e6, rtol=2e-2))
    True
    """
    zeta = np.empty((grid.nlat + 1, grid.nlon))
    circ = (np.roll(v[1:-1], -1, axis=1) - v[1:-1]) * grid.dy_v_m + (
        u[:-1] * grid.dx_u_m[:-1, None] - u[1:] * grid.dx_u_m[1:, None]
    )
    zeta[1:-1] = circ / grid.area_v_m2[1:-1, None]
    cap_s = grid.area_v_m2[0] * grid.nlon
    cap_n = grid.area_v_m2[-1] * grid.nlon
    # Seen from above each pole, counter-clockwise runs east in the north, west in the south.
    zeta[0] = -np.sum(u[0]) * grid.dx_u_m[0] / cap_s
    zeta[-1] = np.sum(u[-1]) * grid.dx_u_m[-1] / cap_n
    return zeta


def _corner_depth(grid: Grid, depth: np.ndarray) -> np.ndarray:
    area = grid.area_m2[:, None]
    east = np.roll(depth, -1, axis=1)
    out = np.empty((grid.nlat + 1, grid.nlon))
    out[1:-1] = (area[:-1] * (depth[:-1] + east[:-1]) + area[1:] * (depth[1:] + east[1:])) / (
        2.0 * (area[:-1] + area[1:])
    )
    out[0] = np.sum(depth[0] * grid.area_m2[0]) / (grid.area_m2[0] * grid.nlon)
    out[-1] = np.sum(depth[-1] * grid.area_m2[-1]) / (grid.area_m2[-1] * grid.nlon)
    return out


def invariants(
    grid: Grid, h: np.ndarray, u: np.ndarray, v: np.ndarray, hs: np.ndarray, coriolis: np.ndarray
) -> dict[str, float]:
    """Global mass, total energy and potential enstrophy integrals of one state."""
    depth = h - hs
    u_w = np.roll(u, 1, axis=1)
    vel2 = (
        0.5 * (u * u + u_w * u_w)
        + grid.weight_s[:, None] * v[:-1] ** 2
        + grid.weight_n[:, None] * v[1:] ** 2
    )
    energy = 0.5 * depth * vel2 + 0.5 * GRAVITY_M_S2 * (h * h - hs * hs)
    zeta = vorticity(grid, u, v)
    depth_c = _corner_depth(grid, depth)
    # Potential vorticity needs a positive depth: undefined for a bare tracer (case 1).
    enstrophy = math.nan
    if np.all(depth_c > 0):
        pv2 = (zeta + coriolis) ** 2 / (2.0 * depth_c)
        enstrophy = float(np.sum(pv2 * grid.area_v_m2[:, None]))
    return {
        "mass": integral(grid, depth),
        "energy": integral(grid, energy),
        "enstrophy": enstrophy,
    }


def conservation_errors(start: dict[str, float], now: dict[str, float]) -> dict[str, float]:
    """Normalized conservation errors ``(I(t) - I(0)) / I(0)`` of each invariant.

    Examples
    --------
    >>> conservation_errors({"mass": 2.0}, {"mass": 2.5})
    {'mass': 0.25}
    """
    return {k: (now[k] - start[k]) / start[k] for k in start}
