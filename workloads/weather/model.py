"""The shallow-water dynamical core: time stepping, stability limit and blow-up detection.

Scheme
------
* Space: the vector-invariant shallow-water equations on a regular latitude-longitude
  Arakawa C grid, with the energy-conserving vorticity-flux term of Sadourny (1975, J.
  Atmos. Sci. 32, 680-689) on the sphere and flux-form continuity, so mass is conserved to
  round-off; second order.  Metric terms are chosen from exact cell areas so the discrete
  curl of a gradient vanishes and the pressure work matches the mass-flux divergence
  (in the spirit of Arakawa and Lamb 1981, Mon. Wea. Rev. 109, 18-36).
* Poles: the tendencies of ``h``, ``u`` and ``v`` are Fourier-filtered along latitude
  circles poleward of 60 degrees, capping each zonal wavenumber's frequency at its value at
  60 degrees (wavenumber 0 untouched), so the stable time step is set by mid-latitudes.
* Time: leapfrog with the Robert-Asselin-Williams filter (Williams 2009, Mon. Wea. Rev.
  137, 2538-2546; ``nu = 0.05``, ``alpha = 0.53``), started with one explicit midpoint
  step.  Chosen because it needs one tendency evaluation per step, so one fused pass over
  memory advances the model (a three-stage Runge-Kutta scheme needs three), and because its
  filter keeps the mean of the three levels, so mass stays conserved.  The price: the RAW
  filter makes the time error first order in ``dt`` for fast modes; for these balanced
  flows the spatial error dominates (see ``benchmarks/weather_accuracy.py``).

A step is a pure function of the two time levels and the static fields, with a fixed
order of operations; each latitude row reads ``HALO_ROWS_PER_STEP`` rows on each side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from workloads.weather import reference
from workloads.weather.fourier import make_plan
from workloads.weather.grid import GRAVITY_M_S2, Grid
from workloads.weather.kernels import leapfrog_kernel

__all__ = [
    "SCHEME",
    "RAW_NU",
    "RAW_ALPHA",
    "MAX_SPEED_M_S",
    "BACKENDS",
    "BlowUpError",
    "max_stable_dt_s",
    "Stepper",
    "benchmark_callables",
]

SCHEME = (
    "Sadourny (1975) energy-conserving vector-invariant C grid on a lat-lon grid, flux-form "
    "continuity, polar Fourier filter of tendencies poleward of 60 deg, leapfrog with the "
    "RAW filter (Williams 2009)"
)
RAW_NU = 0.05
RAW_ALPHA = 0.53
# Far above any wind of the test cases: beyond it the run has blown up.
MAX_SPEED_M_S = 1000.0
BACKENDS = ("numba", "numpy")

Level = tuple[np.ndarray, np.ndarray, np.ndarray]


class BlowUpError(FloatingPointError):
    """A step produced a non-finite value, an absurd wind or a non-positive depth."""


def max_stable_dt_s(
    grid: Grid, h: np.ndarray, u: np.ndarray, v: np.ndarray, hs: np.ndarray,
    coriolis: np.ndarray, advect_only: bool,
) -> float:  # fmt: skip
    """Largest time step (s) the leapfrog scheme takes stably for this state.

    The bound adds the fastest gravity wave ``sqrt(g max depth)`` to the largest wind on
    each axis, uses the smallest zonal spacing the polar filter leaves (that of 60 deg),
    and adds the largest Coriolis frequency; leapfrog needs ``omega dt < 1``.

    Examples
    --------
    >>> from workloads.weather.grid import make_grid
    >>> from workloads.weather.cases import case_fields
    >>> g = make_grid(2.0)
    >>> f = case_fields(g, 2)
    >>> round(max_stable_dt_s(g, f.h, f.u, f.v, f.hs, f.coriolis, f.advect_only))
    183
    """
    c = 0.0 if advect_only else math.sqrt(GRAVITY_M_S2 * max(float(np.max(h - hs)), 0.0))
    u_max = float(np.max(np.abs(u)))
    v_max = float(np.max(np.abs(v)))
    f_max = 0.0 if advect_only else float(np.max(np.abs(coriolis)))
    omega = (c + u_max) * 2.0 / grid.stable_zonal_spacing_m() + (c + v_max) * 2.0 / grid.dy_v_m
    omega += f_max
    return math.inf if omega == 0.0 else 1.0 / omega


@dataclass
class Stepper:
    """Advances a state with either backend; holds the two leapfrog levels.

    ``start`` begins from one level (midpoint step), ``resume`` from two saved levels.
    After ``n`` steps the current level is at ``n * dt_s``.
    """

    grid: Grid
    hs: np.ndarray
    coriolis: np.ndarray
    advect_only: bool
    dt_s: float
    backend: str = "numba"
    min_depth_m: float = 0.0
    step_count: int = 0
    _levels: list[Level] = field(default_factory=list, repr=False)
    _bad: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {list(BACKENDS)}; got {self.backend!r}")
        if self.advect_only:
            self.min_depth_m = -math.inf
        plan = make_plan(self.grid.nlon)
        self._factors, self._twiddle = plan.factors, plan.twiddle
        self._bad = np.zeros(self.grid.nlat, dtype=np.bool_)

    @property
    def time_s(self) -> float:
        """Model time of the current level."""
        return self.step_count * self.dt_s

    @property
    def current(self) -> Level:
        return self._levels[1]

    @property
    def previous(self) -> Level:
        """The RAW-filtered previous level (needed, with ``current``, to resume)."""
        return self._levels[0]

    def _alloc(self) -> Level:
        g = self.grid
        return (np.empty(g.shape), np.empty(g.shape), np.empty((g.nlat + 1, g.nlon)))

    def _raw_step(self, old: Level, cur: Level, new: Level, dt: float, nu: float) -> Level:
        """Numba: writes ``new`` and overwrites ``old`` with the filtered ``cur``."""
        g = self.grid
        if self.backend == "numpy":
            filt, nxt = reference.leapfrog_step(
                g, old, cur, self.hs, self.coriolis, dt, nu, RAW_ALPHA, self.advect_only
            )
            for dst, src in zip(old + new, filt + nxt, strict=True):
                dst[...] = src
            self._bad[:] = reference.bad_rows(*new, self.hs, self.min_depth_m, MAX_SPEED_M_S)
            return new
        leapfrog_kernel(
            *old, *cur, *new,
            self.hs, self.coriolis, g.area_m2, g.area_v_m2, g.dx_u_m, g.dy_v_m, g.face_u_m,
            g.face_v_m, g.weight_s, g.weight_n, g.filter_row_h, g.filter_row_v, g.filter_gain,
            self._factors, self._twiddle,
            dt, nu, RAW_ALPHA, self.advect_only, self.min_depth_m, MAX_SPEED_M_S, self._bad,
        )  # fmt: skip
        return new

    def start(self, h: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
        """Take the first step from a single level with the explicit midpoint rule."""
        x0 = (h, u, v)
        a, b, c = self._alloc(), self._alloc(), self._alloc()
        for dst, src in zip(a + b, x0 + x0, strict=True):
            dst[...] = src
        # old = cur = x0 with dt/4 gives x0 + (dt/2) T(x0); then x0 + dt T(half).
        self._check(1, self._raw_step(a, b, c, 0.25 * self.dt_s, 0.0))
        self._check(1, self._raw_step(b, c, a, 0.5 * self.dt_s, 0.0))
        for dst, src in zip(b, x0, strict=True):
            dst[...] = src
        self._levels = [b, a, c]
        self.step_count = 1

    def resume(self, previous: Level, current: Level, step_count: int) -> None:
        """Continue from two saved levels (copied), the current one at ``step_count``."""
        old, cur, spare = self._alloc(), self._alloc(), self._alloc()
        for dst, src in zip(old + cur, tuple(previous) + tuple(current), strict=True):
            dst[...] = src
        self._levels = [old, cur, spare]
        self.step_count = int(step_count)

    def step(self) -> None:
        """One leapfrog-RAW step; raises :class:`BlowUpError` naming where it failed."""
        old, cur, spare = self._levels
        self._raw_step(old, cur, spare, self.dt_s, RAW_NU)
        self._levels = [old, spare, cur]
        self._check(self.step_count + 1, spare)
        self.step_count += 1

    def _check(self, step: int, new: Level) -> None:
        if not self._bad.any():
            return
        j = int(np.flatnonzero(self._bad)[0])
        h, u, v = new
        depth = h[j] - self.hs[j]
        bad = (
            ~np.isfinite(h[j]) | ~np.isfinite(u[j]) | ~np.isfinite(v[j + 1])
            | (np.abs(u[j]) > MAX_SPEED_M_S) | (np.abs(v[j + 1]) > MAX_SPEED_M_S)
            | (depth < self.min_depth_m)
        )  # fmt: skip
        i = int(np.flatnonzero(bad)[0]) if bad.any() else 0
        where = (
            f"lat {math.degrees(self.grid.lat[j]):.3f} deg, "
            f"lon {math.degrees(self.grid.lon[i]):.3f} deg (row {j}, column {i}): "
            f"h={h[j, i]:.6g} m, depth={depth[i]:.6g} m, u={u[j, i]:.6g} m/s, "
            f"v={v[j + 1, i]:.6g} m/s"
        )
        raise BlowUpError(
            f"the model blew up at step {step}, model time {step * self.dt_s:.1f} s "
            f"({step * self.dt_s / 86400.0:.4f} days), at {where}; "
            "try a smaller dt_s"
        )


def compulsory_bytes(grid: Grid) -> int:
    """Bytes one step must move at minimum, the figure effective bandwidth is based on.

    Counted: the two leapfrog levels of ``h``, ``u``, ``v`` read once (the step needs the
    previous level for ``new = old + 2 dt T`` and the current one for ``T``), two levels
    written once (the new level and the RAW-filtered current one, over the previous
    level), and the static inputs read once: topography and the Coriolis field (a full 2-D
    field: it depends on longitude in the rotated test cases) and the metric rows.

    Not counted, as STREAM does not count them either: the read a write-allocate cache
    does before writing the new level, and the polar filter's gain table (a function of
    latitude and wavenumber that could be recomputed; the kernel reads the half it needs,
    about 2.8 MB per step at 0.25 deg).  Both make the true traffic larger than this
    figure, so the effective bandwidth it gives is a lower bound on the real one.

    Examples
    --------
    >>> from workloads.weather.grid import make_grid
    >>> g = make_grid(1.0)
    >>> round(compulsory_bytes(g) / (8 * g.nlat * g.nlon), 2)  # 12 field passes + hs + f
    14.05
    """
    n_c = grid.nlat * grid.nlon
    n_v = (grid.nlat + 1) * grid.nlon
    prognostic = 2 * (n_c + n_c + n_v)  # two levels of h, u, v
    static = n_c + n_v + 5 * grid.nlat + 2 * (grid.nlat + 1)  # hs, coriolis, metric rows
    return 8 * (2 * prognostic + static)


def benchmark_callables(resolution_deg: float, polar_filter: bool = True) -> dict:
    """Zero-argument callables that each advance a test-case-6 state by one full step.

    Returns a dict with ``"numpy"`` and ``"numba"`` (each owns its preallocated state and
    advances it by one leapfrog-RAW step, polar filter included), ``"compulsory_bytes"``
    (int, see :func:`compulsory_bytes`) and ``"points"`` (cell centres).  The Numba
    callable is compiled (or loaded from cache) before this returns.

    With ``polar_filter=False`` no row is filtered, and the time step is the one the
    unfiltered polar rows allow (39 times shorter at 1 deg, 157 at 0.25 deg), so that repeated
    steps stay stable: a diagnostic of what the filter costs, not a model to run.

    Examples
    --------
    >>> calls = benchmark_callables(10.0)
    >>> calls["numba"](); calls["numpy"]()
    >>> calls["points"]
    648
    """
    from workloads.weather.cases import case_fields
    from workloads.weather.grid import make_grid

    grid = make_grid(resolution_deg)
    if not polar_filter:
        none = np.int64(-1)
        grid = replace(grid, filter_row_h=np.full_like(grid.filter_row_h, none),
                       filter_row_v=np.full_like(grid.filter_row_v, none))  # fmt: skip
    f = case_fields(grid, 6)
    dt = 0.9 * max_stable_dt_s(grid, f.h, f.u, f.v, f.hs, f.coriolis, f.advect_only)
    steppers = {}
    for backend in BACKENDS:
        st = Stepper(grid, f.hs, f.coriolis, f.advect_only, dt, backend=backend)
        st.start(f.h, f.u, f.v)
        steppers[backend] = st
    steppers["numba"].step()  # compile before timing
    return {
        "numpy": steppers["numpy"].step,
        "numba": steppers["numba"].step,
        "compulsory_bytes": compulsory_bytes(grid),
        "points": grid.nlat * grid.nlon,
    }
