"""NumPy reference of one model step: the oracle for the Numba kernel and the naive loops.

The scheme (shared by :mod:`.kernels` and :mod:`.naive`, documented in :mod:`.model`):
vector-invariant shallow-water equations on a latitude-longitude Arakawa C grid, with
Sadourny's (1975) energy-conserving form of the vorticity flux term, flux-form continuity,
tendencies Fourier-filtered poleward of 60 degrees, and leapfrog time stepping with the
Robert-Asselin-Williams (RAW) filter.

Whole-array operations only; ``np.roll`` along longitude is the periodic neighbour.
"""

from __future__ import annotations

import numpy as np

from workloads.weather.grid import GRAVITY_M_S2, Grid

__all__ = ["tendencies", "polar_filter", "leapfrog_step", "bad_rows"]


def _east(x: np.ndarray) -> np.ndarray:
    return np.roll(x, -1, axis=-1)


def _west(x: np.ndarray) -> np.ndarray:
    return np.roll(x, 1, axis=-1)


def tendencies(
    grid: Grid,
    h: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    hs: np.ndarray,
    coriolis: np.ndarray,
    advect_only: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unfiltered tendencies ``(dh/dt, du/dt, dv/dt)`` of one state.

    ``dv/dt`` is zero on the two pole faces; with ``advect_only`` the winds are frozen
    (test case 1) and only ``h`` moves.
    """
    depth = h - hs
    # Mass fluxes through east faces (F) and north faces (G), m^3 / s.
    flux_u = 0.5 * (depth + _east(depth)) * u * grid.face_u_m
    depth_v = np.zeros_like(v)
    depth_v[1:-1] = 0.5 * (depth[:-1] + depth[1:])
    flux_v = depth_v * v * grid.face_v_m[:, None]
    div = (flux_u - _west(flux_u)) + (flux_v[1:] - flux_v[:-1])
    # Row constants enter as reciprocals (one multiplication per point, as in the kernel).
    th = -div * (1.0 / grid.area_m2)[:, None]
    if advect_only:
        return th, np.zeros_like(u), np.zeros_like(v)

    # Relative vorticity from the circulation round each interior corner.
    circ = (_east(v[1:-1]) - v[1:-1]) * grid.dy_v_m + (
        u[:-1] * grid.dx_u_m[:-1, None] - u[1:] * grid.dx_u_m[1:, None]
    )
    zeta = np.zeros_like(v)
    zeta[1:-1] = circ * (1.0 / grid.area_v_m2[1:-1])[:, None]
    # Depth on the corners: the area-weighted mean of the two rows' east-west pair sums.
    a_s, a_n = grid.area_m2[:-1], grid.area_m2[1:]
    c_s = (a_s / (2.0 * (a_s + a_n)))[:, None]
    c_n = (a_n / (2.0 * (a_s + a_n)))[:, None]
    depth_c = np.ones_like(v)
    depth_c[1:-1] = c_s * (depth[:-1] + _east(depth[:-1])) + c_n * (depth[1:] + _east(depth[1:]))
    q = (zeta + coriolis) / depth_c
    q[0] = q[-1] = 0.0  # multiplied by zero pole fluxes; kept finite and simple

    ke = 0.5 * (
        0.5 * (u * u + _west(u) * _west(u))
        + grid.weight_s[:, None] * v[:-1] * v[:-1]
        + grid.weight_n[:, None] * v[1:] * v[1:]
    )
    bern = ke + GRAVITY_M_S2 * h

    # Sadourny energy-conserving vorticity flux: average (q * flux) to the velocity point.
    qg = q * (0.5 * (flux_v + _east(flux_v)))
    tu = (0.5 * (qg[:-1] + qg[1:]) - (_east(bern) - bern)) * (1.0 / grid.dx_u_m)[:, None]
    qf = q[1:-1] * (0.5 * (flux_u[:-1] + flux_u[1:]))
    tv = np.zeros_like(v)
    tv[1:-1] = -(0.5 * (qf + _west(qf)) + (bern[1:] - bern[:-1])) * (1.0 / grid.dy_v_m)
    return th, tu, tv


def polar_filter(grid: Grid, th: np.ndarray, tu: np.ndarray, tv: np.ndarray) -> None:
    """Filter the tendencies in place, row by row, poleward of the filter latitude."""
    rows_h = np.flatnonzero(grid.filter_row_h >= 0)
    rows_v = np.flatnonzero(grid.filter_row_v >= 0)
    gain_h = grid.filter_gain[grid.filter_row_h[rows_h]]
    gain_v = grid.filter_gain[grid.filter_row_v[rows_v]]
    for field, rows, gain in ((th, rows_h, gain_h), (tu, rows_h, gain_h), (tv, rows_v, gain_v)):
        if rows.size:
            spectrum = np.fft.fft(field[rows], axis=-1) * gain
            field[rows] = np.fft.ifft(spectrum, axis=-1).real


def leapfrog_step(
    grid: Grid,
    old: tuple[np.ndarray, np.ndarray, np.ndarray],
    cur: tuple[np.ndarray, np.ndarray, np.ndarray],
    hs: np.ndarray,
    coriolis: np.ndarray,
    dt_s: float,
    raw_nu: float,
    raw_alpha: float,
    advect_only: bool,
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """One leapfrog step with the RAW filter; returns ``(filtered current, new)``.

    ``new = old + 2 dt T(cur)``; with ``d = old - 2 cur + new`` the current level becomes
    ``cur + nu alpha d / 2`` and the new one ``new - nu (1 - alpha) d / 2`` (Williams
    2009).  ``nu = 0`` gives the plain leapfrog step, used with ``old = cur`` and half
    steps to start the scheme.
    """
    th, tu, tv = tendencies(grid, *cur, hs, coriolis, advect_only)
    polar_filter(grid, th, tu, tv)
    filtered, new = [], []
    for x0, x1, tx in zip(old, cur, (th, tu, tv), strict=True):
        x2 = x0 + (2.0 * dt_s) * tx
        d = (x0 - 2.0 * x1) + x2
        filtered.append(x1 + (0.5 * raw_nu * raw_alpha) * d)
        new.append(x2 - (0.5 * raw_nu * (1.0 - raw_alpha)) * d)
    new[2][0] = new[2][-1] = 0.0
    filtered[2][0] = filtered[2][-1] = 0.0
    return tuple(filtered), tuple(new)


def bad_rows(
    h: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    hs: np.ndarray,
    min_depth_m: float,
    max_speed_m_s: float,
) -> np.ndarray:
    """Per latitude row: True where a value is not finite, too fast, or too shallow.

    Row ``j`` covers ``h[j]``, ``u[j]`` and the face north of it, ``v[j + 1]``.
    """
    bad = ~(np.isfinite(h) & np.isfinite(u) & np.isfinite(v[1:]))
    bad |= (np.abs(u) > max_speed_m_s) | (np.abs(v[1:]) > max_speed_m_s)
    bad |= (h - hs) < min_depth_m
    return bad.any(axis=1)
