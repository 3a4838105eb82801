"""Halo-padded blocks for stencils on latitude-longitude grids.

Arrays are ``(..., lat, lon)``: any leading axes (levels, variables, members) are
carried along untouched.  Rows are latitude cell centres ordered from one pole to
the other, with no row on a pole, so the ghost row ``m`` places beyond a pole is
the ``m``-th row from that pole seen from the other side of the globe.

Three pieces:

* :func:`pad` adds a halo whose fill is chosen by a word per axis;
* :func:`split_lat` / :func:`lat_block` cut a grid into latitude blocks that carry
  halo rows from their neighbours, and :func:`assemble_lat` puts the owned rows
  back together;
* :func:`run_steps` advances a block ``k`` steps of a radius-``r`` stencil on one
  halo exchange (ghost-zone expansion): the valid region shrinks by ``r`` rows per
  step on every cut side, so a halo of ``k * r`` rows is enough.  Sides that lie on
  the physical boundary (the poles) are refilled from the current state before
  every step, exactly as a whole-grid run does, so a block run reproduces the
  whole-grid run bit for bit when the step is a pointwise-deterministic stencil.

Longitude is never cut: every block spans the whole latitude circle, because
across-the-pole fills and polar filters need whole circles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "LAT_FILLS",
    "LON_FILLS",
    "LatBlock",
    "pad",
    "ghost_rows",
    "split_lat",
    "lat_block",
    "halo_sources",
    "assemble_lat",
    "run_steps",
]

LAT_FILLS = ("pole", "constant", "none")
LON_FILLS = ("periodic", "constant", "none")

Step = Callable[[np.ndarray, int], np.ndarray]


def _check_word(name: str, word: object, allowed: tuple[str, ...]) -> str:
    if word not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}; got {word!r}")
    return word  # type: ignore[return-value]


def _check_grid(name: str, block: object) -> np.ndarray:
    if not isinstance(block, np.ndarray):
        raise TypeError(f"{name} must be a numpy array; got {type(block).__name__}")
    if block.ndim < 2:
        raise ValueError(
            f"{name} must have at least 2 dimensions (..., lat, lon); got {block.ndim}"
        )
    return block


def _check_width(name: str, width: object) -> int:
    if isinstance(width, bool) or not isinstance(width, int | np.integer):
        raise TypeError(f"{name} must be an integer; got {type(width).__name__}")
    if width < 0:
        raise ValueError(f"{name} must be a non-negative number of cells; got {width}")
    return int(width)


def _sign_array(pole_sign: float | np.ndarray, lead_shape: tuple[int, ...]) -> np.ndarray:
    sign = np.asarray(pole_sign, dtype=np.float64)
    try:
        sign = np.broadcast_to(sign, lead_shape)
    except ValueError:
        raise ValueError(
            f"pole_sign must be a scalar or broadcast to the leading shape {lead_shape}; "
            f"got shape {sign.shape}"
        ) from None
    if not np.all(np.abs(sign) == 1.0):
        raise ValueError(f"pole_sign must be +1 or -1 everywhere; got {np.unique(sign)}")
    return sign[..., None, None]


def _pole_rows(rows: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """Rows seen from across the pole: same latitude, 180 deg of longitude away."""
    half = rows.shape[-1] // 2
    return sign * np.roll(rows, half, axis=-1)


def _fill_lat_side(
    out: np.ndarray, width: int, side: str, lat: str, value: float, sign: np.ndarray
) -> None:
    """Fill ``width`` ghost rows on one lat side of ``out`` from its core rows.

    ``out`` has exactly ``width`` ghost rows on that side and its longitudes are
    the core ones only (no lon halo yet).
    """
    if width == 0:
        return
    if side == "south":
        ghost = out[..., :width, :]
        # ghost row width-m is the mirror of core row m-1 (m = 1..width)
        core = out[..., width : 2 * width, :][..., ::-1, :]
    else:
        ghost = out[..., out.shape[-2] - width :, :]
        core = out[..., out.shape[-2] - 2 * width : out.shape[-2] - width, :][..., ::-1, :]
    if lat == "pole":
        ghost[...] = _pole_rows(core, sign)
    elif lat == "constant":
        ghost[...] = value
    else:
        ghost[...] = np.nan


def _fill_lon(out: np.ndarray, width: int, lon: str, value: float) -> None:
    if width == 0:
        return
    nlon = out.shape[-1] - 2 * width
    if lon == "periodic":
        out[..., :width] = out[..., nlon : nlon + width]
        out[..., nlon + width :] = out[..., width : 2 * width]
    elif lon == "constant":
        out[..., :width] = value
        out[..., nlon + width :] = value
    else:
        out[..., :width] = np.nan
        out[..., nlon + width :] = np.nan


def _pad_sides(
    block: np.ndarray,
    south: int,
    north: int,
    lon_width: int,
    lat: str,
    lon: str,
    value: float,
    sign: np.ndarray,
) -> np.ndarray:
    nlat, nlon = block.shape[-2:]
    if lat == "pole" and max(south, north) > 0:
        if nlon % 2:
            raise ValueError(f"'pole' fill needs an even number of longitudes; got {nlon}")
        if max(south, north) > nlat:
            raise ValueError(
                f"'pole' fill of {max(south, north)} rows needs at least that many rows; got {nlat}"
            )
    if lon == "periodic" and lon_width > nlon:
        raise ValueError(
            f"periodic lon halo of {lon_width} cells needs at least that many longitudes; got {nlon}"
        )
    shape = block.shape[:-2] + (nlat + south + north, nlon + 2 * lon_width)
    out = np.empty(shape, dtype=np.float64)
    core_cols = slice(lon_width, lon_width + nlon)
    out[..., south : south + nlat, core_cols] = block
    inner = out[..., core_cols]
    _fill_lat_side(inner[..., : south + nlat, :], south, "south", lat, value, sign)
    _fill_lat_side(inner[..., south:, :], north, "north", lat, value, sign)
    _fill_lon(out, lon_width, lon, value)
    return out


def pad(
    block: np.ndarray,
    width: int | tuple[int, int],
    *,
    lat: str = "pole",
    lon: str = "periodic",
    value: float = 0.0,
    pole_sign: float | np.ndarray = 1.0,
) -> np.ndarray:
    """Return ``block`` with a halo of ``width`` cells on its last two axes.

    Parameters
    ----------
    block
        ``(..., lat, lon)`` float array spanning whole latitude circles; not modified.
    width
        Halo width in cells, or ``(lat_width, lon_width)``.
    lat
        Fill beyond the first and last rows: ``'pole'`` (the row at the same
        latitude 180 deg of longitude away, times ``pole_sign``; needs an even
        number of longitudes), ``'constant'`` (``value``) or ``'none'`` (NaN, so
        that any use of an undefined ghost value shows in the result).
    lon
        ``'periodic'``, ``'constant'`` or ``'none'``.
    value
        Fill value for ``'constant'``.
    pole_sign
        +1, or -1 for vector components, which change sign across the pole; a
        scalar or an array over the leading axes (one sign per variable).

    Returns
    -------
    numpy.ndarray
        New float64 array of shape ``(..., lat + 2 * lat_width, lon + 2 * lon_width)``.

    Examples
    --------
    >>> import numpy as np
    >>> from accel.halo import pad
    >>> grid = np.arange(8.0).reshape(2, 4)
    >>> pad(grid, 1)
    array([[1., 2., 3., 0., 1., 2.],
           [3., 0., 1., 2., 3., 0.],
           [7., 4., 5., 6., 7., 4.],
           [5., 6., 7., 4., 5., 6.]])
    """
    block = _check_grid("block", block)
    if isinstance(width, tuple):
        if len(width) != 2:
            raise ValueError(f"width must be an int or (lat_width, lon_width); got {width!r}")
        lat_w = _check_width("width[0]", width[0])
        lon_w = _check_width("width[1]", width[1])
    else:
        lat_w = lon_w = _check_width("width", width)
    lat = _check_word("lat", lat, LAT_FILLS)
    lon = _check_word("lon", lon, LON_FILLS)
    sign = _sign_array(pole_sign, block.shape[:-2])
    return _pad_sides(block, lat_w, lat_w, lon_w, lat, lon, float(value), sign)


def ghost_rows(
    block: np.ndarray,
    width: int,
    side: str,
    *,
    lat: str = "pole",
    value: float = 0.0,
    pole_sign: float | np.ndarray = 1.0,
) -> np.ndarray:
    """The ``width`` ghost rows beyond one lat side of ``block``, without padding it.

    For kernels that handle halos themselves: building two thin ghost arrays
    reads a few rows instead of copying the whole field.  Rows are in grid order,
    so ``pad(block, (width, 0))`` equals ``[south, block, north]`` stacked.

    Parameters
    ----------
    block
        ``(..., lat, lon)`` float array; not modified.
    width
        Number of ghost rows.
    side
        ``'south'`` (before row 0) or ``'north'`` (after the last row).
    lat, value, pole_sign
        As in :func:`pad`.

    Examples
    --------
    >>> import numpy as np
    >>> from accel.halo import ghost_rows
    >>> ghost_rows(np.arange(8.0).reshape(2, 4), 1, "north")
    array([[6., 7., 4., 5.]])
    """
    block = _check_grid("block", block)
    width = _check_width("width", width)
    side = _check_word("side", side, ("south", "north"))
    lat = _check_word("lat", lat, LAT_FILLS)
    sign = _sign_array(pole_sign, block.shape[:-2])
    rows = block[..., :width, :] if side == "south" else block[..., block.shape[-2] - width :, :]
    if side == "south":
        padded = _pad_sides(rows, width, 0, 0, lat, "none", float(value), sign)
        return padded[..., :width, :]
    padded = _pad_sides(rows, 0, width, 0, lat, "none", float(value), sign)
    return padded[..., width:, :]


@dataclass(frozen=True)
class LatBlock:
    """A latitude band of a global grid with halo rows from its neighbours.

    ``data`` holds global rows ``start .. start + data.shape[-2]`` (clipped at the
    poles; no ghost rows are stored) and the block owns rows ``own_start ..
    own_stop``.  ``nlat`` is the number of rows of the whole grid.
    """

    data: np.ndarray
    start: int
    own_start: int
    own_stop: int
    nlat: int

    @property
    def stop(self) -> int:
        return self.start + self.data.shape[-2]

    @property
    def halo_south(self) -> int:
        return self.own_start - self.start

    @property
    def halo_north(self) -> int:
        return self.stop - self.own_stop


def _piece_bounds(sizes: Sequence[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.asarray(sizes, dtype=np.int64))])


def halo_sources(sizes: Sequence[int], index: int, halo: int) -> list[int]:
    """Indices of the pieces block ``index`` needs for a halo of ``halo`` rows.

    ``sizes`` are the numbers of rows the pieces own, in latitude order.  A Dask
    graph can use this to give each block task only the neighbours it reads.

    Examples
    --------
    >>> from accel.halo import halo_sources
    >>> halo_sources([3, 3, 3, 3], 1, 4)
    [0, 1, 2, 3]
    >>> halo_sources([3, 3, 3, 3], 0, 2)
    [0, 1]
    """
    halo = _check_width("halo", halo)
    bounds = _piece_bounds(sizes)
    if not 0 <= index < len(sizes):
        raise ValueError(f"index must be in [0, {len(sizes)}); got {index}")
    lo = max(0, int(bounds[index]) - halo)
    hi = min(int(bounds[-1]), int(bounds[index + 1]) + halo)
    return [p for p in range(len(sizes)) if bounds[p] < hi and bounds[p + 1] > lo]


def lat_block(
    pieces: Sequence[np.ndarray | None],
    index: int,
    halo: int,
    sizes: Sequence[int] | None = None,
) -> LatBlock:
    """Build block ``index`` with ``halo`` rows from the owned ``pieces`` of a grid.

    ``pieces`` are the owned rows of every block in latitude order.  Only those
    listed by :func:`halo_sources` are read; the others may be ``None`` when
    ``sizes`` (the rows each piece owns) is given.  The halo is clipped at the
    poles, where :func:`run_steps` refills ghost rows each step.

    Examples
    --------
    >>> import numpy as np
    >>> from accel.halo import lat_block
    >>> pieces = np.array_split(np.arange(12.0).reshape(6, 2), 3, axis=0)
    >>> b = lat_block(pieces, 1, 1)
    >>> b.data.tolist(), b.start, b.own_start, b.own_stop
    ([[2.0, 3.0], [4.0, 5.0], [6.0, 7.0], [8.0, 9.0]], 1, 2, 4)
    """
    if sizes is None:
        if any(p is None for p in pieces):
            raise ValueError("sizes must be given when some pieces are None")
        sizes = [p.shape[-2] for p in pieces]  # type: ignore[union-attr]
    if len(sizes) != len(pieces):
        raise ValueError(f"sizes must have one entry per piece ({len(pieces)}); got {len(sizes)}")
    needed = halo_sources(sizes, index, halo)
    for p in needed:
        if pieces[p] is None:
            raise ValueError(f"pieces[{p}] is needed for block {index} with halo {halo}; got None")
        _check_grid(f"pieces[{p}]", pieces[p])
        if pieces[p].shape[-2] != sizes[p]:
            raise ValueError(
                f"pieces[{p}] must own sizes[{p}] = {sizes[p]} rows; got {pieces[p].shape[-2]}"
            )
    bounds = _piece_bounds(sizes)
    nlat = int(bounds[-1])
    own_start, own_stop = int(bounds[index]), int(bounds[index + 1])
    start, stop = max(0, own_start - halo), min(nlat, own_stop + halo)
    parts = []
    for p in needed:
        lo = max(start, int(bounds[p])) - int(bounds[p])
        hi = min(stop, int(bounds[p + 1])) - int(bounds[p])
        parts.append(pieces[p][..., lo:hi, :])
    data = np.ascontiguousarray(np.concatenate(parts, axis=-2), dtype=np.float64)
    return LatBlock(data=data, start=start, own_start=own_start, own_stop=own_stop, nlat=nlat)


def split_lat(field: np.ndarray, nblocks: int, halo: int) -> list[LatBlock]:
    """Cut ``field`` into ``nblocks`` latitude bands, each with ``halo`` rows of halo.

    Bands own near-equal numbers of rows (as ``numpy.array_split``).  Each block's
    data is a copy, so blocks can be advanced independently.

    Examples
    --------
    >>> import numpy as np
    >>> from accel.halo import split_lat
    >>> [b.data.shape for b in split_lat(np.zeros((3, 10, 8)), 3, 2)]
    [(3, 6, 8), (3, 7, 8), (3, 5, 8)]
    """
    field = _check_grid("field", field)
    if isinstance(nblocks, bool) or not isinstance(nblocks, int | np.integer):
        raise TypeError(f"nblocks must be an integer; got {type(nblocks).__name__}")
    if not 1 <= nblocks <= field.shape[-2]:
        raise ValueError(f"nblocks must be between 1 and the {field.shape[-2]} rows; got {nblocks}")
    pieces = np.array_split(field, nblocks, axis=-2)
    return [lat_block(pieces, i, halo) for i in range(nblocks)]


def assemble_lat(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenate owned latitude bands (in order) back into one grid.

    Examples
    --------
    >>> import numpy as np
    >>> from accel.halo import assemble_lat
    >>> assemble_lat([np.zeros((2, 3)), np.ones((1, 3))]).shape
    (3, 3)
    """
    if len(parts) == 0:
        raise ValueError("parts must hold at least one band; got an empty sequence")
    for i, part in enumerate(parts):
        _check_grid(f"parts[{i}]", part)
    return np.concatenate(parts, axis=-2)


