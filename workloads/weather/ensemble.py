"""Ensembles of perturbed shallow-water runs on Dask.

Member ``m`` starts from the initial state with its height perturbed by
:data:`PERTURBATION`, drawn from ``numpy.random.default_rng(SeedSequence(seed,
spawn_key=(m,)))``: each member's noise depends on the seed and its own number only, so
any subset of members, in any order, on any number of workers, reproduces the same
members.  All members share one time step, the largest that is stable for the deepest
fluid any member can have, ``(1 + perturb)`` times the unperturbed depth.

The members run as independent chains of tasks (each optionally cut into latitude bands,
see :mod:`workloads.weather.distributed`), so Dask spreads them over the workers.  The
output stacks them along a leading ``member`` dimension, and member ``m`` is bitwise what
``run(perturbed_state(state, m, perturb, seed), days, dt_s=<the ensemble's dt_s>)``
returns (:func:`member_dataset` shows it in that layout).
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from workloads.weather import diagnostics
from workloads.weather.blocks import stack_levels
from workloads.weather.distributed import _client_or_own, drive
from workloads.weather.layout import DEFAULT_CUT_EVERY, make_layout, plan_run, positive_int

__all__ = ["PERTURBATION", "perturbation", "perturbed_state", "run_ensemble", "member_dataset"]

PERTURBATION = (
    "h = h0 + perturb * (h0 - hs) * U(-1, 1), independently per cell, U from "
    "numpy.random.default_rng(numpy.random.SeedSequence(seed, spawn_key=(member,))).uniform"
)
_ENSEMBLE_ATTRS = ("members", "perturb", "seed", "perturbation")


def _check_perturb(perturb: object) -> float:
    if isinstance(perturb, bool) or not isinstance(perturb, int | float | np.floating):
        raise TypeError(
            f"perturb must be a relative amplitude (a float); got {type(perturb).__name__}"
        )
    if not math.isfinite(perturb) or not 0.0 <= perturb < 1.0:
        raise ValueError(f"perturb must be a relative amplitude in [0, 1); got {perturb}")
    return float(perturb)


def _check_seed(seed: object) -> int:
    if seed is None:  # fresh, but small enough for NetCDF/Zarr integer attributes
        return int(np.random.SeedSequence().entropy) % 2**63
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be a non-negative integer; got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed}")
    return int(seed)


def perturbation(shape: tuple[int, int], member: int, seed: int) -> np.ndarray:
    """Member ``member``'s noise, uniform in [-1, 1).

    Examples
    --------
    >>> a = perturbation((2, 3), 4, seed=7)
    >>> bool(np.array_equal(a, perturbation((2, 3), 4, seed=7))), a.shape
    (True, (2, 3))
    >>> bool(np.array_equal(a, perturbation((2, 3), 5, seed=7)))
    False
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(member,)))
    return rng.uniform(-1.0, 1.0, size=shape)


def perturbed_state(state: xr.Dataset, member: int, perturb: float, seed: int) -> xr.Dataset:
    """The initial state of one member (see :data:`PERTURBATION`); ``state`` is not modified.

    Examples
    --------
    >>> from workloads.weather.api import initial_state
    >>> s = initial_state(5, 10.0)
    >>> p = perturbed_state(s, 3, 1e-3, seed=1)
    >>> d = (p.h - s.h) / (s.h - s.hs)
    >>> bool(0 < abs(d).max() <= 1e-3), p.attrs["member"]
    (True, 3)
    """
    perturb = _check_perturb(perturb)
    seed = _check_seed(seed)
    if isinstance(member, bool) or not isinstance(member, int | np.integer) or member < 0:
        raise ValueError(f"member must be a non-negative integer; got {member!r}")
    h0, hs = state.h.values, state.hs.values
    out = state.copy(deep=True)
    out["h"].values = h0 + perturb * (h0 - hs) * perturbation(h0.shape, int(member), seed)
    out.attrs.update(member=int(member), perturb=perturb, seed=seed, perturbation=PERTURBATION)
    return out


def member_dataset(ensemble: xr.Dataset, member: int) -> xr.Dataset:
    """One member of an ensemble output in :func:`workloads.weather.api.run`'s layout.

    The member's initial invariants go back into the attributes; the ensemble's
    attributes and the bookkeeping of a streamed store are dropped.
    """
    ds = ensemble.isel(member=member).drop_vars("member")
    inv = {f"initial_{k}": float(ds[f"initial_{k}"]) for k in ("mass", "energy", "enstrophy")}
    ds = ds.drop_vars(list(inv))
    drop = (*_ENSEMBLE_ATTRS, "last_completed_step")
    ds.attrs = {k: v for k, v in ds.attrs.items() if k not in drop} | inv
    return ds


