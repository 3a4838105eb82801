"""Where the distributed runs put their results: snapshots in memory or streamed to Zarr,
and checkpoints (two leapfrog levels) of single runs and ensembles.

Streaming.  A long run appends each snapshot along ``time`` to ``<name>.partial.zarr``
beside the requested output as soon as it is complete, then records
``last_completed_step`` in the store's attributes; when the run ends, the store is renamed
into place (``os.replace``), so the requested path only ever holds a finished output.  A
resumed run trims the partial store back to the checkpoint it restarts from (any later
snapshot, or a half-written one, is dropped) and appends from there: the model is
deterministic, so the recomputed snapshots are the same bits.

The datasets match :func:`workloads.weather.api.run`: a single run's output or checkpoint
is the same dataset ``run`` gives (``run`` can resume from it); an ensemble adds a leading
``member`` dimension and keeps each member's initial invariants as ``initial_*``
variables over ``member``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import xarray as xr

from workloads.weather import api, io
from workloads.weather.cases import DAY_S
from workloads.weather.grid import Grid

__all__ = [
    "partial_path",
    "output_dataset",
    "checkpoint_dataset",
    "read_ensemble_checkpoint",
    "MemorySink",
    "ZarrSink",
]

_INVARIANTS = ("mass", "energy", "enstrophy")
_FIELDS = ("h", "u", "v", "zeta")


def partial_path(path: str | os.PathLike) -> Path:
    """The store a run streams into before it is renamed to ``path``.

    Examples
    --------
    >>> partial_path("runs/tc5.zarr").name
    'tc5.partial.zarr'
    """
    p = Path(path)
    return p.with_name(p.stem + ".partial.zarr")


def _clock(step: int, dt_s: float) -> SimpleNamespace:
    """What :mod:`api`'s dataset builders read from a stepper."""
    return SimpleNamespace(dt_s=dt_s, step_count=step, time_s=step * dt_s)


def _stack_members(parts: list[xr.Dataset], names: tuple[str, ...], ensemble: dict) -> xr.Dataset:
    ds = xr.concat(parts, dim="member", data_vars=list(names), coords="minimal",
                   compat="equals", combine_attrs="drop_conflicts")  # fmt: skip
    for k in _INVARIANTS:
        values = [float(p.attrs[f"initial_{k}"]) for p in parts]
        ds[f"initial_{k}"] = ("member", np.array(values), {"long_name": f"initial global {k}"})
        ds.attrs.pop(f"initial_{k}", None)
    ds = ds.assign_coords(member=("member", np.arange(len(parts)), {"long_name": "member"}))
    ds.attrs.update(ensemble)
    return ds


def output_dataset(
    grid: Grid, attrs: dict, times: list[float], snaps: list[list[dict]], hs: np.ndarray,
    step: int, dt_s: float, inv0: list[dict], interval_s: float, ensemble: dict | None,
) -> xr.Dataset:  # fmt: skip
    """Snapshots as :func:`api.run` returns them; ``snaps[m]`` are member ``m``'s.

    With ``ensemble`` (attributes describing the members) the members are stacked along
    a leading ``member`` dimension; without it there must be exactly one member.
    """
    parts = [
        api._output(grid, attrs, times, snaps[m], hs, _clock(step, dt_s), inv0[m], interval_s)
        for m in range(len(snaps))
    ]
    return parts[0] if ensemble is None else _stack_members(parts, _FIELDS, ensemble)


def checkpoint_dataset(
    grid: Grid, attrs: dict, states: list[np.ndarray], hs: np.ndarray, step: int,
    dt_s: float, inv0: list[dict], interval_s: float, ensemble: dict | None,
) -> xr.Dataset:  # fmt: skip
    """Two leapfrog levels per member in :func:`api.run`'s checkpoint layout.

    ``states[m]`` is member ``m``'s ``(6, nlat, nlon)`` piece fields.
    """
    from workloads.weather.blocks import unstack_levels

    parts = []
    for m, stacked in enumerate(states):
        prev, cur = unstack_levels(stacked)
        stepper = SimpleNamespace(current=cur, previous=prev, hs=hs, **vars(_clock(step, dt_s)))
        parts.append(api._state_dataset(grid, attrs, stepper, inv0[m], interval_s))
    if ensemble is None:
        return parts[0]
    names = ("h", "u", "v", "h_prev", "u_prev", "v_prev")
    return _stack_members(parts, names, ensemble)


