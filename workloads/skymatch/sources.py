"""Partitioned catalog inputs for the Dask matcher, read one partition at a time.

A source knows how many partitions it has and how many rows each holds (from
metadata, without reading the data), and loads one partition as plain arrays.
Global row numbers are the partition's offset plus the row within it, so they
equal the row numbers of the whole catalog read in one piece.

* :class:`TableSource` — an in-memory table cut into row ranges.
* :class:`ParquetSource` — a Parquet file or a directory of them (files in name
  order, row groups as partitions), read lazily with pyarrow; schemas are checked
  for consistency before anything runs.
* :class:`SyntheticSource` — one side of a synthetic pair generated partition by
  partition from ``(seed, partition)``, so 1e8 rows never exist in memory at once.
* :class:`StripSource` — one side of a pair generated already cut on the sky, in
  declination strips (:mod:`accel_datasets.sky_strips`); what ``synthetic:N``
  means here.  Its partitions are its strips, and besides :meth:`~Source.load` it
  can build a whole sky tile directly (:meth:`StripSource.tile`), so the Dask
  matcher needs no split phase for it.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workloads.skymatch.catalog import as_catalog

__all__ = [
    "Source",
    "TableSource",
    "ParquetSource",
    "SyntheticSource",
    "StripSource",
    "as_source",
]


@dataclass
class Part:
    """One partition's validated arrays (degrees, mas/yr) and its global row numbers."""

    ra_deg: np.ndarray
    dec_deg: np.ndarray
    index: np.ndarray
    pmra_masyr: np.ndarray | None = None
    pmdec_masyr: np.ndarray | None = None


class Source:
    """Base class: ``sizes`` per partition, ``epoch``, and ``load(k) -> Part``."""

    name: str = "left"
    epoch: float | None = None
    sizes: list[int]

    @property
    def n_partitions(self) -> int:
        return len(self.sizes)

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)

    def load(self, k: int) -> Part:  # pragma: no cover - interface
        raise NotImplementedError

    def _part(self, obj, k: int, columns, pm_columns, skip_invalid) -> Part:
        cat = as_catalog(obj, f"{self.name} partition {k}", columns=columns,
                         pm_columns=pm_columns, skip_invalid=skip_invalid)  # fmt: skip
        return Part(cat.ra_deg, cat.dec_deg, cat.index + self.offsets[k],
                    cat.pmra_masyr, cat.pmdec_masyr)  # fmt: skip


@dataclass
class TableSource(Source):
    table: object
    name: str = "left"
    rows_per_partition: int = 1_000_000
    columns: tuple[str, str] = ("ra", "dec")
    pm_columns: tuple[str, str] = ("pmra", "pmdec")
    epoch: float | None = None
    skip_invalid: bool = False
    sizes: list[int] = field(init=False)

    def __post_init__(self):
        cat = as_catalog(self.table, self.name, columns=self.columns, pm_columns=self.pm_columns,
                         epoch=self.epoch, skip_invalid=self.skip_invalid)  # fmt: skip
        self._cat = cat
        self.epoch = cat.epoch
        n = cat.n_input
        step = max(1, int(self.rows_per_partition))
        self.sizes = [min(step, n - s) for s in range(0, n, step)]

    def load(self, k: int) -> Part:
        lo, hi = self.offsets[k], self.offsets[k + 1]
        keep = (self._cat.index >= lo) & (self._cat.index < hi)
        c = self._cat
        pm = (None, None) if c.pmra_masyr is None else (c.pmra_masyr[keep], c.pmdec_masyr[keep])
        return Part(c.ra_deg[keep], c.dec_deg[keep], c.index[keep], *pm)


def _parquet_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"Parquet input {str(path)!r} does not exist")
    files = sorted(p for p in path.rglob("*.parquet") if not p.name.startswith((".", "_")))
    if not files:
        raise ValueError(f"Parquet input directory {str(path)!r} holds no .parquet files")
    return files


