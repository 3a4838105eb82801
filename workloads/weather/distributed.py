"""The shallow-water model on Dask: latitude bands, ``k`` steps per halo exchange.

Decomposition.  The grid is cut into latitude bands only.  Longitude stays whole: the
polar Fourier filter transforms whole latitude circles, and cutting longitude would turn
every filtered row into a global transpose.  Each task advances one band ``k`` steps
(:func:`workloads.weather.blocks.advance_block`) from its own rows and ``halo_rows(k)``
rows of each neighbour: one halo exchange per ``k`` steps (ghost-zone expansion), so the
graph grows per exchange, not per step.  Both leapfrog levels travel in the halo; the
polar filter is row-local and needs nothing more.  The result is bitwise identical to
:func:`workloads.weather.api.run` for any number of bands and any ``k``.

Graph size.  The run is cut at *boundaries*: output times, checkpoints, and at least every
``cut_every`` exchanges.  At a boundary the bands are gathered on the client (they are
written there anyway) and the next stretch starts from that data, embedded in its graph,
so the scheduler never holds more than one stretch of tasks.  Embedded data (never
``scatter``) keeps every task recomputable: when a worker dies, the scheduler reruns the
lost chain from the last boundary and the output is unchanged.  Tasks are pure functions
of their inputs (inputs are never modified), so a rerun gives the same bits.
"""

from __future__ import annotations

import contextlib
import sys
import uuid
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from accel.halo import halo_sources
from workloads.weather.band_tasks import advance_task, current_task, embed, rows_task
from workloads.weather.blocks import (
    BlockBlowUpError,
    block_statics,
    halo_rows,
    stack_levels,
    unstack_levels,
)
from workloads.weather.cases import DAY_S
from workloads.weather.grid import Grid
from workloads.weather.layout import (
    DEFAULT_CUT_EVERY,
    Layout,
    RunPlan,
    boundaries,
    initial_invariants,
    make_layout,
    plan_run,
    positive_int,
    segments,
)

__all__ = ["integrate", "statics_futures", "drive", "run_dask"]

# A stretch's graph carries its starting bands as data on purpose (see the module notes).
_LARGE_GRAPH = "Sending large graph"


def statics_futures(client, grid: Grid, hs: np.ndarray, coriolis: np.ndarray,
                    advect_only: bool, layout: Layout) -> list:  # fmt: skip
    """One future per band holding its :class:`BlockStatics`, wide enough for any exchange.

    Each future's value is the statics wrapped in
    :class:`~workloads.weather.band_tasks.Embedded` (the tasks unwrap it).  The statics
    are data in the graph, so a worker that dies with them loses nothing.
    """
    widest = halo_rows(layout.halo_steps + 1)
    token = uuid.uuid4().hex
    dsk = {}
    for c in range(layout.chunks):
        lo = max(0, layout.bounds[c] - widest)
        hi = min(grid.nlat, layout.bounds[c + 1] + widest)
        key = (f"weather-statics-{token}", c)
        dsk[key] = embed(key, block_statics(grid, hs, coriolis, advect_only, lo, hi))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_LARGE_GRAPH)
        return client.get(dsk, list(dsk), sync=False)


Root = np.ndarray  # (3 or 6, nlat, nlon) piece fields of one member