def read_ensemble_checkpoint(path: str | os.PathLike) -> xr.Dataset:
    """Load an ensemble checkpoint and validate it (as :func:`io.read_checkpoint` does,
    plus the ``member`` dimension and the per-member invariants)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    with xr.open_dataset(path) as ds:
        ds = ds.load()
    if "member" not in ds.dims:
        raise ValueError(f"checkpoint {str(path)!r} must have a member dimension; it has none")
    missing = [f"initial_{k}" for k in _INVARIANTS if f"initial_{k}" not in ds]
    missing += [k for k in ("perturb", "seed", "members") if k not in ds.attrs]
    if missing:
        raise ValueError(f"checkpoint {str(path)!r} must hold {missing}; they are missing")
    for k in ("h", "u", "v", "h_prev", "u_prev", "v_prev", "hs"):
        if k not in ds or ds[k].dtype != np.float64 or not np.all(np.isfinite(ds[k].values)):
            raise ValueError(f"checkpoint variable {k!r} must be present, finite and float64")
    if int(ds.attrs["members"]) != ds.sizes["member"]:
        raise ValueError(
            f"checkpoint members attribute must equal the member dimension "
            f"({ds.sizes['member']}); got {ds.attrs['members']}"
        )
    if int(ds.attrs.get("step", 0)) < 1 or float(ds.attrs.get("dt_s", 0)) <= 0:
        raise ValueError(f"checkpoint step must be >= 1 and dt_s > 0; got {dict(ds.attrs)}")
    return ds


class MemorySink:
    """Keeps the snapshots and builds the dataset at the end (as :func:`api.run`)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.snaps: list[list[dict]] = []

    def write(self, times: list[float], snaps: list[list[dict]], build) -> None:
        self.times += times
        if not self.snaps:
            self.snaps = [[] for _ in snaps]
        for m, s in enumerate(snaps):
            self.snaps[m] += s

    def finish(self, build) -> xr.Dataset:
        return build(self.times, self.snaps)


class ZarrSink:
    """Streams snapshots to ``partial_path(path)`` and renames it to ``path`` at the end.

    Parameters
    ----------
    path
        The final ``.zarr`` output.
    resume_step
        Step of the checkpoint a resumed run starts from (``None`` for a fresh run): the
        partial store must exist and is trimmed back to that step.
    dt_s
        Time step, to turn the store's times back into steps.
    overwrite
        Replace an existing output (and a stale partial store of a fresh run).
    """

    def __init__(self, path: str | os.PathLike, *, resume_step: int | None, dt_s: float,
                 overwrite: bool = False) -> None:  # fmt: skip
        self.path = Path(path)
        if io.output_format(self.path) != "zarr":
            raise ValueError(f"path must end in .zarr to stream outputs; got {str(path)!r}")
        self.partial = partial_path(self.path)
        self.dt_s = dt_s
        if self.path.exists() and not overwrite:
            raise FileExistsError(
                f"output {str(self.path)!r} already exists; pass overwrite=True (--overwrite) "
                "to replace it"
            )
        if resume_step is None:
            if self.partial.exists():
                if not overwrite:
                    raise FileExistsError(
                        f"partial output {str(self.partial)!r} of an unfinished run exists; "
                        "resume it (--resume) or pass overwrite=True (--overwrite)"
                    )
                shutil.rmtree(self.partial)
            self.started = False
        else:
            if not self.partial.is_dir():
                raise FileNotFoundError(
                    f"partial output {str(self.partial)!r} must exist to resume; it does not"
                )
            self._trim(resume_step)
            self.started = True

    def _trim(self, step: int) -> None:
        import zarr

        group = zarr.open_group(self.partial, mode="r+")
        last = group.attrs.get("last_completed_step")
        if not isinstance(last, int) or "time" not in group:
            raise ValueError(
                f"partial output {str(self.partial)!r} must record last_completed_step and "
                "a time axis; it does not (not written by this model?)"
            )
        times = np.asarray(group["time"][:], dtype=np.float64)
        steps = np.round(times * DAY_S / self.dt_s)
        keep = 0
        while keep < len(steps) and np.isfinite(times[keep]) and steps[keep] <= min(last, step):
            keep += 1
        if keep == 0:
            raise ValueError(
                f"partial output {str(self.partial)!r} holds no snapshot at or before the "
                f"checkpoint step {step}; start the run again"
            )
        for _, arr in group.arrays():
            dims = tuple(arr.metadata.dimension_names or ())
            if "time" in dims:
                axis = dims.index("time")
                arr.resize(arr.shape[:axis] + (keep,) + arr.shape[axis + 1 :])
        group.attrs["last_completed_step"] = int(steps[keep - 1])

    def write(self, times: list[float], snaps: list[list[dict]], build) -> None:
        """Append one or more snapshots (``build(times, snaps)`` makes their dataset)."""
        import zarr

        ds = build(times, snaps)
        if not self.started:
            ds.to_zarr(self.partial, mode="w-", consolidated=False)
            self.started = True
        else:
            timeless = [k for k in ds.data_vars if "time" not in ds[k].dims]
            ds.drop_vars(timeless).to_zarr(self.partial, append_dim="time", consolidated=False)
        # Written last: a snapshot counts once its data is all in the store.
        group = zarr.open_group(self.partial, mode="r+")
        step = int(round(times[-1] * DAY_S / self.dt_s))
        group.attrs.update(
            {"last_completed_step": step, "steps": int(ds.attrs["steps"]),
             "time_s": float(ds.attrs["time_s"])}
        )  # fmt: skip

    def finish(self, build) -> xr.Dataset:
        """Rename the partial store into place and open it."""
        if self.path.exists():
            old = self.path.with_name(f".{self.path.name}.old-{uuid.uuid4().hex[:12]}")
            os.replace(self.path, old)
            os.replace(self.partial, self.path)
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        else:
            os.replace(self.partial, self.path)
        return xr.open_zarr(self.path, consolidated=False)
