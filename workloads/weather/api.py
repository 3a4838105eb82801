"""Public functions of the shallow-water model: initial states, runs, error summaries.

States are ``xarray.Dataset`` objects on the C grid: ``h`` and ``hs`` on cell centres
``(lat, lon)``, ``u`` on east faces ``(lat, lon_u)``, ``v`` on north faces ``(lat_v, lon)``
and, in run output, relative vorticity ``zeta`` on corners ``(lat_v, lon_u)``.  A state
that carries ``h_prev``, ``u_prev``, ``v_prev`` (a checkpoint) continues the leapfrog
scheme exactly where it stopped.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import xarray as xr

from workloads.weather import diagnostics
from workloads.weather.cases import DAY_S, case_fields, check_case, exact_height
from workloads.weather.grid import Grid, make_grid
from workloads.weather.model import SCHEME, BlowUpError, Stepper, max_stable_dt_s

__all__ = ["initial_state", "run", "summary", "BlowUpError"]

# Default time step as a fraction of the largest stable one.
DT_SAFETY = 0.9


def _coords(grid: Grid) -> dict[str, xr.DataArray]:
    deg = np.degrees
    return {
        "lat": ("lat", deg(grid.lat), {"units": "degrees_north", "standard_name": "latitude",
                                        "long_name": "latitude of cell centres"}),
        "lon": ("lon", deg(grid.lon), {"units": "degrees_east", "standard_name": "longitude",
                                        "long_name": "longitude of cell centres"}),
        "lat_v": ("lat_v", deg(grid.lat_v), {"units": "degrees_north", "standard_name": "latitude",
                                              "long_name": "latitude of north/south cell faces"}),
        "lon_u": ("lon_u", deg(grid.lon_u), {"units": "degrees_east", "standard_name": "longitude",
                                              "long_name": "longitude of east/west cell faces"}),
    }  # fmt: skip


_ATTRS = {
    "h": {"units": "m", "standard_name": "geopotential_height",
          "long_name": "height of the free surface"},
    "u": {"units": "m s-1", "standard_name": "eastward_wind",
          "long_name": "zonal wind on east cell faces"},
    "v": {"units": "m s-1", "standard_name": "northward_wind",
          "long_name": "meridional wind on north cell faces"},
    "hs": {"units": "m", "standard_name": "surface_altitude",
           "long_name": "bottom topography"},
    "zeta": {"units": "s-1", "standard_name": "atmosphere_relative_vorticity",
             "long_name": "relative vorticity on cell corners"},
}  # fmt: skip
_DIMS = {"h": ("lat", "lon"), "u": ("lat", "lon_u"), "v": ("lat_v", "lon"), "hs": ("lat", "lon"),
         "zeta": ("lat_v", "lon_u")}  # fmt: skip


def _number(name: str, value: object, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number of {unit}; got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive, finite number of {unit}; got {value} {unit}")
    return value


def initial_state(case: int, resolution_deg: float, *, alpha: float = 0.0) -> xr.Dataset:
    """Initial state of a Williamson et al. (1992) test case.

    Parameters
    ----------
    case
        Test case: 1 (cosine bell advected by solid-body winds), 2 (steady geostrophic
        flow), 5 (flow over an isolated mountain) or 6 (Rossby-Haurwitz wave, R = 4).
    resolution_deg
        Grid spacing in degrees; must divide 180 (2.8125, 2, 1, 0.5, 0.25, ...).
    alpha
        Angle (radians) between the solid-body flow's axis and the Earth's axis, cases 1
        and 2 only.

    Returns
    -------
    xarray.Dataset
        ``h``, ``u``, ``v``, ``hs`` with CF attributes; attrs record the case, alpha,
        resolution, scheme and model time 0.

    Examples
    --------
    >>> ds = initial_state(2, 10.0, alpha=math.pi / 4)
    >>> dict(ds.h.sizes), ds.attrs["case"]
    ({'lat': 18, 'lon': 36}, 2)
    """
    case, alpha = check_case(case, alpha)
    grid = make_grid(resolution_deg)
    f = case_fields(grid, case, alpha)
    arrays = {"h": f.h, "u": f.u, "v": f.v, "hs": f.hs}
    data = {k: (_DIMS[k], a, _ATTRS[k]) for k, a in arrays.items()}
    return xr.Dataset(
        data,
        coords=_coords(grid),
        attrs={
            "title": f"Williamson et al. (1992) shallow-water test case {case}",
            "Conventions": "CF-1.8",
            "case": case,
            "alpha": alpha,
            "resolution_deg": grid.resolution_deg,
            "scheme": SCHEME,
            "time_s": 0.0,
            "references": "Williamson et al. 1992, J. Comput. Phys. 102, 211-224",
        },
    )


def _check_state(state: object) -> tuple[Grid, int, float]:
    if not isinstance(state, xr.Dataset):
        raise TypeError(
            f"state must be an xarray.Dataset from initial_state(); got {type(state).__name__}"
        )
    for key in ("case", "alpha", "resolution_deg"):
        if key not in state.attrs:
            raise ValueError(
                f"state must carry attribute {key!r} (made by initial_state); it is missing"
            )
    case, alpha = check_case(int(state.attrs["case"]), float(state.attrs["alpha"]))
    grid = make_grid(float(state.attrs["resolution_deg"]))
    shapes = {"h": grid.shape, "u": grid.shape, "v": (grid.nlat + 1, grid.nlon), "hs": grid.shape}
    for name, shape in shapes.items():
        if name not in state:
            raise ValueError(f"state must contain variable {name!r}; it is missing")
        arr = state[name]
        if arr.dims != _DIMS[name] or arr.shape != shape:
            raise ValueError(
                f"state[{name!r}] must have dims {_DIMS[name]} and shape {shape}; "
                f"got {arr.dims} {arr.shape}"
            )
        if not np.all(np.isfinite(arr.values)):
            raise ValueError(f"state[{name!r}] must be finite everywhere; it holds NaN or inf")
    return grid, case, alpha


def _plan_steps(
    total_s: float, interval_s: float, dt_s: float | None, dt_max: float
) -> tuple[float, int, int]:
    """(dt, steps per output, total steps) with outputs and the end on whole steps."""
    if dt_s is None:
        per_out = max(1, math.ceil(interval_s / (DT_SAFETY * dt_max)))
        dt_s = interval_s / per_out
    else:
        if dt_s > dt_max:
            raise ValueError(
                f"dt_s must be at most the largest stable time step, {dt_max:.2f} s, for this "
                f"state (leapfrog CFL limit with the polar filter); got {dt_s:g} s"
            )
        per_out = round(interval_s / dt_s)
        if per_out < 1 or abs(per_out * dt_s - interval_s) > 1e-9 * interval_s:
            raise ValueError(
                f"dt_s must divide the output interval ({interval_s:g} s) into whole steps; "
                f"got {dt_s:g} s"
            )
    total = round(total_s / dt_s)
    if abs(total * dt_s - total_s) > 1e-9 * total_s:
        raise ValueError(
            f"days must be a whole number of output intervals ({interval_s / DAY_S:g} days); "
            f"got {total_s / DAY_S:g} days"
        )
    return dt_s, per_out, total


def _snapshot(grid: Grid, h, u, v) -> dict[str, np.ndarray]:
    return {"h": h.copy(), "u": u.copy(), "v": v.copy(), "zeta": diagnostics.vorticity(grid, u, v)}


def run(
    state: xr.Dataset,
    days: float,
    *,
    output_every: float | None = None,
    dt_s: float | None = None,
    backend: str = "numba",
    checkpoint_every: int | None = None,
    checkpoint_path: str | None = None,
    progress: bool = True,
    chunks: int | None = None,
    client=None,
) -> xr.Dataset:
    """Integrate a state to model time ``days`` and return the snapshots.

    Parameters
    ----------
    state
        From :func:`initial_state`, or a checkpoint (:func:`workloads.weather.io.read_checkpoint`),
        which continues bit for bit where it stopped.
    days
        Model time, in days since the initial state, at which the run ends (a resumed run
        stops at the same moment as the run it resumes).
    output_every
        Days between snapshots; ``None`` keeps the start and the end only.
    dt_s
        Time step in seconds; default: the largest step that divides the output interval
        and is at most 0.9 of the stability limit.  A larger step than the limit is refused
        before running, and the error gives the limit.
    backend
        ``"numba"`` (fused kernel) or ``"numpy"`` (the reference).
    checkpoint_every, checkpoint_path
        Write a checkpoint (NetCDF, atomically replaced) every this many steps.
    progress
        Show a progress bar in simulated days on stderr.
    chunks, client
        Run on Dask in this many latitude bands, on this ``dask.distributed.Client``
        (either one selects :func:`workloads.weather.distributed.run_dask`, which gives
        the same result bit for bit).

    Returns
    -------
    xarray.Dataset
        ``h``, ``u``, ``v``, ``zeta`` with a ``time`` dimension (days), ``hs``, and attrs
        with ``dt_s``, ``steps`` and the invariants of the initial state.

    Raises
    ------
    BlowUpError
        When a step produces NaN, inf, an absurd wind or a non-positive depth; the message
        names the step, the model time and the grid point.

    Examples
    --------
    >>> out = run(initial_state(2, 10.0), days=0.5, output_every=0.25, progress=False)
    >>> out.sizes["time"], float(out.time[-1])
    (3, 0.5)
    """
    from tqdm import tqdm

    from workloads.weather import io

    if chunks is not None or client is not None:
        from workloads.weather.distributed import run_dask

        if backend != "numba":
            raise ValueError(f"backend must be 'numba' with chunks or client; got {backend!r}")
        return run_dask(state, days, output_every=output_every, dt_s=dt_s, chunks=chunks or 2,
                        client=client, checkpoint_every=checkpoint_every,
                        checkpoint_path=checkpoint_path, progress=progress)  # fmt: skip
    grid, case, alpha = _check_state(state)
    total_s = _number("days", days, "days") * DAY_S
    resumed = "h_prev" in state
    t0_s = float(state.attrs.get("time_s", 0.0))
    if output_every is None and resumed and "output_every_days" in state.attrs:
        output_every = float(state.attrs["output_every_days"])
    interval_s = (
        total_s if output_every is None else _number("output_every", output_every, "days") * DAY_S
    )
    if interval_s > total_s:
        raise ValueError(f"output_every must be at most days ({days:g}); got {output_every:g} days")
    if checkpoint_every is not None:
        if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int | np.integer):
            raise TypeError(
                f"checkpoint_every must be an integer number of steps; got {type(checkpoint_every).__name__}"
            )
        if checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be at least 1 step; got {checkpoint_every}")
        if checkpoint_path is None:
            raise ValueError("checkpoint_path must be given with checkpoint_every; got None")

    f = case_fields(grid, case, alpha)
    h, u, v, hs = (state[k].values.astype(np.float64) for k in ("h", "u", "v", "hs"))
    if resumed:
        dt_s_saved = float(state.attrs["dt_s"])
        if dt_s is not None and dt_s != dt_s_saved:
            raise ValueError(
                f"dt_s must equal the checkpoint's {dt_s_saved!r} s to resume; got {dt_s!r} s"
            )
        dt_s = dt_s_saved
        per_out = round(interval_s / dt_s)
        if per_out < 1 or abs(per_out * dt_s - interval_s) > 1e-9 * interval_s:
            raise ValueError(
                f"output_every must be a whole number of the checkpoint's {dt_s} s steps; got {output_every} days"
            )
        total = round(total_s / dt_s)
        start_step = int(state.attrs["step"])
        if start_step > total:
            raise ValueError(
                f"days must not precede the checkpoint at {t0_s / DAY_S:g} days; got {days:g}"
            )
        inv0 = {k: float(state.attrs[f"initial_{k}"]) for k in ("mass", "energy", "enstrophy")}
    else:
        dt_max = max_stable_dt_s(grid, h, u, v, hs, f.coriolis, f.advect_only)
        if dt_s is not None:
            _number("dt_s", dt_s, "s")
        dt_s, per_out, total = _plan_steps(total_s, interval_s, dt_s, dt_max)
        start_step = 0
        inv0 = diagnostics.invariants(grid, h, u, v, hs, f.coriolis)

    stepper = Stepper(grid, hs, f.coriolis, f.advect_only, dt_s, backend=backend)
    times, snaps = [], []
    if resumed:
        prev = tuple(state[k].values.astype(np.float64) for k in ("h_prev", "u_prev", "v_prev"))
        stepper.resume(prev, (h, u, v), start_step)
    else:
        times.append(0.0)
        snaps.append(_snapshot(grid, h, u, v))

    def checkpoint() -> None:
        ck = _state_dataset(grid, state.attrs, stepper, inv0, interval_s)
        io.write_dataset(ck, checkpoint_path, overwrite=True)

    bar = tqdm(total=round(total * dt_s / DAY_S, 6), initial=round(start_step * dt_s / DAY_S, 6),
               unit="day", desc=f"case {case} {grid.resolution_deg:g} deg", file=sys.stderr,
               disable=not progress, mininterval=0.5)  # fmt: skip
    try:
        if not resumed and total > 0:
            stepper.start(h, u, v)
            bar.update(dt_s / DAY_S)
        while True:
            n = stepper.step_count
            if n % per_out == 0 or n == total:
                if not times or n * dt_s / DAY_S > times[-1] + 1e-12:
                    times.append(n * dt_s / DAY_S)
                    snaps.append(_snapshot(grid, *stepper.current))
            if checkpoint_every is not None and n % checkpoint_every == 0 and n > start_step:
                checkpoint()
            if n >= total:
                break
            stepper.step()
            bar.update(dt_s / DAY_S)
    finally:
        bar.close()
    return _output(grid, state.attrs, times, snaps, hs, stepper, inv0, interval_s)


def _state_dataset(
    grid: Grid, attrs, stepper: Stepper, inv0: dict, interval_s: float
) -> xr.Dataset:
    h, u, v = stepper.current
    hp, up, vp = stepper.previous
    data = {
        k: (_DIMS[k], a, _ATTRS[k]) for k, a in (("h", h), ("u", u), ("v", v), ("hs", stepper.hs))
    }
    for k, a in (("h", hp), ("u", up), ("v", vp)):
        data[f"{k}_prev"] = (
            _DIMS[k],
            a,
            {
                **_ATTRS[k],
                "long_name": _ATTRS[k]["long_name"] + ", previous (filtered) leapfrog level",
            },
        )
    out_attrs = {
        k: attrs[k]
        for k in ("title", "Conventions", "case", "alpha", "resolution_deg", "scheme", "references")
        if k in attrs
    }
    out_attrs.update(
        time_s=stepper.time_s, step=stepper.step_count, dt_s=stepper.dt_s,
        output_every_days=interval_s / DAY_S,
        **{f"initial_{k}": val for k, val in inv0.items()},
    )  # fmt: skip
    return xr.Dataset(data, coords=_coords(grid), attrs=out_attrs)


def _output(grid: Grid, attrs, times, snaps, hs, stepper: Stepper, inv0, interval_s) -> xr.Dataset:
    data = {
        k: (("time", *_DIMS[k]), np.stack([s[k] for s in snaps]), _ATTRS[k])
        for k in ("h", "u", "v", "zeta")
    }
    data["hs"] = (_DIMS["hs"], hs, _ATTRS["hs"])
    coords = {
        **_coords(grid),
        "time": (
            "time",
            np.array(times),
            {"units": "days", "long_name": "model time since the initial state"},
        ),
    }
    out_attrs = {
        k: attrs[k]
        for k in ("title", "Conventions", "case", "alpha", "resolution_deg", "scheme", "references")
        if k in attrs
    }
    out_attrs.update(dt_s=stepper.dt_s, steps=stepper.step_count, time_s=stepper.time_s, output_every_days=interval_s / DAY_S,
                     **{f"initial_{k}": val for k, val in inv0.items()})  # fmt: skip
    return xr.Dataset(data, coords=coords, attrs=out_attrs)


def summary(result: xr.Dataset) -> dict[str, float]:
    """Error norms of the last snapshot (against the exact solution, cases 1 and 2) and
    conservation errors of mass, total energy and potential enstrophy.

    Examples
    --------
    >>> out = run(initial_state(2, 10.0), days=1.0, progress=False)
    >>> s = summary(out)
    >>> s["l2"] < 1e-3 and abs(s["mass"]) < 1e-12
    True
    """
    if not isinstance(result, xr.Dataset) or "time" not in result.dims:
        raise TypeError(f"result must be a Dataset returned by run(); got {type(result).__name__}")
    case, alpha = check_case(int(result.attrs["case"]), float(result.attrs["alpha"]))
    grid = make_grid(float(result.attrs["resolution_deg"]))
    last = result.isel(time=-1)
    h, u, v, hs = (last[k].values for k in ("h", "u", "v", "hs"))
    out: dict[str, float] = {"days": float(last.time)}
    if case in (1, 2):
        out.update(
            diagnostics.height_errors(
                grid, h, exact_height(grid, case, alpha, float(last.time) * DAY_S)
            )
        )
    inv0 = {k: float(result.attrs[f"initial_{k}"]) for k in ("mass", "energy", "enstrophy")}
    coriolis = case_fields(grid, case, alpha).coriolis
    out.update(
        diagnostics.conservation_errors(inv0, diagnostics.invariants(grid, h, u, v, hs, coriolis))
    )
    return out
