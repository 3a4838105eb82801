"""Survey-scale cross-match on Dask: declination tiles with margins, out of core.

The plan, in three task layers:

1. **split** — one task per input partition reads it (lazily, from Parquet, a
   generator or a slice of a table), moves it to the target epoch, and writes its
   rows into per-tile files of a scratch directory.  Tiles are equal-area
   declination bands.  A left row goes to the one tile that holds it; a right row
   also goes to every neighbouring tile within ``margin`` of it, so a pair is
   always found in its left row's tile, and only there.
2. **match** — one task per tile loads its rows and runs the single-process Numba
   matcher on them.  A worker holds one tile plus its margin, never the catalog.
3. **gather** — tile results (already sorted by global (left, right) row) are
   concatenated; one-to-one matching, which needs a global view, runs here on the
   candidate pairs.

When both sides are the two halves of one ``synthetic:N`` pair, generated in
declination strips (:class:`~workloads.skymatch.sources.StripSource`), layers 1
and 2 merge: a tile is a run of whole strips, and its match task generates them,
plus the right rows of neighbouring strips that fall in its margin.  Nothing is
split or written to scratch, and a pair is still found once, in its left row's
tile: the output equals the single-process matcher's on the whole pair
(:func:`accel_datasets.sky_strips.make_strip_pair`).  The tasks themselves are in
:mod:`workloads.skymatch.tasks`.

Tiles are cut *after* epoch propagation, so the margin only needs to cover the
radius.  Every task writes under deterministic names (temp file + rename), so a
task that Dask re-runs after a worker died rewrites the same bytes.  The output
never depends on the number of workers, tiles, partitions or completion order.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from workloads.skymatch.api import ARCSEC_PER_RAD, parse_radius
from workloads.skymatch.best import best_pairs, best_per_row
from workloads.skymatch.sources import Source, as_source
from workloads.skymatch.tasks import match_strip_tile, match_tile, split
from workloads.skymatch.tiles import pairs_table, tile_edges

__all__ = ["crossmatch_dask", "tile_edges"]

DASK_MODES = ("all", "nearest", "best", "best-left", "best-right")


def _split_plan(lsrc: Source, rsrc: Source) -> list[tuple[list[Source], int]]:
    """Which partitions each split task reads: both sides together when they are
    halves of the same synthetic pair, one partition per task otherwise."""
    from workloads.skymatch.sources import SyntheticSource

    paired = (
        isinstance(lsrc, SyntheticSource)
        and isinstance(rsrc, SyntheticSource)
        and (lsrc.seed, lsrc.sizes) == (rsrc.seed, rsrc.sizes)
    )
    if paired:
        return [([lsrc, rsrc], k) for k in range(lsrc.n_partitions)]
    return [([src], k) for src in (lsrc, rsrc) for k in range(src.n_partitions)]


def _finish(results: list[dict], mode: str, n_left: int, n_right: int):
    left = np.concatenate([r["left"] for r in results]) if results else np.empty(0, np.int64)
    right = np.concatenate([r["right"] for r in results]) if results else np.empty(0, np.int64)
    sep = np.concatenate([r["sep"] for r in results]) if results else np.empty(0)
    # A left row's pairs all come from its one tile, already sorted by right row, so
    # a stable sort by left alone gives (left, right) order; timsort merges the
    # tiles' sorted runs in a fraction of a lexsort's time.
    order = np.argsort(left, kind="stable")
    left, right, sep = left[order], right[order], sep[order]
    if mode == "best":
        keep = best_pairs(left, right, sep, n_left, n_right)
    elif mode == "best-right":
        keep = best_per_row(right, left, sep)
    else:
        return left, right, sep
    return left[keep], right[keep], sep[keep]


def _progress(futures, desc: str):
    from dask.distributed import as_completed
    from tqdm import tqdm

    bar = tqdm(total=len(futures), desc=desc, unit="task", file=sys.stderr, disable=None)
    for _ in as_completed(futures):
        bar.update(1)
    bar.close()


def crossmatch_dask(
    left,
    right,
    radius,
    *,
    mode: str = "all",
    epoch: float | None = None,
    n_tiles: int | None = None,
    margin=None,
    rows_per_partition: int | None = None,
    client=None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    out: str | os.PathLike | None = None,
    overwrite: bool = False,
    scratch_dir: str | os.PathLike | None = None,
    columns: tuple[str, str] = ("ra", "dec"),
    seed: int = 0,
    progress: bool = True,
    stats: dict | None = None,
):
    """Cross-match two catalogs partition by partition on a Dask cluster.

    Parameters
    ----------
    left, right
        Tables (astropy, pandas, SkyCoord, arrays), Parquet files or directories
        (read lazily, row groups as partitions), ``synthetic:N`` names (a pair
        generated in declination strips, :mod:`accel_datasets.sky_strips`; given as
        both ``left`` and ``right``, each match task generates its own tile and no
        split phase runs) or :class:`~workloads.skymatch.sources.Source` objects.
    radius
        Match radius (``Quantity``, ``"1arcsec"`` or arcsec); required.
    mode
        ``"all"``, ``"nearest"`` (within ``radius``), ``"best"``, ``"best-left"``,
        ``"best-right"``, as in :func:`~workloads.skymatch.api.crossmatch`.
    epoch
        Propagate each catalog with an epoch and proper motions to this epoch first.
    n_tiles
        Equal-area declination bands (default: about one per 4 million rows, at
        least two per worker, rounded up to a multiple of the workers).  With ``synthetic:N`` on both sides a tile is a run
        of whole strips, so there are at most as many tiles as strips.
    margin
        Width of the right catalog's overlap with each neighbouring tile (default:
        the radius).  A radius larger than the margin is refused.
    client, scheduler, n_workers
        A ``dask.distributed.Client``; else a scheduler address (or
        ``ACCEL_SCHEDULER``); else an embedded ``LocalCluster`` on 127.0.0.1.
    out
        A directory to write ``part-NNNNN.parquet`` files into (atomically: the
        directory appears complete or not at all); without it a Table is returned.
    scratch_dir
        Where tile files go (default: the system temp dir).  On a multi-machine
        cluster it must be a filesystem every worker shares.
    stats
        A dict to fill with what the run did: ``timings`` of its phases (wall
        seconds), ``task_seconds`` (generate / read / match / write, summed over
        the match tasks), ``path`` (``"strips"`` or ``"split"``), rows per tile.

    Returns
    -------
    astropy.table.Table or pathlib.Path
        ``left_index``, ``right_index``, ``separation_arcsec`` sorted by (left, right)
        — identical to the single-process matcher — or the output directory.

    Examples
    --------
    >>> t = crossmatch_dask("synthetic:2000", "synthetic:2000", "1arcsec", n_workers=1,
    ...                     progress=False)  # doctest: +SKIP
    """

    from accel.atomic import atomic_output, check_writable
    from accel.cluster import get_client

    if mode not in DASK_MODES:
        raise ValueError(f"unrecognized mode {mode!r}; must be one of {list(DASK_MODES)}")
    if radius is None:
        raise ValueError("radius is required for the Dask matcher (it sizes the tile margins)")
    radius_arcsec = parse_radius(radius)
    margin_arcsec = radius_arcsec if margin is None else parse_radius(margin, "margin")
    if radius_arcsec > margin_arcsec:
        raise ValueError(
            f"radius ({radius_arcsec:g} arcsec) is larger than the tile margin ({margin_arcsec:g} "
            "arcsec): pairs across tile borders would be lost; widen margin"
        )
    if out is not None:
        check_writable(out, overwrite=overwrite, what="output directory")
    kw = {"columns": columns, "seed": seed}
    if rows_per_partition:
        kw["rows_per_partition"] = rows_per_partition
    lsrc = as_source(left, "left", **kw)
    rsrc = as_source(right, "right", **kw)
    for src in (lsrc, rsrc):
        if epoch is not None and src.epoch is not None and src.epoch != epoch:
            probe = src.load(0)
            if probe.pmra_masyr is None:
                raise ValueError(f"{src.name} catalog is at epoch J{src.epoch:g} but has no "
                                 f"proper-motion columns to propagate it to J{epoch:g}")  # fmt: skip
    n_left, n_right = int(sum(lsrc.sizes)), int(sum(rsrc.sizes))
    if n_left == 0 or n_right == 0:
        raise ValueError(f"{'left' if n_left == 0 else 'right'} catalog is empty")
    edges = tile_edges(int(n_tiles or _default_tiles(n_left + n_right, n_workers, client)))
    margin_rad = margin_arcsec / ARCSEC_PER_RAD * (1 + 1e-9) + 1e-12
    radius_rad = radius_arcsec / ARCSEC_PER_RAD

    scratch = Path(tempfile.mkdtemp(prefix="accel-skymatch-", dir=scratch_dir))
    # Tiles write their own parts when no global step follows; otherwise the client does.
    direct = out is not None and mode in ("all", "nearest", "best-left")
    timings: dict[str, float] = {}
    try:
        with contextlib.ExitStack() as stack:
            tmp_out = None
            if out is not None:
                tmp_out = stack.enter_context(
                    atomic_output(out, overwrite=overwrite, what="output directory")
                )
                tmp_out.mkdir()
            c = (
                stack.enter_context(get_client(scheduler, n_workers, quiet=not progress))
                if client is None
                else client
            )
            if _strips_paired(lsrc, rsrc):
                # Synthetic strips: each match task generates its own tile and margin,
                # so there is no split phase and no tile files.
                timings["split_s"] = 0.0
                t0 = time.perf_counter()
                bounds = lsrc.tile_strips(min(len(edges) - 1, lsrc.n_strips))
                tiles = [
                    c.submit(
                        match_strip_tile,
                        lsrc,
                        int(bounds[t]),
                        int(bounds[t + 1]),
                        t,
                        mode,
                        radius_rad,
                        margin_rad,
                        str(tmp_out) if direct else None,
                        pure=False,
                        key=f"strips-{t}-{scratch.name}",
                    )  # fmt: skip
                    for t in range(bounds.size - 1)
                ]
            else:
                t0 = time.perf_counter()
                splits = [
                    c.submit(
                        split,
                        srcs,
                        k,
                        epoch,
                        edges,
                        margin_rad,
                        str(scratch),
                        pure=False,
                        key=f"split-{'-'.join(x.name for x in srcs)}-{k}-{scratch.name}",
                    )  # fmt: skip
                    for srcs, k in _split_plan(lsrc, rsrc)
                ]
                if progress:
                    _progress(splits, "split")
                c.gather(splits)  # raises the first task error here, with its message
                timings["split_s"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                tiles = [
                    c.submit(
                        match_tile,
                        str(scratch),
                        t,
                        mode,
                        radius_rad,
                        str(tmp_out) if direct else None,
                        pure=False,
                        key=f"match-{t}-{scratch.name}",
                    )  # fmt: skip
                    for t in range(edges.size - 1)
                ]
            if progress:
                _progress(tiles, "match")
            results = c.gather(tiles)
            timings["match_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            task_s: dict[str, float] = {}
            for r in results:
                for k, v in r["seconds"].items():
                    task_s[k] = task_s.get(k, 0.0) + v
            meta = {"mode": mode, "radius_arcsec": radius_arcsec, "epoch": epoch,
                    "n_tiles": len(results), "tile_rows": [r["rows"] for r in results],
                    "tile_peak_bytes": [r.get("peak_bytes") for r in results],
                    "path": "strips" if _strips_paired(lsrc, rsrc) else "split",
                    "task_seconds": task_s}  # fmt: skip
            if direct:
                timings["gather_s"] = time.perf_counter() - t0
                _report(timings, task_s, progress)
                if stats is not None:
                    stats.update({**meta, "timings": timings})
                return Path(out)
            table = pairs_table(*_finish(results, mode, n_left, n_right))
            table.meta.update({**meta, "timings": timings})
            if tmp_out is not None:
                table.write(tmp_out / "part-00000.parquet", format="parquet")
            timings["gather_s"] = time.perf_counter() - t0
            _report(timings, task_s, progress)
            if stats is not None:
                stats.update({**meta, "timings": timings})
        return table if out is None else Path(out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _default_tiles(n_rows: int, n_workers: int | None, client) -> int:
    """About one tile per 4 million rows, at least two per worker, a multiple of the
    workers so they finish together."""
    workers = n_workers or (len(client.scheduler_info()["workers"]) if client is not None else 0)
    workers = workers or os.cpu_count() or 1
    tiles = max(2 * workers, math.ceil(n_rows / 4e6))
    return -(-tiles // workers) * workers


def _report(timings: dict, task_s: dict, progress: bool) -> None:
    if progress:
        phases = ", ".join(f"{k[:-2]} {v:.2f} s" for k, v in timings.items())
        inside = ", ".join(f"{k} {v:.2f} s" for k, v in task_s.items())
        print(f"phases: {phases} (summed over match tasks: {inside})", file=sys.stderr)


def _strips_paired(lsrc: Source, rsrc: Source) -> bool:
    """Both sides are halves of one strip-generated pair: tiles are built directly."""
    from workloads.skymatch.sources import StripSource

    return (
        isinstance(lsrc, StripSource)
        and isinstance(rsrc, StripSource)
        and lsrc.pair_key == rsrc.pair_key
        and lsrc.epoch is None
        and rsrc.epoch is None
    )
