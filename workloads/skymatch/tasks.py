"""The tasks of the Dask matcher: what runs on a worker, one call per partition or tile.

* :func:`split` — read one input partition and write its rows into tile files.
* :func:`match_tile` — match one tile from its files.
* :func:`match_strip_tile` — generate one tile of a strip-generated synthetic pair
  (and its margin) and match it; no files.

Each writes its outputs under deterministic names (temp file + rename), so a task
Dask re-runs after a worker died rewrites the same bytes.  See
:mod:`workloads.skymatch.distributed` for the plan they belong to.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from workloads.skymatch.api import ARCSEC_PER_RAD
from workloads.skymatch.best import best_per_row
from workloads.skymatch.sources import Source
from workloads.skymatch.tiles import by_tile, load_tile, save_rows, tile_of, write_part

__all__ = ["split", "match_tile", "match_strip_tile"]


def split(sources: list[Source], k: int, target_epoch, edges, margin_rad, scratch: str) -> int:
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
        lo = tile_of(dec if source.name == "left" else dec - margin_rad, edges)
        hi = lo if source.name == "left" else tile_of(dec + margin_rad, edges)
        for t, piece in by_tile(ra, dec, part.index, lo, hi, edges.size - 1):
            save_rows(Path(scratch) / f"tile-{t:05d}" / f"{source.name}-{k:06d}.npy", piece)
        n_rows += int(ra.size)
    return n_rows


def _reset_peak() -> int | None:
    """Start a task's memory peak (the tests switch tracemalloc on to check the bound).

    Returns the memory already traced, which the task's peak is counted above.
    """
    import tracemalloc

    if not tracemalloc.is_tracing():
        return None
    tracemalloc.reset_peak()
    return tracemalloc.get_traced_memory()[0]


def match_tile(
    scratch: str, t: int, mode: str, radius_rad: float, out_dir: str | None = None
) -> dict:
    """Task: match tile ``t`` from its split files (see :func:`_match_rows`)."""
    import tracemalloc

    base = _reset_peak()
    t0 = time.perf_counter()
    left = load_tile(scratch, t, "left")
    right = load_tile(scratch, t, "right")
    read_s = time.perf_counter() - t0
    # Files of increasing partition number hold increasing global rows, so local
    # order is global order and the kernels' sorted output stays sorted.
    out = _match_rows(left["ra"], left["dec"], left["index"], right["ra"], right["dec"],
                      right["index"], t, mode, radius_rad, out_dir)  # fmt: skip
    out["seconds"]["read"] = read_s
    if base is not None:
        out["peak_bytes"] = tracemalloc.get_traced_memory()[1] - base
    return out


def match_strip_tile(
    source, first: int, stop: int, t: int, mode: str, radius_rad: float, margin_rad: float,
    out_dir: str | None = None,
) -> dict:  # fmt: skip
    """Task: generate the strips of tile ``t`` (and its margin) and match them."""
    import tracemalloc

    base = _reset_peak()
    t0 = time.perf_counter()
    l_ra, l_dec, l_start, r_ra, r_dec, r_index = source.tile(first, stop, margin_rad)
    generate_s = time.perf_counter() - t0
    out = _match_rows(l_ra, l_dec, l_start, r_ra, r_dec, r_index, t, mode, radius_rad, out_dir)
    out["seconds"]["generate"] = generate_s
    if base is not None:
        out["peak_bytes"] = tracemalloc.get_traced_memory()[1] - base
    return out


def _match_rows(l_ra, l_dec, l_index, r_ra, r_dec, r_index, t, mode, radius_rad, out_dir) -> dict:
    """Global (left, right, sep_arcsec) of one tile, sorted by (left, right).

    ``l_index`` is the left rows' global numbers, or the first of a contiguous run.
    Rows are in global order on both sides, so the kernels' sorted output is sorted
    globally too.  With ``out_dir`` the pairs are written there as ``part-<t>.parquet``
    (temp + rename) and only their count comes back.
    """
    from accel.neighbours import nearest, pairs_within

    rows = int(l_ra.size + r_ra.size)
    t0 = time.perf_counter()
    if l_ra.size == 0 or r_ra.size == 0:
        i = j = np.empty(0, np.int64)
        sep = np.empty(0)
    elif mode == "nearest":
        j, sep = nearest(l_ra, l_dec, r_ra, r_dec, 1, radius_rad)
        i = np.flatnonzero(j[:, 0] >= 0)
        j, sep = j[i, 0], sep[i, 0]
    else:
        i, j, sep = pairs_within(l_ra, l_dec, r_ra, r_dec, radius_rad)
        if mode == "best-left":  # all of a left row's pairs live in its own tile
            keep = best_per_row(i, j, sep)
            i, j, sep = i[keep], j[keep], sep[keep]
    left = i + l_index if isinstance(l_index, int) else l_index[i]
    sep *= ARCSEC_PER_RAD
    out = {"left": left, "right": r_index[j], "sep": sep, "rows": rows,
           "seconds": {"match": time.perf_counter() - t0}}  # fmt: skip
    if out_dir is not None:
        t0 = time.perf_counter()
        write_part(Path(out_dir) / f"part-{t:05d}.parquet", out["left"], out["right"], out["sep"])
        out["pairs"] = int(out["left"].size)
        del out["left"], out["right"], out["sep"]
        out["seconds"]["write"] = time.perf_counter() - t0
    return out