def run_ensemble(
    state: xr.Dataset,
    days: float,
    *,
    members: int | None = None,
    perturb: float | None = None,
    seed: int | None = None,
    output_every: float | None = None,
    dt_s: float | None = None,
    chunks: int = 1,
    halo_steps: int | None = None,
    client=None,
    n_workers: int | None = None,
    out=None,
    overwrite: bool = False,
    checkpoint_path=None,
    checkpoint_every: int | None = None,
    cut_every: int = DEFAULT_CUT_EVERY,
    progress: bool = True,
    stats: dict | None = None,
) -> xr.Dataset:
    """Run ``members`` perturbed copies of ``state`` across the workers of a cluster.

    Parameters
    ----------
    state
        An initial state (:func:`workloads.weather.api.initial_state`), or an ensemble
        checkpoint (:func:`workloads.weather.stream.read_ensemble_checkpoint`), which
        resumes the ensemble with its own members, perturbation and seed.
    members, perturb, seed
        Number of members, relative amplitude of the height perturbation (0 <= perturb
        < 1) and the seed (default: fresh entropy, recorded in the output).
    chunks, halo_steps
        Latitude bands per member and steps per halo exchange
        (:func:`workloads.weather.distributed.run_dask`).
    days, output_every, dt_s, client, n_workers, out, overwrite, checkpoint_path,
    checkpoint_every, cut_every, progress, stats
        As :func:`workloads.weather.distributed.run_dask`.

    Returns
    -------
    xarray.Dataset
        ``h``, ``u``, ``v``, ``zeta`` over ``(member, time, ...)``, ``initial_mass`` etc.
        over ``member``; attrs record ``members``, ``perturb``, ``seed`` and
        ``perturbation`` besides those of a single run.

    Examples
    --------
    >>> from workloads.weather.api import initial_state, run
    >>> from accel.cluster import get_client
    >>> s = initial_state(5, 10.0)
    >>> with get_client(n_workers=2, dashboard=False, quiet=True) as client:
    ...     ens = run_ensemble(s, 0.5, members=3, perturb=1e-3, seed=42, client=client,
    ...                        progress=False)
    >>> one = run(perturbed_state(s, 2, 1e-3, 42), 0.5, dt_s=ens.attrs["dt_s"], progress=False)
    >>> member_dataset(ens, 2).identical(one)
    True
    """
    resumed = "member" in state.dims
    if resumed:
        if members is not None or perturb is not None or seed is not None:
            raise ValueError(
                "members, perturb and seed must be None when resuming an ensemble checkpoint "
                f"(it records its own); got {members}, {perturb}, {seed}"
            )
        members, perturb, seed = (state.attrs[k] for k in ("members", "perturb", "seed"))
    if members is None or perturb is None:
        raise ValueError(f"members and perturb must be given; got {members}, {perturb}")
    members = positive_int("members", members, "members")
    perturb = _check_perturb(perturb)
    seed = _check_seed(seed)
    ensemble = {"members": members, "perturb": perturb, "seed": seed, "perturbation": PERTURBATION}
    base = state.isel(member=0) if resumed else state
    plan = plan_run(base, days, output_every, dt_s, depth_scale=1.0 + perturb)
    layout = make_layout(plan.grid.nlat, chunks, halo_steps, cut_every)
    roots, inv0 = [], []
    for m in range(members):
        if resumed:
            s = state.isel(member=m)
            prev = tuple(s[k].values.astype(np.float64) for k in ("h_prev", "u_prev", "v_prev"))
            roots.append(stack_levels(prev, tuple(s[k].values.astype(np.float64) for k in "huv")))
            inv0.append({k: float(s[f"initial_{k}"]) for k in ("mass", "energy", "enstrophy")})
        else:
            s = perturbed_state(state, m, perturb, seed)
            h, u, v = (s[k].values.astype(np.float64) for k in "huv")
            roots.append(stack_levels(None, (h, u, v)))
            inv0.append(diagnostics.invariants(plan.grid, h, u, v, plan.hs, plan.coriolis))
    attrs = {k: v for k, v in state.attrs.items() if k not in _ENSEMBLE_ATTRS}
    with _client_or_own(client, n_workers, progress) as c:
        result, counts = drive(
            c, plan, roots, inv0, attrs, layout=layout, out=out, overwrite=overwrite,
            checkpoint_path=checkpoint_path, checkpoint_every=checkpoint_every,
            ensemble=ensemble, progress=progress,
        )  # fmt: skip
    if stats is not None:
        stats.update(counts, chunks=layout.chunks, halo_steps=layout.halo_steps)
    return result