@dataclass
class ParquetSource(Source):
    path: str | os.PathLike
    name: str = "left"
    columns: tuple[str, str] = ("ra", "dec")
    pm_columns: tuple[str, str] = ("pmra", "pmdec")
    epoch: float | None = None
    skip_invalid: bool = False
    sizes: list[int] = field(init=False)

    def __post_init__(self):
        import pyarrow.parquet as pq

        self._pieces: list[tuple[Path, int]] = []
        self.sizes = []
        first_schema = None
        first_file = None
        for f in _parquet_files(Path(self.path)):
            meta = pq.ParquetFile(f).metadata
            schema = pq.read_schema(f).remove_metadata()
            if first_schema is None:
                first_schema, first_file = schema, f
                missing = [c for c in self.columns if c not in schema.names]
                if missing:
                    raise KeyError(f"{self.name} Parquet {str(f)!r} is missing column(s) {missing}; "
                                   f"it has {schema.names[:12]}")  # fmt: skip
            elif not schema.equals(first_schema):
                raise ValueError(
                    f"{self.name} Parquet partitions have inconsistent schemas: {str(f)!r} has "
                    f"{_describe(schema)} but {str(first_file)!r} has {_describe(first_schema)}"
                )
            for g in range(meta.num_row_groups):
                self._pieces.append((f, g))
                self.sizes.append(meta.row_group(g).num_rows)
        if self.epoch is None:
            self.epoch = _parquet_epoch(first_file)
        self._read_columns = [
            c for c in (*self.columns, *self.pm_columns) if c in first_schema.names
        ]

    def load(self, k: int) -> Part:
        import pyarrow.parquet as pq
        from astropy.table import Table

        f, g = self._pieces[k]
        arrow = pq.ParquetFile(f).read_row_group(g, columns=self._read_columns)
        table = Table({c: arrow.column(c).to_numpy() for c in self._read_columns})
        return self._part(table, k, self.columns, self.pm_columns, self.skip_invalid)


def _describe(schema) -> str:
    return (
        "{" + ", ".join(f"{n}: {t}" for n, t in zip(schema.names, schema.types, strict=True)) + "}"
    )


def _parquet_epoch(path: Path) -> float | None:
    """``epoch`` from astropy's table metadata stored in the Parquet schema, if any."""
    import pyarrow.parquet as pq
    import yaml

    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(b"table_meta_yaml")
    if not raw:
        return None
    try:  # astropy writes a YAML header; only plain data is read (safe_load)
        doc = yaml.safe_load(raw.decode())
    except Exception:  # noqa: BLE001 - unreadable metadata simply carries no epoch
        return None
    epoch = (doc or {}).get("meta", {}).get("epoch") if isinstance(doc, dict) else None
    return float(epoch) if isinstance(epoch, int | float) else None


@dataclass
class SyntheticSource(Source):
    """Side ``name`` ("left"/"right") of ``make_pair`` generated per partition."""

    n_rows: int
    name: str = "left"
    seed: int = 0
    rows_per_partition: int = 2_000_000
    scatter_arcsec: float = 0.3
    matched_fraction: float = 0.5
    epoch: float | None = None
    sizes: list[int] = field(init=False)

    def __post_init__(self):
        step = max(1, int(self.rows_per_partition))
        self.sizes = [min(step, self.n_rows - s) for s in range(0, self.n_rows, step)]

    def partition_seed(self, k: int) -> int:
        return int(np.random.SeedSequence(self.seed, spawn_key=(k,)).generate_state(1)[0])

    def load(self, k: int) -> Part:
        pair = _synthetic_pair(self.sizes[k], self.partition_seed(k), self.scatter_arcsec,
                               self.matched_fraction)  # fmt: skip
        ra, dec = (
            (pair.left_ra, pair.left_dec)
            if self.name == "left"
            else (pair.right_ra, pair.right_dec)
        )
        return Part(ra, dec, np.arange(ra.size, dtype=np.int64) + self.offsets[k])


@functools.lru_cache(maxsize=1)
def _synthetic_pair(n: int, seed: int, scatter_arcsec: float, matched_fraction: float):
    """One partition's pair, kept so the left and right halves are generated once."""
    from accel_datasets.synthetic import make_pair

    return make_pair(n, seed=seed, scatter_arcsec=scatter_arcsec, matched_fraction=matched_fraction)