def run_steps(
    block: LatBlock,
    step: Step,
    steps: int,
    radius: int,
    *,
    lat: str = "pole",
    lon: str = "periodic",
    value: float = 0.0,
    pole_sign: float | np.ndarray = 1.0,
) -> np.ndarray:
    """Advance ``block`` by ``steps`` steps of a stencil and return its owned rows.

    Parameters
    ----------
    block
        A :class:`LatBlock` whose halo is at least ``steps * radius`` rows on every
        side that does not reach a pole.  Not modified.
    step
        ``step(padded, lat0) -> interior``: one step of the stencil on an array
        padded by ``radius`` cells on both lat sides and both lon sides, returning
        the ``(..., lat, lon)`` interior (``2 * radius`` smaller on each axis).
        ``lat0`` is the global row index of ``padded[..., 0, :]`` (negative when
        ghost rows beyond the south pole lead), for stencils whose coefficients
        depend on latitude.  It must compute each output point from its inputs
        alone, the same way wherever the point lies, for the bitwise guarantee.
    steps, radius
        Number of steps ``k`` and stencil radius ``r`` in cells.
    lat, lon, value, pole_sign
        Boundary fills as in :func:`pad`, applied at the poles before every step.

    Returns
    -------
    numpy.ndarray
        The rows ``block.own_start .. block.own_stop`` after ``steps`` steps.

    Examples
    --------
    >>> import numpy as np
    >>> from accel.halo import split_lat, run_steps, assemble_lat
    >>> def smooth(p, lat0):  # 5-point average, radius 1
    ...     return (p[1:-1, 1:-1] + p[2:, 1:-1] + p[:-2, 1:-1] + p[1:-1, 2:] + p[1:-1, :-2]) / 5
    >>> grid = np.random.default_rng(0).random((12, 16))
    >>> whole = run_steps(split_lat(grid, 1, 0)[0], smooth, 3, 1)
    >>> parts = [run_steps(b, smooth, 3, 1) for b in split_lat(grid, 4, 3)]
    >>> bool(np.array_equal(assemble_lat(parts), whole))
    True
    """
    if not isinstance(block, LatBlock):
        raise TypeError(f"block must be a LatBlock; got {type(block).__name__}")
    steps = _check_width("steps", steps)
    radius = _check_width("radius", radius)
    lat = _check_word("lat", lat, LAT_FILLS)
    lon = _check_word("lon", lon, LON_FILLS)
    south_cut = block.start > 0
    north_cut = block.stop < block.nlat
    need = steps * radius
    if south_cut and block.halo_south < need:
        raise ValueError(
            f"block halo must be at least steps*radius = {need} rows on the south side; "
            f"got {block.halo_south}"
        )
    if north_cut and block.halo_north < need:
        raise ValueError(
            f"block halo must be at least steps*radius = {need} rows on the north side; "
            f"got {block.halo_north}"
        )
    sign = _sign_array(pole_sign, block.data.shape[:-2])
    state = block.data
    start = block.start
    for _ in range(steps):
        # Physical sides get fresh ghost rows from the current state; cut sides
        # instead lose `radius` rows of validity, which the halo pays for.
        south = 0 if south_cut else radius
        north = 0 if north_cut else radius
        padded = _pad_sides(state, south, north, radius, lat, lon, value, sign)
        new = step(padded, start - south)
        expected = state.shape[:-2] + (
            padded.shape[-2] - 2 * radius,
            state.shape[-1],
        )
        if not isinstance(new, np.ndarray) or new.shape != expected:
            got = getattr(new, "shape", type(new).__name__)
            raise ValueError(
                f"step must return the interior of its padded input, shape {expected}; got {got}"
            )
        state = new
        start = start - south + radius
    lo = block.own_start - start
    return state[..., lo : lo + block.own_stop - block.own_start, :]