def _stretch_graph(roots: Sequence[Root], layout: Layout, statics: list, dt_s: float,
                   start: int, stop: int, token: str) -> tuple[dict, list, list[list], int]:  # fmt: skip
    """Graph of one stretch: every member from ``start`` to ``stop``.

    Returns the graph, the keys of its exchange tasks, per member the keys of the bands
    at ``stop``, and the number of strip tasks (which cut halo rows out of a band).
    """
    dsk: dict = {}
    bounds, nlat = layout.bounds, layout.bounds[-1]
    exchange_keys: list = []
    finals: list[list] = []
    strips = 0
    for m, root in enumerate(roots):
        cur = []
        for c in range(layout.chunks):
            key = (f"weather-band-{token}", m, start, c)
            dsk[key] = embed(key, np.ascontiguousarray(root[:, bounds[c] : bounds[c + 1]]))
            cur.append(key)
        for first, steps in segments(start, stop, layout.halo_steps):
            halo = halo_rows(steps + (1 if first == 0 else 0))
            nxt = []
            for c in range(layout.chunks):
                lo, hi = max(0, bounds[c] - halo), min(nlat, bounds[c + 1] + halo)
                parts = []
                for p in halo_sources(layout.sizes, c, halo):
                    plo, phi = max(lo, bounds[p]) - bounds[p], min(hi, bounds[p + 1]) - bounds[p]
                    if p == c or (plo == 0 and phi == bounds[p + 1] - bounds[p]):
                        parts.append(cur[p])
                        continue
                    strip = (f"weather-strip-{token}", m, first, p, plo, phi)
                    if strip not in dsk:
                        dsk[strip] = (rows_task, cur[p], plo, phi)
                        strips += 1
                    parts.append(strip)
                key = (f"weather-band-{token}", m, first + steps, c)
                dsk[key] = (advance_task, parts, lo, bounds[c], bounds[c + 1], statics[c],
                            dt_s, steps, first)  # fmt: skip
                exchange_keys.append(key)
                nxt.append(key)
            cur = nxt
        finals.append(cur)
    return dsk, exchange_keys, finals, strips


def _raise_first_failure(futures: list) -> None:
    """Re-raise the failure a one-process run would have hit first."""
    from distributed import wait

    wait(futures)
    errors = [f.exception() for f in futures if f.status == "error"]
    if not errors:
        return
    blowups = [e for e in errors if isinstance(e, BlockBlowUpError)]
    if blowups:
        raise min(blowups, key=lambda e: (e.step, e.row))
    raise errors[0]


def _direct(client) -> bool | None:
    """``direct=`` for gathering the bands: True when the client's cluster is a
    ``distributed.LocalCluster`` (its workers then run on this machine, reachable from
    here) and the client was not told ``direct_to_workers`` either way; ``None``
    otherwise, so Dask's own setting decides (through the scheduler by default).

    Straight from the workers, the bands are serialised and copied once instead of twice.
    Other cluster objects (Kubernetes, a gateway) may start workers this process cannot
    reach, and a gather would wait for the connect timeout before falling back.
    """
    from distributed import LocalCluster

    if getattr(client, "direct_to_workers", None) is not None:
        return None
    return True if isinstance(getattr(client, "cluster", None), LocalCluster) else None


def integrate(
    client,
    roots: Sequence[Root],
    *,
    statics: list,
    layout: Layout,
    dt_s: float,
    start_step: int,
    total: int,
    every: Sequence[int],
    on_boundary: Callable[[int, list[np.ndarray]], None],
    progress: bool = True,
    label: str = "",
    last_previous: bool = True,
) -> dict[str, int]:
    """Advance every member from ``start_step`` to ``total``, calling ``on_boundary`` at
    each boundary with the step and, per member, the ``(6, nlat, nlon)`` piece fields.

    ``roots`` are the members' piece fields at ``start_step`` (one level at step 0, two
    otherwise).  The next stretch is submitted before ``on_boundary`` runs, so writing
    output overlaps the computation.  With ``last_previous=False`` the last boundary
    gets only the current level, ``(3, nlat, nlon)`` (half the data to gather, when no
    checkpoint needs the previous one).  Returns the number of ``exchange_tasks`` (tasks
    that advance a band), ``strip_tasks`` (tasks that cut the halo strips a neighbour
    reads), ``level_tasks`` (tasks that cut out the current level to gather) and
    ``stretches`` (graphs submitted).
    """
    from distributed import as_completed
    from tqdm import tqdm

    stops = boundaries(start_step, total, every, layout.cut_every * layout.halo_steps)
    bar = tqdm(total=round(total * dt_s / DAY_S, 6), initial=round(start_step * dt_s / DAY_S, 6),
               unit="day", desc=label, file=sys.stderr, disable=not progress,
               mininterval=0.5)  # fmt: skip
    counts = {"exchange_tasks": 0, "strip_tasks": 0, "level_tasks": 0, "stretches": 0}
    states: Sequence[Root] = roots
    done: tuple[int, list[np.ndarray]] | None = None
    start = start_step
    try:
        for stop in stops:
            token = uuid.uuid4().hex
            dsk, keys, finals, strips = _stretch_graph(
                states, layout, statics, dt_s, start, stop, token
            )
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=_LARGE_GRAPH)
                futures = client.get(dsk, keys, sync=False)
            del dsk
            counts["exchange_tasks"] += len(keys)
            counts["strip_tasks"] += strips
            counts["stretches"] += 1
            if done is not None:
                on_boundary(*done)  # overlaps the stretch just submitted
            per_task = (stop - start) * dt_s / DAY_S / len(futures)
            by_key = dict(zip(keys, futures, strict=True))
            wanted = [[by_key[k] for k in bands] for bands in finals]
            # Hold only the final bands (and any failures): a future held here keeps its
            # band in a worker's memory, and every band of a stretch held at once was
            # 28 MB an exchange at 0.25 deg, 1.1 GB a worker over 0.3 days at k = 40,
            # allocated fresh for each task.  The scheduler keeps a released band until
            # its dependents have run.
            pending = as_completed(futures)
            del futures, by_key
            erred = []
            for f in pending:
                if f.status == "error":
                    erred.append(f)
                else:
                    bar.update(per_task)
            del pending
            if erred:
                order = {key: i for i, key in enumerate(keys)}
                _raise_first_failure(sorted(erred, key=lambda f: order[f.key]))
            if stop == total and not last_previous:
                wanted = [client.map(current_task, bands, pure=False) for bands in wanted]
                counts["level_tasks"] += sum(len(bands) for bands in wanted)
            gathered = client.gather(wanted, direct=_direct(client))
            del wanted
            states = [np.concatenate(bands, axis=1) for bands in gathered]
            done = (stop, states)
            start = stop
        if done is not None:
            on_boundary(*done)
    finally:
        bar.close()
    return counts


