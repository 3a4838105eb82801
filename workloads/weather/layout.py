"""How a distributed run is laid out: latitude bands, steps per exchange, boundaries, dt.

Pure planning, no Dask: :func:`make_layout` cuts the rows into bands and picks ``k``;
:func:`boundaries` lists the steps where a run gathers its bands (outputs, checkpoints,
graph cuts); :func:`plan_run` validates a state and the run's arguments exactly as
:func:`workloads.weather.api.run` does and fixes the time step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from workloads.weather import api, diagnostics
from workloads.weather.cases import DAY_S, case_fields
from workloads.weather.grid import Grid
from workloads.weather.model import max_stable_dt_s

__all__ = [
    "DEFAULT_HALO_STEPS",
    "DEFAULT_CUT_EVERY",
    "Layout",
    "make_layout",
    "boundaries",
    "segments",
    "RunPlan",
    "plan_run",
    "initial_invariants",
]

# Steps per exchange unless told: 20 cuts the tasks of a run 20-fold against one exchange
# per step, while the recomputed halo triangle stays a few per cent of a band at 0.25 deg
# (see benchmarks/weather_dask.py); narrow bands get fewer steps.
DEFAULT_HALO_STEPS = 20
# Exchanges per band between two graph cuts when no output or checkpoint comes sooner.
DEFAULT_CUT_EVERY = 500


def positive_int(name: str, value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer number of {what}; got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1 {what}; got {value}")
    return int(value)


@dataclass(frozen=True)
class Layout:
    """How a run is cut: band boundaries (``bounds[c] .. bounds[c + 1]``) and ``k``."""

    bounds: tuple[int, ...]
    halo_steps: int
    cut_every: int

    @property
    def sizes(self) -> list[int]:
        return [b - a for a, b in zip(self.bounds[:-1], self.bounds[1:], strict=True)]

    @property
    def chunks(self) -> int:
        return len(self.bounds) - 1


def make_layout(
    nlat: int, chunks: int, halo_steps: int | None = None, cut_every: int = DEFAULT_CUT_EVERY
) -> Layout:
    """Validate the decomposition and pick ``k`` when it is not given.

    Bands own near-equal numbers of rows (as ``numpy.array_split``).  The default ``k``
    is :data:`DEFAULT_HALO_STEPS`, at most a quarter of the narrowest band (at least 1).

    Examples
    --------
    >>> make_layout(90, 4).bounds, make_layout(90, 4).halo_steps
    ((0, 23, 46, 68, 90), 5)
    >>> make_layout(720, 2).halo_steps
    20
    """
    chunks = positive_int("chunks", chunks, "latitude bands")
    if chunks > nlat:
        raise ValueError(f"chunks must be at most the {nlat} latitude rows; got {chunks}")
    sizes = [len(a) for a in np.array_split(np.arange(nlat), chunks)]
    if halo_steps is None:
        halo_steps = max(1, min(DEFAULT_HALO_STEPS, min(sizes) // 4))
    halo_steps = positive_int("halo_steps", halo_steps, "steps")
    cut_every = positive_int("cut_every", cut_every, "exchanges")
    bounds = tuple(int(b) for b in np.concatenate([[0], np.cumsum(sizes)]))
    return Layout(bounds=bounds, halo_steps=halo_steps, cut_every=cut_every)


def segments(start: int, stop: int, k: int) -> list[tuple[int, int]]:
    """(first step, steps) of the exchanges between two boundaries, ``k`` steps each."""
    out = []
    step = start
    while step < stop:
        n = min(k, stop - step)
        out.append((step, n))
        step += n
    return out


def boundaries(start: int, total: int, every: Sequence[int], cut_steps: int) -> list[int]:
    """Steps after ``start`` where the run gathers its bands: multiples of each entry of
    ``every`` (outputs, checkpoints), at most ``cut_steps`` apart, and ``total``.

    Examples
    --------
    >>> boundaries(0, 10, [4], 100)
    [4, 8, 10]
    >>> boundaries(3, 10, [4, 5], 2)
    [4, 5, 7, 8, 10]
    """
    marks = {total}
    for e in every:
        marks.update(range((start // e + 1) * e, total, e))
    out: list[int] = []
    prev = start
    for m in sorted(x for x in marks if x > start):
        while m - prev > cut_steps:
            prev += cut_steps
            out.append(prev)
        out.append(m)
        prev = m
    return out


@dataclass(frozen=True)
class RunPlan:
    """A validated run: grid, static fields, time step and step counts."""

    grid: Grid
    case: int
    alpha: float
    hs: np.ndarray
    coriolis: np.ndarray
    advect_only: bool
    dt_s: float
    per_out: int
    total: int
    start_step: int
    interval_s: float
    resumed: bool


def plan_run(
    state: xr.Dataset,
    days: float,
    output_every: float | None,
    dt_s: float | None,
    *,
    depth_scale: float = 1.0,
) -> RunPlan:
    """Check a state (or a checkpoint) and the run's arguments; fix the time step.

    The rules and messages are :func:`workloads.weather.api.run`'s, so a distributed run
    takes the same steps.  ``depth_scale`` multiplies the fluid depth seen by the
    stability limit (ensembles: the deepest a perturbed member can be).

    Examples
    --------
    >>> p = plan_run(api.initial_state(2, 10.0), 1.0, 0.5, None)
    >>> p.total, p.per_out, p.start_step
    (116, 58, 0)
    """
    grid, case, alpha = api._check_state(state)
    total_s = api._number("days", days, "days") * DAY_S
    resumed = "h_prev" in state
    if output_every is None and resumed and "output_every_days" in state.attrs:
        output_every = float(state.attrs["output_every_days"])
    interval_s = (
        total_s
        if output_every is None
        else api._number("output_every", output_every, "days") * DAY_S
    )
    if interval_s > total_s:
        raise ValueError(f"output_every must be at most days ({days:g}); got {output_every:g} days")
    f = case_fields(grid, case, alpha)
    h, u, v, hs = (state[k].values.astype(np.float64) for k in ("h", "u", "v", "hs"))
    for name in ("v", "v_prev"):
        if name in state and np.any(state[name].values[[0, -1]] != 0.0):
            raise ValueError(
                f"state[{name!r}] must be zero on the polar faces (lat_v = +-90), as the model "
                "keeps it; it is not"
            )
    if resumed:
        saved = float(state.attrs["dt_s"])
        if dt_s is not None and dt_s != saved:
            raise ValueError(
                f"dt_s must equal the checkpoint's {saved!r} s to resume; got {dt_s!r} s"
            )
        dt_s = saved
        per_out = round(interval_s / dt_s)
        if per_out < 1 or abs(per_out * dt_s - interval_s) > 1e-9 * interval_s:
            raise ValueError(
                f"output_every must be a whole number of the checkpoint's {dt_s} s steps; "
                f"got {output_every} days"
            )
        total = round(total_s / dt_s)
        start_step = int(state.attrs["step"])
        if start_step > total:
            raise ValueError(
                f"days must not precede the checkpoint at {start_step * dt_s / DAY_S:g} days; "
                f"got {days:g}"
            )
    else:
        depth = (h - hs) * depth_scale
        dt_max = max_stable_dt_s(grid, hs + depth, u, v, hs, f.coriolis, f.advect_only)
        if dt_s is not None:
            api._number("dt_s", dt_s, "s")
        dt_s, per_out, total = api._plan_steps(total_s, interval_s, dt_s, dt_max)
        start_step = 0
    return RunPlan(
        grid=grid, case=case, alpha=alpha, hs=hs, coriolis=f.coriolis,
        advect_only=f.advect_only, dt_s=dt_s, per_out=per_out, total=total,
        start_step=start_step, interval_s=interval_s, resumed=resumed,
    )  # fmt: skip


def initial_invariants(plan: RunPlan, state: xr.Dataset) -> dict[str, float]:
    """The invariants a run measures its conservation errors against."""
    if plan.resumed:
        return {k: float(state.attrs[f"initial_{k}"]) for k in ("mass", "energy", "enstrophy")}
    h, u, v = (state[k].values.astype(np.float64) for k in ("h", "u", "v"))
    return diagnostics.invariants(plan.grid, h, u, v, plan.hs, plan.coriolis)
