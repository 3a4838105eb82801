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
from workloads.skymatch.tiles import (
    ROW,
    by_tile,
    load_tile,
    pairs_table,
    save_rows,
    tile_edges,
    tile_of,
    write_part,
)

__all__ = ["crossmatch_dask", "tile_edges"]

DASK_MODES = ("all", "nearest", "best", "best-left", "best-right")


def _split(sources: list[Source], k: int, target_epoch, edges, margin_rad, scratch: str) -> int:
    """Task: read partition ``k`` of each source and write its rows into tile files.

    Sources split in one task share work (a synthetic pair is generated once).
    """
    from workloads.skymatch.api import _radians
    from workloads.skymatch.epoch import propagate

    n_rows = 0
    for source in sources:
        part = source.load(k)
        ra, dec = _radians(part.ra_deg, part.dec_deg)
        if target_epoch is not None and source.epoch is not None and source.epoch != target_epoch:
            ra, dec = propagate(
                ra, dec, part.pmra_masyr, part.pmdec_masyr, target_epoch - source.epoch
            )
        rows = np.empty(ra.size, dtype=ROW)
        rows["ra"], rows["dec"], rows["index"] = ra, dec, part.index
        lo = tile_of(dec if source.name == "left" else dec - margin_rad, edges)
        hi = lo if source.name == "left" else tile_of(dec + margin_rad, edges)
        for t, piece in by_tile(rows, lo, hi):
            save_rows(Path(scratch) / f"tile-{t:05d}" / f"{source.name}-{k:06d}.npy", piece)
        n_rows += int(ra.size)
    return n_rows


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


def _match_tile(
    scratch: str, t: int, mode: str, radius_rad: float, out_dir: str | None = None
) -> dict:
    """Task: match tile ``t``: global (left, right, sep_arcsec) sorted by (left, right).

    With ``out_dir`` the pairs are written there as ``part-<t>.parquet`` (temp +
    rename) and only their count comes back.
    """
    import tracemalloc

    from accel.neighbours import nearest, pairs_within

    if tracemalloc.is_tracing():  # the tests switch tracing on to check the memory bound
        tracemalloc.reset_peak()
    left = load_tile(scratch, t, "left")
    right = load_tile(scratch, t, "right")
    empty = {"left": np.empty(0, np.int64), "right": np.empty(0, np.int64), "sep": np.empty(0)}
    if left.size == 0 or right.size == 0:
        if out_dir is not None:
            write_part(Path(out_dir) / f"part-{t:05d}.parquet", *empty.values())
            return {"rows": int(left.size + right.size), "pairs": 0}
        return {**empty, "rows": int(left.size + right.size)}
    # Files of increasing partition number hold increasing global rows, so local
    # order is global order and the kernels' sorted output stays sorted.
    if mode == "nearest":
        j, sep = nearest(left["ra"], left["dec"], right["ra"], right["dec"], 1, radius_rad)
        i = np.flatnonzero(j[:, 0] >= 0)
        j, sep = j[i, 0], sep[i, 0]
    else:
        i, j, sep = pairs_within(left["ra"], left["dec"], right["ra"], right["dec"], radius_rad)
        if mode == "best-left":  # all of a left row's pairs live in its own tile
            keep = best_per_row(i, j, sep)
            i, j, sep = i[keep], j[keep], sep[keep]
    out = {"left": left["index"][i], "right": right["index"][j], "sep": sep * ARCSEC_PER_RAD,
           "rows": int(left.size + right.size)}  # fmt: skip
    if tracemalloc.is_tracing():
        out["peak_bytes"] = tracemalloc.get_traced_memory()[1]
    if out_dir is not None:
        write_part(Path(out_dir) / f"part-{t:05d}.parquet", out["left"], out["right"], out["sep"])
        out["pairs"] = int(out["left"].size)
        del out["left"], out["right"], out["sep"]
    return out


def _finish(results: list[dict], mode: str, n_left: int, n_right: int):
    left = np.concatenate([r["left"] for r in results]) if results else np.empty(0, np.int64)
    right = np.concatenate([r["right"] for r in results]) if results else np.empty(0, np.int64)
    sep = np.concatenate([r["sep"] for r in results]) if results else np.empty(0)
    order = np.lexsort((right, left))  # tiles are sorted runs: cheap
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
):
    """Cross-match two catalogs partition by partition on a Dask cluster.

    Parameters
    ----------
    left, right
        Tables (astropy, pandas, SkyCoord, arrays), Parquet files or directories
        (read lazily, row groups as partitions), ``synthetic:N`` names (generated
        per partition) or :class:`~workloads.skymatch.sources.Source` objects.
    radius
        Match radius (``Quantity``, ``"1arcsec"`` or arcsec); required.
    mode
        ``"all"``, ``"nearest"`` (within ``radius``), ``"best"``, ``"best-left"``,
        ``"best-right"``, as in :func:`~workloads.skymatch.api.crossmatch`.
    epoch
        Propagate each catalog with an epoch and proper motions to this epoch first.
    n_tiles
        Equal-area declination bands (default: about one per 4 million rows, at
        least two per worker).
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
    edges_tiles = n_tiles or max(
        2 * (n_workers or os.cpu_count() or 1), math.ceil((n_left + n_right) / 4e6)
    )
    edges = tile_edges(int(edges_tiles))
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
            t0 = time.perf_counter()
            splits = [
                c.submit(
                    _split,
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
                    _match_tile,
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
            meta = {"mode": mode, "radius_arcsec": radius_arcsec, "epoch": epoch,
                    "n_tiles": int(edges.size - 1), "tile_rows": [r["rows"] for r in results],
                    "tile_peak_bytes": [r.get("peak_bytes") for r in results]}  # fmt: skip
            if direct:
                timings["gather_s"] = time.perf_counter() - t0
                _report(timings, progress)
                return Path(out)
            table = pairs_table(*_finish(results, mode, n_left, n_right))
            table.meta.update({**meta, "timings": timings})
            if tmp_out is not None:
                table.write(tmp_out / "part-00000.parquet", format="parquet")
            timings["gather_s"] = time.perf_counter() - t0
            _report(timings, progress)
        return table if out is None else Path(out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _report(timings: dict, progress: bool) -> None:
    if progress:
        print(
            "phases: " + ", ".join(f"{k[:-2]} {v:.2f} s" for k, v in timings.items()),
            file=sys.stderr,
        )