def drive(
    client,
    plan: RunPlan,
    roots: list[np.ndarray],
    inv0: list[dict],
    attrs: dict,
    *,
    layout: Layout,
    out=None,
    overwrite: bool = False,
    checkpoint_path=None,
    checkpoint_every: int | None = None,
    ensemble: dict | None = None,
    progress: bool = True,
) -> tuple[xr.Dataset, dict[str, int]]:
    """Run members (``roots``: their piece fields at ``plan.start_step``) to the end and
    return the output dataset with the task counts.

    Snapshots go to memory, or are streamed to the Zarr store ``out``; checkpoints are
    written to ``checkpoint_path`` every ``checkpoint_every`` steps, or at every output
    when that is ``None``.  ``ensemble`` (attributes) stacks members along ``member``.
    """
    from workloads.weather import api, io
    from workloads.weather.stream import MemorySink, ZarrSink, checkpoint_dataset, output_dataset

    grid, dt_s, total = plan.grid, plan.dt_s, plan.total
    if checkpoint_every is not None:
        checkpoint_every = positive_int("checkpoint_every", checkpoint_every, "steps")
    clock = {"step": plan.start_step}

    def build(times: list[float], snaps: list[list[dict]]) -> xr.Dataset:
        return output_dataset(grid, attrs, times, snaps, plan.hs, clock["step"], dt_s, inv0,
                              plan.interval_s, ensemble)  # fmt: skip

    if out is None:
        sink = MemorySink()
    else:
        resume = plan.start_step if plan.resumed else None
        sink = ZarrSink(out, resume_step=resume, dt_s=dt_s, overwrite=overwrite)

    def snapshot(step: int, states: list[np.ndarray]) -> None:
        clock["step"] = step
        levels = [unstack_levels(s)[-1] for s in states]
        snaps = [[api._snapshot(grid, *level)] for level in levels]
        sink.write([step * dt_s / DAY_S], snaps, build)

    if not plan.resumed:
        snapshot(0, roots)
    elif out is None and plan.start_step % plan.per_out == 0:
        snapshot(plan.start_step, roots)  # as api.run does when it resumes on an output

    def on_boundary(step: int, states: list[np.ndarray]) -> None:
        is_output = step % plan.per_out == 0 or step == total
        if is_output:
            snapshot(step, states)
        clock["step"] = step
        due = is_output if checkpoint_every is None else step % checkpoint_every == 0
        if checkpoint_path is not None and due:
            ck = checkpoint_dataset(grid, attrs, states, plan.hs, step, dt_s, inv0,
                                    plan.interval_s, ensemble)  # fmt: skip
            io.write_dataset(ck, checkpoint_path, overwrite=True)

    last_checkpoint = checkpoint_path is not None and (
        checkpoint_every is None or total % checkpoint_every == 0
    )
    every = [plan.per_out] + ([checkpoint_every] if checkpoint_every else [])
    statics = statics_futures(client, grid, plan.hs, plan.coriolis, plan.advect_only, layout)
    label = f"case {plan.case} {grid.resolution_deg:g} deg"
    counts = integrate(client, roots, statics=statics, layout=layout, dt_s=dt_s,
                       start_step=plan.start_step, total=total, every=every,
                       on_boundary=on_boundary, progress=progress, label=label,
                       last_previous=last_checkpoint)  # fmt: skip
    clock["step"] = total
    return sink.finish(build), counts


