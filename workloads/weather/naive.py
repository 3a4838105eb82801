"""The model step as a scientist would first write it: plain Python loops over the grid.

Same scheme and formulas as :mod:`.reference` (which documents them), one grid point at a
time, with the polar filter as a direct discrete Fourier transform.  Very slow (seconds
per step on a 10-degree grid); used only on tiny grids in tests and as the "as first
written" baseline of the compression harness.
"""

from __future__ import annotations

import cmath
import math

import numpy as np

from workloads.weather.grid import GRAVITY_M_S2

__all__ = ["leapfrog_step"]


def _filter_row(values: list[float], gain: np.ndarray) -> list[float]:
    n = len(values)
    spectrum = []
    for k in range(n):
        total = 0j
        for i in range(n):
            total += values[i] * cmath.exp(-2j * math.pi * k * i / n)
        spectrum.append(total * float(gain[k]))
    out = []
    for i in range(n):
        total = 0j
        for k in range(n):
            total += spectrum[k] * cmath.exp(2j * math.pi * k * i / n)
        out.append(total.real / n)
    return out


def leapfrog_step(grid, old, cur, hs, coriolis, dt_s, raw_nu, raw_alpha, advect_only):
    """One leapfrog-RAW step; same arguments and result as :func:`.reference.leapfrog_step`.

    Examples
    --------
    >>> from workloads.weather.grid import make_grid
    >>> from workloads.weather.cases import case_fields
    >>> g = make_grid(30.0)
    >>> f = case_fields(g, 2)
    >>> x = (f.h, f.u, f.v)
    >>> _, new = leapfrog_step(g, x, x, f.hs, f.coriolis, 60.0, 0.0, 0.5, False)
    >>> bool(abs(new[0] - f.h).max() < 1.0)
    True
    """
    nlat, nlon = grid.nlat, grid.nlon
    h, u, v = cur

    def depth(j, i):
        return h[j][i % nlon] - hs[j][i % nlon]

    def flux_u(j, i):  # east face of cell (j, i)
        i = i % nlon
        return 0.5 * (depth(j, i) + depth(j, i + 1)) * u[j][i] * grid.face_u_m

    def flux_v(jf, i):  # face jf at column i
        if jf == 0 or jf == nlat:
            return 0.0
        i = i % nlon
        return 0.5 * (depth(jf - 1, i) + depth(jf, i)) * v[jf][i] * grid.face_v_m[jf]

    def pot_vort(jf, i):  # corner east of column i on face jf
        if jf == 0 or jf == nlat:
            return 0.0
        i, ie = i % nlon, (i + 1) % nlon
        circ = (v[jf][ie] - v[jf][i]) * grid.dy_v_m + (
            u[jf - 1][i] * grid.dx_u_m[jf - 1] - u[jf][i] * grid.dx_u_m[jf]
        )
        zeta = circ * (1.0 / grid.area_v_m2[jf])
        a_s, a_n = grid.area_m2[jf - 1], grid.area_m2[jf]
        c_s, c_n = a_s / (2.0 * (a_s + a_n)), a_n / (2.0 * (a_s + a_n))
        d_c = c_s * (depth(jf - 1, i) + depth(jf - 1, ie)) + c_n * (depth(jf, i) + depth(jf, ie))
        return (zeta + coriolis[jf][i]) / d_c

    def bernoulli(j, i):
        i, iw = i % nlon, (i - 1) % nlon
        ke = 0.5 * (
            0.5 * (u[j][i] * u[j][i] + u[j][iw] * u[j][iw])
            + grid.weight_s[j] * v[j][i] * v[j][i]
            + grid.weight_n[j] * v[j + 1][i] * v[j + 1][i]
        )
        return ke + GRAVITY_M_S2 * h[j][i]

    th = [[0.0] * nlon for _ in range(nlat)]
    tu = [[0.0] * nlon for _ in range(nlat)]
    tv = [[0.0] * nlon for _ in range(nlat + 1)]
    for j in range(nlat):
        for i in range(nlon):
            div = (flux_u(j, i) - flux_u(j, i - 1)) + (flux_v(j + 1, i) - flux_v(j, i))
            th[j][i] = -div * (1.0 / grid.area_m2[j])
            if advect_only:
                continue
            qg_s = pot_vort(j, i) * (0.5 * (flux_v(j, i) + flux_v(j, i + 1)))
            qg_n = pot_vort(j + 1, i) * (0.5 * (flux_v(j + 1, i) + flux_v(j + 1, i + 1)))
            grad = bernoulli(j, i + 1) - bernoulli(j, i)
            tu[j][i] = (0.5 * (qg_s + qg_n) - grad) * (1.0 / grid.dx_u_m[j])
    if not advect_only:
        for jf in range(1, nlat):
            for i in range(nlon):
                qf = pot_vort(jf, i) * (0.5 * (flux_u(jf - 1, i) + flux_u(jf, i)))
                qf_w = pot_vort(jf, i - 1) * (0.5 * (flux_u(jf - 1, i - 1) + flux_u(jf, i - 1)))
                grad = bernoulli(jf, i) - bernoulli(jf - 1, i)
                tv[jf][i] = -(0.5 * (qf + qf_w) + grad) * (1.0 / grid.dy_v_m)
    for j in range(nlat):
        if grid.filter_row_h[j] >= 0:
            gain = grid.filter_gain[grid.filter_row_h[j]]
            th[j] = _filter_row(th[j], gain)
            tu[j] = _filter_row(tu[j], gain)
    for jf in range(1, nlat):
        if grid.filter_row_v[jf] >= 0:
            tv[jf] = _filter_row(tv[jf], grid.filter_gain[grid.filter_row_v[jf]])

    filtered, new = [], []
    for x0, x1, tx in zip(old, cur, (th, tu, tv), strict=True):
        f_level = np.empty_like(x1)
        n_level = np.empty_like(x1)
        for j in range(x1.shape[0]):
            for i in range(nlon):
                x2 = x0[j][i] + (2.0 * dt_s) * tx[j][i]
                d = (x0[j][i] - 2.0 * x1[j][i]) + x2
                f_level[j][i] = x1[j][i] + (0.5 * raw_nu * raw_alpha) * d
                n_level[j][i] = x2 - (0.5 * raw_nu * (1.0 - raw_alpha)) * d
        filtered.append(f_level)
        new.append(n_level)
    for level in (filtered[2], new[2]):
        for i in range(nlon):
            level[0][i] = 0.0
            level[nlat][i] = 0.0
    return tuple(filtered), tuple(new)
