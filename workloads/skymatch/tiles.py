"""Tile files of the Dask matcher: equal-area declination bands on local or shared disk.

Rows travel between tasks as ``.npy`` files of a plain structured dtype (no
pickles), one file per (tile, side, input partition), written under a temporary
name and renamed, so a task Dask re-runs rewrites identical bytes.
"""

from __future__ import annotations

import functools
import os
import uuid
from pathlib import Path

import numpy as np

__all__ = [
    "ROW",
    "tile_edges",
    "tile_of",
    "tile_of_reference",
    "save_rows",
    "by_tile",
    "load_tile",
    "pairs_table",
    "write_part",
]

ROW = np.dtype([("ra", "<f8"), ("dec", "<f8"), ("index", "<i8")])  # radians, global row


def tile_edges(n_tiles: int) -> np.ndarray:
    """Equal-area declination band edges in radians (south to north).

    Examples
    --------
    >>> np.rad2deg(tile_edges(2)).round(6).tolist()
    [-90.0, 0.0, 90.0]
    """
    if n_tiles < 1:
        raise ValueError(f"n_tiles must be at least 1; got {n_tiles}")
    return np.arcsin(np.linspace(-1.0, 1.0, n_tiles + 1))


def tile_of(dec_rad: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Tile of each declination: ``i`` with ``edges[i] <= dec < edges[i + 1]``, clipped.

    Equal-area edges put ``(sin(dec) + 1) n / 2`` within one of the answer, so a
    guess and one comparison with each neighbouring edge replace a binary search
    per row (several times slower on unsorted input).

    Examples
    --------
    >>> tile_of(np.array([-2.0, -0.1, 0.0, 1.0, 2.0]), tile_edges(2)).tolist()
    [0, 0, 1, 1, 1]
    """
    n = edges.size - 1
    dec = np.clip(dec_rad, -0.5 * np.pi, 0.5 * np.pi)
    guess = np.sin(dec)
    guess += 1.0
    guess *= 0.5 * n
    t = np.clip(guess.astype(np.int64), 0, n - 1)
    t -= dec < edges[t]
    t += dec >= edges[t + 1]
    return np.clip(t, 0, n - 1, out=t)


def tile_of_reference(dec_rad: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Binary-search reference of :func:`tile_of`."""
    return np.clip(np.searchsorted(edges, dec_rad, side="right") - 1, 0, edges.size - 2)


def save_rows(path: Path, rows: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    with open(tmp, "wb") as fh:
        np.save(fh, rows, allow_pickle=False)
    os.replace(tmp, path)


def by_tile(ra: np.ndarray, dec: np.ndarray, index: np.ndarray, lo: np.ndarray, hi: np.ndarray,
            n_tiles: int):  # fmt: skip
    """Yield ``(tile, ROW records in it)`` for rows spanning tiles ``lo..hi``, in row order.

    ``index`` must be increasing.  One O(n) stable counting sort by first tile and
    one gather of the plain columns into tile order (a gather of structured records
    costs several times more), so each tile's own rows are a slice; the few rows
    inside a margin that reach further tiles are inserted where they belong.
    """
    from accel.buckets import counting_sort

    order, start = counting_sort(np.ascontiguousarray(lo, dtype=np.int64), n_tiles)
    rows = np.empty(order.size, dtype=ROW)
    rows["ra"], rows["dec"], rows["index"] = ra[order], dec[order], index[order]
    spill = np.flatnonzero(hi > lo)
    spill_lo, spill_hi = lo[spill], hi[spill]
    for t in range(n_tiles):
        piece = rows[start[t] : start[t + 1]]
        extra = spill[(spill_lo < t) & (spill_hi >= t)] if spill.size else spill
        if extra.size:
            more = np.empty(extra.size, dtype=ROW)
            more["ra"], more["dec"], more["index"] = ra[extra], dec[extra], index[extra]
            piece = np.insert(piece, np.searchsorted(piece["index"], more["index"]), more)
        if piece.size:
            yield t, piece


def load_tile(scratch: str, t: int, side: str) -> np.ndarray:
    folder = Path(scratch) / f"tile-{t:05d}"
    files = sorted(folder.glob(f"{side}-*.npy")) if folder.exists() else []
    if not files:
        return np.empty(0, dtype=ROW)
    return np.concatenate([np.load(f, allow_pickle=False) for f in files])


def pairs_table(left, right, sep):
    from astropy.table import Table

    table = Table({"left_index": left, "right_index": right, "separation_arcsec": sep}, copy=False)
    table["separation_arcsec"].unit = "arcsec"
    return table


@functools.lru_cache(maxsize=1)
def _part_schema():
    """Arrow schema of an output part, carrying astropy's table metadata (the unit)."""
    import pyarrow as pa
    from astropy.table import meta

    empty = pairs_table(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    fields = [("left_index", pa.int64()), ("right_index", pa.int64()),
              ("separation_arcsec", pa.float64())]  # fmt: skip
    yaml = "\n".join(meta.get_yaml_from_table(empty))
    return pa.schema(fields, metadata={"table_meta_yaml": yaml})


def write_part(path: Path, left, right, sep) -> None:
    """Write one tile's pairs as Parquet that ``Table.read`` reads back with units.

    Written with pyarrow directly: no dictionary encoding (indices are nearly all
    distinct, so it is tried and abandoned at a cost) and delta encoding of the
    indices (sorted on the left, near-sorted on the right): faster and smaller than
    astropy's default.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    table = pa.Table.from_arrays([pa.array(left), pa.array(right), pa.array(sep)],
                                 schema=_part_schema())  # fmt: skip
    pq.write_table(table, tmp, use_dictionary=False,
                   column_encoding=dict.fromkeys(("left_index", "right_index"), "DELTA_BINARY_PACKED"))  # fmt: skip
    os.replace(tmp, path)