@dataclass
class StripSource(Source):
    """Side ``name`` ("left"/"right") of :func:`~accel_datasets.sky_strips.make_strip_pair`.

    Partition ``k`` is strip ``k``; the partitioning depends on ``n_rows`` only.
    """

    n_rows: int
    name: str = "left"
    seed: int = 0
    matched_fraction: float = 0.5
    scatter_arcsec: float = 0.3
    epoch: float | None = None
    sizes: list[int] = field(init=False)

    def __post_init__(self):
        from accel_datasets.sky_strips import check_pair_parameters, strip_count, strip_offset

        # Checked here, on the client, so a bad value never reaches a worker.
        self.seed, self.matched_fraction, self.scatter_arcsec = check_pair_parameters(
            self.seed, self.matched_fraction, self.scatter_arcsec
        )
        self.n_strips = strip_count(self.n_rows)
        self.sizes = np.diff(strip_offset(self.n_rows, np.arange(self.n_strips + 1))).tolist()

    @property
    def pair_key(self) -> tuple:
        return (self.n_rows, self.seed, self.matched_fraction, self.scatter_arcsec)

    def _strip(self, s: int, radians: bool = False, out=None):
        from accel_datasets.sky_strips import make_strip

        return make_strip(self.n_rows, s, seed=self.seed, matched_fraction=self.matched_fraction,
                          scatter_arcsec=self.scatter_arcsec, radians=radians, out=out)  # fmt: skip

    def load(self, k: int) -> Part:
        left_ra, left_dec, right_ra, right_dec = self._strip(k)
        ra, dec = (left_ra, left_dec) if self.name == "left" else (right_ra, right_dec)
        return Part(ra, dec, np.arange(ra.size, dtype=np.int64) + self.offsets[k])

    def tile_strips(self, n_tiles: int) -> np.ndarray:
        """First strip of each of ``n_tiles`` tiles (and ``n_strips`` at the end)."""
        return np.arange(n_tiles + 1, dtype=np.int64) * self.n_strips // n_tiles

    def tile(self, first: int, stop: int, margin_rad: float):
        """The rows a tile of strips ``first..stop-1`` is matched on, in radians.

        Returns ``(left_ra, left_dec, left_start, right_ra, right_dec, right_index)``:
        the left rows of those strips (global rows ``left_start`` onwards), and the
        right rows of the pair that may lie within ``margin_rad`` of them: all of
        those strips' right rows, plus the right rows of neighbouring strips whose
        declination is within the margin of the tile's edges.  Both in global row
        order.  Only strips that can reach the margin are generated.
        """
        from accel_datasets.sky_strips import MAX_SCATTER_SIGMAS, strip_edges_z

        dec_edges = np.arcsin(strip_edges_z(self.n_strips))
        # No right row lies further than `reach` from its own strip.
        reach = math.radians(self.scatter_arcsec / 3600.0) * MAX_SCATTER_SIGMAS * (1 + 1e-9) + 1e-12
        low, high = dec_edges[first] - margin_rad, dec_edges[stop] + margin_rad
        below = [j for j in range(first) if dec_edges[j + 1] + reach >= low]
        above = [j for j in range(stop, self.n_strips) if dec_edges[j] - reach <= high]
        offsets = self.offsets
        margins = {}
        for j in below + above:
            _, _, ra, dec = self._strip(j, radians=True)
            keep = np.flatnonzero((dec >= low) & (dec <= high))
            margins[j] = (ra[keep], dec[keep], keep + offsets[j])
        n_left = int(offsets[stop] - offsets[first])
        pieces = [margins[j] for j in below] + [n_left] + [margins[j] for j in above]
        n_right = sum(p if isinstance(p, int) else p[0].size for p in pieces)
        l_ra, l_dec, r_ra, r_dec = (np.empty(m) for m in (n_left, n_left, n_right, n_right))
        r_index = np.empty(n_right, dtype=np.int64)
        at = 0
        for piece in pieces:
            if isinstance(piece, int):  # the tile's own strips, generated in place
                own = at
                r_index[at : at + n_left] = np.arange(offsets[first], offsets[stop])
                at += n_left
                continue
            size = piece[0].size
            for dest, values in zip((r_ra, r_dec, r_index), piece, strict=True):
                dest[at : at + size] = values
            at += size
        for s in range(first, stop):
            a, b = offsets[s] - offsets[first], offsets[s + 1] - offsets[first]
            self._strip(s, radians=True, out=(l_ra[a:b], l_dec[a:b], r_ra[own + a : own + b],
                                              r_dec[own + a : own + b]))  # fmt: skip
        return l_ra, l_dec, int(offsets[first]), r_ra, r_dec, r_index


def as_source(obj, name: str, **kw) -> Source:
    """A :class:`Source` from a table-like object, a Parquet path or ``synthetic:N``."""
    if isinstance(obj, Source):
        obj.name = name
        return obj
    rows = kw.pop("rows_per_partition", None)
    if isinstance(obj, str) and obj.startswith("synthetic:"):
        from accel_datasets.registry import parse_synthetic_size

        # Strips, not row partitions: the partitioning is fixed by N alone.
        return StripSource(parse_synthetic_size(obj.partition(":")[2]), name=name,
                           seed=kw.get("seed", 0))  # fmt: skip
    kw.pop("seed", None)
    if isinstance(obj, str | os.PathLike) and Path(obj).suffix.lower() in ("", ".parquet", ".pq"):
        return ParquetSource(obj, name=name, **kw)
    extra = {"rows_per_partition": rows} if rows else {}
    return TableSource(obj, name=name, **kw, **extra)