@contextlib.contextmanager
def _client_or_own(client, n_workers: int | None, progress: bool):
    if client is not None:
        yield client
        return
    from accel.cluster import get_client

    with get_client(n_workers=n_workers, quiet=not progress) as own:
        yield own


def run_dask(
    state: xr.Dataset,
    days: float,
    *,
    output_every: float | None = None,
    dt_s: float | None = None,
    chunks: int = 2,
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
    """:func:`workloads.weather.api.run` on Dask, with the same result bit for bit.

    Parameters
    ----------
    state, days, output_every, dt_s
        As :func:`workloads.weather.api.run`; a checkpoint ``state`` resumes the run.
    chunks
        Number of latitude bands (longitude is never cut; see the module notes).
    halo_steps
        Steps per halo exchange ``k`` (default: up to 20, a quarter of the narrowest band).
    client
        A ``dask.distributed.Client``; default: an embedded cluster from
        :func:`accel.cluster.get_client` with ``n_workers`` workers, closed at the end.
    out
        A ``.zarr`` path: snapshots are streamed to ``<name>.partial.zarr`` as they
        complete and renamed to ``out`` at the end; the result is then opened lazily.
        A resumed run continues the partial store.  Without it the snapshots stay in memory.
    overwrite
        Replace an existing ``out``.
    checkpoint_path, checkpoint_every
        Write a checkpoint (NetCDF, replaced atomically) every this many steps, or at
        every output when ``checkpoint_every`` is ``None``.
    cut_every
        Exchanges per band after which the graph is cut when no output comes sooner.
    progress
        Progress bar in simulated days (and the dashboard link of an embedded cluster).
    stats
        A dict that receives ``exchange_tasks``, ``strip_tasks``, ``level_tasks``,
        ``stretches``, ``chunks`` and ``halo_steps``.

    Returns
    -------
    xarray.Dataset
        As :func:`workloads.weather.api.run`; from ``out`` it also records
        ``last_completed_step``.

    Examples
    --------
    >>> from workloads.weather.api import initial_state, run
    >>> from accel.cluster import get_client
    >>> state = initial_state(6, 10.0)
    >>> with get_client(n_workers=2, dashboard=False, quiet=True) as client:
    ...     out = run_dask(state, 0.5, chunks=3, halo_steps=4, client=client, progress=False)
    >>> out.equals(run(state, 0.5, progress=False))
    True
    """
    plan = plan_run(state, days, output_every, dt_s)
    layout = make_layout(plan.grid.nlat, chunks, halo_steps, cut_every)
    if plan.resumed:
        root = stack_levels(
            tuple(state[k].values.astype(np.float64) for k in ("h_prev", "u_prev", "v_prev")),
            tuple(state[k].values.astype(np.float64) for k in ("h", "u", "v")),
        )
    else:
        root = stack_levels(None, tuple(state[k].values.astype(np.float64) for k in "huv"))
    inv0 = [initial_invariants(plan, state)]
    attrs = dict(state.attrs)
    with _client_or_own(client, n_workers, progress) as c:
        result, counts = drive(
            c, plan, [root], inv0, attrs, layout=layout, out=out, overwrite=overwrite,
            checkpoint_path=checkpoint_path, checkpoint_every=checkpoint_every, progress=progress,
        )  # fmt: skip
    if stats is not None:
        stats.update(counts, chunks=layout.chunks, halo_steps=layout.halo_steps)
    return result
