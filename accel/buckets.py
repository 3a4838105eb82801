"""Spatial buckets on the sphere: declination zones cut into RA cells.

Points are sorted into cells with an O(n) counting sort.  Zones have a fixed
height; each zone gets as many RA cells as keep a cell about as wide as it is tall
at the zone's widest latitude, so cells stay roughly square from the equator to
the poles (the zones algorithm of Gray, Nieto-Santisteban & Szalay,
MSR-TR-2006-52, with a second, RA, level of buckets).

The cell layout depends only on the catalog size and the search radius, never on
the number of threads, so everything built on it is deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from accel.sphere import wrapped_radians_nb

__all__ = ["SkyGrid", "make_grid", "cell_ids", "counting_sort"]

# Mean catalog points per cell: a few keeps both the cell overhead and the
# candidate checks per query low.
POINTS_PER_CELL = 3.0
# Cells never get smaller than half the search radius: the candidate window then
# spans at most a few cells per zone.
MIN_CELL_PER_RADIUS = 0.5
# Guard the cell table's memory for tiny radii on huge catalogs.
MAX_CELLS = 1 << 26


@dataclass(frozen=True)
class SkyGrid:
    """Zones of ``zone_height`` radians, zone ``z`` holding ``n_ra[z]`` RA cells.

    ``zone_start[z]`` is the id of zone ``z``'s first cell; ``zone_start[-1]`` is the
    number of cells.
    """

    zone_height: float
    n_ra: np.ndarray
    zone_start: np.ndarray

    @property
    def n_zones(self) -> int:
        return int(self.n_ra.shape[0])

    @property
    def n_cells(self) -> int:
        return int(self.zone_start[-1])


def make_grid(
    n_points: int, radius_rad: float = 0.0, dec_range_rad: tuple[float, float] | None = None
) -> SkyGrid:
    """Choose a cell layout for ``n_points`` catalog points searched at ``radius_rad``.

    With ``dec_range_rad = (lowest, highest)`` declination of the points, cells are
    sized for their density inside that band (a tile of a partitioned catalog holds
    all its points in one band: sized for the whole sky, its cells would hold
    many times :data:`POINTS_PER_CELL`), and zones outside it get a single cell.

    Examples
    --------
    >>> grid = make_grid(1_000_000, radius_rad=np.deg2rad(1 / 3600))
    >>> grid.n_cells > 100_000
    True
    >>> band = make_grid(100_000, np.deg2rad(1 / 3600), (0.0, 0.1))
    >>> band.n_cells < 2 * 100_000 / POINTS_PER_CELL + band.n_zones
    True
    """
    sky_fraction = 1.0
    if dec_range_rad is not None:
        lo, hi = dec_range_rad
        sky_fraction = min(1.0, max(0.5 * (math.sin(hi) - math.sin(lo)), 1e-12))
    area_per_cell = 4.0 * math.pi * sky_fraction * POINTS_PER_CELL / max(int(n_points), 1)
    height = max(math.sqrt(area_per_cell), MIN_CELL_PER_RADIUS * radius_rad)
    height = max(height, math.sqrt(4.0 * math.pi * sky_fraction / MAX_CELLS))
    n_zones = max(1, min(int(math.ceil(math.pi / height)), 1 << 20))
    height = math.pi / n_zones
    lower = -0.5 * math.pi + height * np.arange(n_zones)
    upper = lower + height
    # The widest latitude in a zone is the one closest to the equator.
    widest = np.where((lower <= 0) & (upper >= 0), 0.0, np.minimum(np.abs(lower), np.abs(upper)))
    n_ra = np.maximum(1, np.floor(2.0 * math.pi * np.cos(widest) / height)).astype(np.int64)
    if dec_range_rad is not None:
        n_ra[(upper < dec_range_rad[0]) | (lower > dec_range_rad[1])] = 1  # no points there
    zone_start = np.zeros(n_zones + 1, dtype=np.int64)
    np.cumsum(n_ra, out=zone_start[1:])
    return SkyGrid(height, n_ra, zone_start)


@njit(cache=True, inline="always")
def zone_of(dec, zone_height, n_zones):  # pragma: no cover - compiled
    z = int(math.floor((dec + 0.5 * math.pi) / zone_height))
    return min(max(z, 0), n_zones - 1)


@njit(cache=True, inline="always")
def ra_cell_of(ra, n_ra):  # pragma: no cover - compiled
    c = int(math.floor(ra * n_ra / (2.0 * math.pi)))
    return min(max(c, 0), n_ra - 1)


@njit(cache=True, parallel=True)
def _cell_ids(ra, dec, scale, zone_height, n_ra, zone_start, out):  # pragma: no cover - compiled
    n_zones = n_ra.shape[0]
    for i in prange(ra.shape[0]):
        r, d = wrapped_radians_nb(ra[i], dec[i], scale)
        z = zone_of(d, zone_height, n_zones)
        out[i] = zone_start[z] + ra_cell_of(r, n_ra[z])


def cell_ids(ra: np.ndarray, dec: np.ndarray, grid: SkyGrid, scale: float = 1.0) -> np.ndarray:
    """Cell id of each point; angles are ``ra * scale``, ``dec * scale`` radians.

    ``scale`` is 1 for radians and pi/180 for degrees, so degree inputs need no
    converted copy.  RA is wrapped into [0, 2 pi); Dec must lie in [-pi/2, pi/2].

    Examples
    --------
    >>> grid = make_grid(10)
    >>> int(cell_ids(np.array([0.0]), np.array([-np.pi / 2]), grid)[0])
    0
    """
    out = np.empty(ra.shape[0], dtype=np.int64)
    _cell_ids(ra, dec, float(scale), grid.zone_height, grid.n_ra, grid.zone_start, out)
    return out


def cell_ids_reference(ra_rad: np.ndarray, dec_rad: np.ndarray, grid: SkyGrid) -> np.ndarray:
    """NumPy reference of :func:`cell_ids`."""
    z = np.clip(np.floor((dec_rad + 0.5 * np.pi) / grid.zone_height), 0, grid.n_zones - 1)
    z = z.astype(np.int64)
    n_ra = grid.n_ra[z]
    c = np.clip(np.floor(ra_rad * n_ra / (2.0 * np.pi)).astype(np.int64), 0, n_ra - 1)
    return grid.zone_start[z] + c


@njit(cache=True)
def _counting_sort(cells, n_cells, order, cell_start):  # pragma: no cover - compiled
    for i in range(cells.shape[0]):
        cell_start[cells[i] + 1] += 1
    for c in range(n_cells):
        cell_start[c + 1] += cell_start[c]
    fill = cell_start[:-1].copy()
    for i in range(cells.shape[0]):
        c = cells[i]
        order[fill[c]] = i
        fill[c] += 1


def counting_sort(cells: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Stable O(n) sort of points by cell: ``(order, cell_start)``.

    Points of cell ``c`` are ``order[cell_start[c]:cell_start[c + 1]]``, in input order.

    Examples
    --------
    >>> order, start = counting_sort(np.array([2, 0, 2, 1]), 3)
    >>> order.tolist(), start.tolist()
    ([1, 3, 0, 2], [0, 1, 2, 4])
    """
    order = np.empty(cells.shape[0], dtype=np.int64)
    cell_start = np.zeros(n_cells + 1, dtype=np.int64)
    _counting_sort(cells, n_cells, order, cell_start)
    return order, cell_start


def counting_sort_reference(cells: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """NumPy reference of :func:`counting_sort`."""
    order = np.argsort(cells, kind="stable").astype(np.int64)
    cell_start = np.zeros(n_cells + 1, dtype=np.int64)
    np.cumsum(np.bincount(cells, minlength=n_cells), out=cell_start[1:])
    return order, cell_start
