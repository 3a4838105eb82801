"""The shallow-water model for ``accel compress``: Python loops, NumPy and Numba.

Every implementation advances the same test-case-5 state (Williamson et al. 1992,
flow over a mountain) by ``STEPS_PER_CALL`` leapfrog-RAW steps on a regular
latitude-longitude grid and returns the two time levels ``(previous, current)``.

* naive: :func:`workloads.weather.naive.leapfrog_step`, Python loops over every
  grid point, the polar filter as a direct discrete Fourier transform.
* baseline: :func:`workloads.weather.reference.leapfrog_step`, whole-array NumPy.
* ours: the fused Numba kernel through :class:`workloads.weather.model.Stepper`; each
  call first copies the two input levels into the stepper (``resume``), so its time
  includes that copy.
* ours-dask: :func:`workloads.weather.distributed.run_dask` on an embedded
  ``LocalCluster``, resuming from the same two levels as a checkpoint; its time
  includes building that checkpoint dataset.

The size is the number of grid points; a 10-day forecast at that resolution is the
whole task, ``ceil(steps / STEPS_PER_CALL)`` calls.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from accel.compress_fit import PowerLawFit, size_for_seconds
from accel.compress_spec import CompressionSpec, Implementation, dask_implementation

__all__ = [
    "CASE",
    "FORECAST_DAYS",
    "STEPS_PER_CALL",
    "compression",
    "make_inputs",
    "naive_steps",
    "numba_steps",
    "numpy_steps",
    "points_for_nlat",
    "same_levels",
]

CASE = 5
FORECAST_DAYS = 10.0
# Several steps per call so the copy into the Numba stepper is a small share of its time.
STEPS_PER_CALL = 10
# Fields agree to this fraction of their largest magnitude: the formulas are the same,
# only the order of a few sums (FFT vs direct DFT, fused loops) differs.
RTOL = 1e-12
# 0.1 degree: about 0.5 GB per copy of the state; NumPy needs ~10 s per call there.
MAX_NLAT = 1800
# Latitude bands of the Dask path: one per worker on a 2-core machine.
DASK_BANDS = 2

Level = tuple[np.ndarray, np.ndarray, np.ndarray]


def points_for_nlat(nlat: int) -> int:
    """Grid points of the grid with ``nlat`` rows (``2 * nlat`` columns).

    Examples
    --------
    >>> points_for_nlat(720)  # 0.25 degree
    1036800
    """
    return 2 * nlat * nlat


def _nlat_of(points: int) -> int:
    nlat = math.isqrt(points // 2)
    if points_for_nlat(nlat) != points or nlat < 6:
        raise ValueError(
            f"weather size must be 2 * nlat**2 grid points with nlat >= 6 (a 180/nlat degree "
            f"grid), e.g. 648 (10 deg) or 1036800 (0.25 deg); got {points}"
        )
    return nlat


def _describe(points: int) -> str:
    nlat = _nlat_of(points)
    return f"{180 / nlat:.4g} deg grid, {nlat} x {2 * nlat}, test case {CASE}"


@functools.lru_cache(maxsize=8)
def _dt_s(nlat: int) -> float:
    from workloads.weather.api import DT_SAFETY
    from workloads.weather.cases import case_fields
    from workloads.weather.grid import make_grid
    from workloads.weather.model import max_stable_dt_s

    grid = make_grid(180.0 / nlat)
    f = case_fields(grid, CASE)
    return DT_SAFETY * max_stable_dt_s(grid, f.h, f.u, f.v, f.hs, f.coriolis, f.advect_only)


def _calls_for_forecast(points: int) -> int:
    steps = math.ceil(FORECAST_DAYS * 86400.0 / _dt_s(_nlat_of(points)))
    return math.ceil(steps / STEPS_PER_CALL)


def make_inputs(points: int, seed: int) -> dict[str, Any]:
    """The test-case-5 state after its first step, on the grid with ``points`` points.

    ``seed`` is accepted for the harness and ignored: the test case is deterministic.

    Examples
    --------
    >>> inputs = make_inputs(648, seed=0)
    >>> inputs["grid"].shape, inputs["dt_s"] > 0
    ((18, 36), True)
    """
    from workloads.weather.cases import case_fields
    from workloads.weather.grid import make_grid
    from workloads.weather.model import Stepper

    nlat = _nlat_of(points)
    grid = make_grid(180.0 / nlat)
    f = case_fields(grid, CASE)
    dt = _dt_s(nlat)
    start = Stepper(grid, f.hs, f.coriolis, f.advect_only, dt, backend="numpy")
    start.start(f.h, f.u, f.v)
    for level in (start.previous, start.current):
        for array in level:
            array.flags.writeable = False  # an implementation that writes its inputs fails loudly
    # The Numba path's model object with its preallocated levels, as a user would hold it.
    numba_stepper = Stepper(grid, f.hs, f.coriolis, f.advect_only, dt, backend="numba")
    return {
        "grid": grid, "fields": f, "dt_s": dt,
        "previous": start.previous, "current": start.current, "numba_stepper": numba_stepper,
    }  # fmt: skip


def _loop(step, inputs: dict[str, Any]) -> tuple[Level, Level]:
    from workloads.weather.model import RAW_ALPHA, RAW_NU

    f = inputs["fields"]
    old, cur = inputs["previous"], inputs["current"]
    for _ in range(STEPS_PER_CALL):
        old, cur = step(
            inputs["grid"], old, cur, f.hs, f.coriolis, inputs["dt_s"], RAW_NU, RAW_ALPHA,
            f.advect_only,
        )  # fmt: skip
    return old, cur


def naive_steps(inputs: dict[str, Any]) -> tuple[Level, Level]:
    """``STEPS_PER_CALL`` steps with the pure-Python loops."""
    from workloads.weather import naive

    return _loop(naive.leapfrog_step, inputs)


def numpy_steps(inputs: dict[str, Any]) -> tuple[Level, Level]:
    """``STEPS_PER_CALL`` steps with the NumPy reference."""
    from workloads.weather import reference

    return _loop(reference.leapfrog_step, inputs)


def numba_steps(inputs: dict[str, Any]) -> tuple[Level, Level]:
    """``STEPS_PER_CALL`` steps with the Numba kernel, starting from copies of the inputs."""
    stepper = inputs["numba_stepper"]
    stepper.resume(inputs["previous"], inputs["current"], 1)
    for _ in range(STEPS_PER_CALL):
        stepper.step()
    # Copies: the stepper's arrays are reused by the next call.
    return tuple(a.copy() for a in stepper.previous), tuple(a.copy() for a in stepper.current)


def same_levels(a: tuple[Level, Level], b: tuple[Level, Level], *, rtol: float = RTOL) -> bool:
    """Whether two results agree field by field to ``rtol`` of each field's largest value.

    Examples
    --------
    >>> x = (np.ones((2, 4)), np.zeros((2, 4)), np.zeros((3, 4)))
    >>> same_levels((x, x), (x, x)), same_levels((x, x), (x, tuple(v + 1e-6 for v in x)))
    (True, False)
    """
    for level_a, level_b in zip(a, b, strict=True):
        if level_a is None or level_b is None:
            continue  # a result without the previous level (the Dask path's) skips it
        for x, y in zip(level_a, level_b, strict=True):
            x, y = np.asarray(x), np.asarray(y)
            if x.shape != y.shape or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
                return False
            scale = max(float(np.max(np.abs(y), initial=0.0)), 1e-300)
            if float(np.max(np.abs(x - y), initial=0.0)) > rtol * scale:
                return False
    return True


def _size_for_seconds(fit: PowerLawFit, seconds: float) -> int:
    points = size_for_seconds(fit, seconds)
    return points_for_nlat(max(6, math.ceil(math.sqrt(points / 2))))


def _checkpoint(grid, f, dt: float, previous: Level, current: Level):
    """The inputs as a checkpoint dataset at step 1, which the Dask path resumes from."""
    from workloads.weather.api import initial_state
    from workloads.weather.diagnostics import invariants

    state = initial_state(CASE, grid.resolution_deg)
    inv = invariants(grid, *(state[k].values for k in ("h", "u", "v")), f.hs, f.coriolis)
    ck = state.copy()
    for name, prev, cur in zip(("h", "u", "v"), previous, current, strict=True):
        ck[name] = (state[name].dims, np.array(cur), state[name].attrs)
        ck[f"{name}_prev"] = (state[name].dims, np.array(prev), state[name].attrs)
    ck.attrs.update(step=1, dt_s=dt, time_s=dt, **{f"initial_{k}": v for k, v in inv.items()})
    return ck


def _dask_implementation() -> Implementation:
    from workloads.weather.distributed import run_dask

    def run(inputs: dict[str, Any], client) -> tuple[None, Level]:
        g, f, dt = inputs["grid"], inputs["fields"], inputs["dt_s"]
        state = _checkpoint(g, f, dt, inputs["previous"], inputs["current"])
        out = run_dask(state, (1 + STEPS_PER_CALL) * dt / 86400.0, chunks=DASK_BANDS,
                       client=client, progress=False)  # fmt: skip
        last = out.isel(time=-1)
        # run_dask returns snapshots of the current level only, so only that is compared.
        return None, tuple(np.asarray(last[k].values, dtype=np.float64) for k in ("h", "u", "v"))

    return dask_implementation("accel weather (Dask)", run)


def compression() -> CompressionSpec:
    """The weather entry of the ``accel.compressions`` group.

    Examples
    --------
    >>> spec = compression()
    >>> [impl.role for impl in spec.implementations]
    ['naive', 'baseline', 'ours', 'ours-dask']
    """
    return CompressionSpec(
        name="weather",
        task=(
            f"{STEPS_PER_CALL} leapfrog-RAW steps of the shallow-water model (C grid, polar "
            f"Fourier filter) from the Williamson test-case-{CASE} state. The naive polar filter "
            "is a direct DFT costing points^1.5 while the rest costs points^1, and the DFT share "
            "grows with the grid: a fit over coarse grids understates the naive time at fine "
            "grids, so its extrapolation (and every speed-up over it) is an underestimate"
        ),
        size_unit="grid points",
        make_inputs=make_inputs,
        implementations=(
            Implementation("pure-Python loops", "naive", run=naive_steps),
            Implementation("NumPy reference", "baseline", run=numpy_steps),
            Implementation("accel weather (Numba)", "ours", run=numba_steps),
            _dask_implementation(),
        ),
        expected_exponent=1.5,  # the asymptote, reached only once the DFT dominates
        equal=same_levels,
        equality_rule=(
            f"h, u, v of both time levels after {STEPS_PER_CALL} steps agree within "
            f"{RTOL:g} of each field's largest magnitude (same formulas; only the order of "
            "some sums differs); the Dask path returns the current level only, so its previous "
            "level is not compared"
        ),
        # 15, 10, 7.5 and 5 deg: large enough that the DFT shows in the fit, and ~3 s at most.
        naive_sizes=tuple(points_for_nlat(n) for n in (12, 18, 24, 36)),
        full_size=points_for_nlat(720),  # 0.25 deg
        max_full_size=points_for_nlat(MAX_NLAT),
        max_full_size_reason="0.1 deg keeps memory and the NumPy run modest",
        size_for_seconds=_size_for_seconds,
        repetitions=_calls_for_forecast,
        repetitions_unit=(f"calls of {STEPS_PER_CALL} steps in a {FORECAST_DAYS:g}-day forecast"),
        describe_size=_describe,
    )
