"""The canonical weather stencils: COSMO horizontal diffusion and vertical advection.

Both run on ``(level, lat, lon)`` float64 fields of a global latitude-longitude
grid (latitude rows at cell centres, no row on a pole) and use the formulations
of the GridTools benchmarks:

* ``hdiff``: fourth-order horizontal diffusion with a monotonic flux limiter, from
  the COSMO model, as in GridTools' ``stencil_benchmarks``
  (``HorizontalDiffusionStencil``) and GT4Py's integration-test stencils;
* ``vadv``: the implicit (Crank-Nicolson, ``BET_P = BET_M = 0.5``) vertical
  advection of the zonal wind, a tridiagonal system per column solved with the
  Thomas algorithm, as in ``stencil_benchmarks``' ``VerticalAdvectionStencil``
  (u component) and npbench's ``weather_stencils/vadv``.

GridTools' ``i`` axis is longitude here and ``j`` is latitude.

Halos.  Longitude is periodic.  ``hdiff`` needs :data:`HDIFF_HALO` = 2 cells:
by default the two rows beyond each pole are the rows at the same latitudes
180 deg of longitude away (:func:`accel.halo.ghost_rows`), which is what a
scalar field on the sphere looks like across the pole; with ``halo='included'``
the caller supplies the halo (GridTools' convention, and what a latitude block of
:mod:`accel.halo` carries).  ``vadv`` couples levels only, so it needs no
latitude halo; it reads ``wcon`` one longitude east (wrapping around), or from an
explicit extra column.
"""

from __future__ import annotations

import threading

import numba
import numpy as np

from .hdiff_kernels import hdiff_kernel, hdiff_stream_kernel
from .vadv_kernels import scratch_shape, vadv_kernel

__all__ = ["HDIFF_HALO", "HALO_MODES", "hdiff", "vadv"]

HDIFF_HALO = 2
HALO_MODES = ("pole", "included")
# Bytes of per-thread vadv scratch that set the strip length: the Thomas
# coefficients and the u_pos copy of a strip over all levels, and a gcv row,
# (3 * nlev + 1) * 8 bytes a point.  Strips are consecutive points of the flattened
# (lat, lon) plane, so they are not cut at the end of a short row.  Long strips
# give the hardware prefetcher long runs (every level of a strip is one run per
# input); the scratch then lives in L3, not L2, and that costs less.  Measured on a
# 1 MiB-L2, 32 MiB-L3 Zen 4, 64 levels, 2 threads, scratch kept between calls
# (benchmarks/vadv_strips.py and paired probes): 4072-point strips (6 MiB) beat
# 1024-point ones (1.5 MiB, which spill the L2 as well) by 6-20 % at 0.25 deg and
# 4-12 % at 1 deg.
VADV_SCRATCH_BYTES = 6 << 20
# A strip is at most this share of the points a thread gets, so threads finish
# together.
VADV_TASKS_PER_THREAD = 4
# Set to a number of points to override the strip length (the tests use it to force
# many partial strips).
VADV_STRIP: int | None = None
# Outputs of more bytes than this are written with non-temporal stores (see
# .nontemporal); None: each kernel's own default below.  The tests set it to force
# either path.
STREAM_MIN_BYTES: int | None = None
# vadv streams any output over 1 MiB, even one that fits in the last-level cache:
# output lines written through the cache take cache space from the strip's Thomas
# scratch, which the back substitution reads again.  Measured with repeated calls,
# 64 levels, 2 threads: on a 480 MiB-L3 Xeon with 1024-point strips, streaming was
# 8 % faster at 4 deg (2 MB output), 14 % at 2 deg, 15-18 % at 1 deg (33 MB) and
# equal at 0.5 deg; on the Zen 4 with 4072-point strips, 8 % faster at 1 deg and
# 15 % at 0.25 deg.
VADV_STREAM_DEFAULT_BYTES = 1 << 20


# vadv's scratch, kept per calling thread (Dask runs tasks in several threads of a
# worker) until a call needs another shape: allocating it on every call costs a page
# fault per 4 KiB, 2.5 k faults and 2-4 ms of system time a call at 1 deg (64
# levels, 6 MiB a thread), a quarter of the kernel's own time.
_VADV_SCRATCH = threading.local()


def _vadv_scratch(nchunks: int, nlev: int, strip: int) -> np.ndarray:
    shape = scratch_shape(nchunks, nlev, strip)
    buf = getattr(_VADV_SCRATCH, "buf", None)
    if buf is None or buf.shape != shape:
        buf = _VADV_SCRATCH.buf = np.empty(shape)
    return buf


def vadv_strip(nlev: int, npoints: int, nthreads: int) -> int:
    """Points of the (lat, lon) plane that vadv solves together: a multiple of 8 from
    :data:`VADV_SCRATCH_BYTES` and the thread count, unless :data:`VADV_STRIP` is set.

    Examples
    --------
    >>> vadv_strip(64, 64800, 2)  # 1 deg: 6 MiB of scratch
    4072
    >>> vadv_strip(64, 648, 2)  # 10 deg: at least 64, else 4 strips a thread
    80
    """
    if VADV_STRIP:
        return VADV_STRIP
    by_cache = VADV_SCRATCH_BYTES // ((3 * nlev + 1) * 8)
    by_balance = -(-npoints // (VADV_TASKS_PER_THREAD * nthreads))
    return max(64, min(by_cache, by_balance) // 8 * 8)


def _hdiff_streams(out: np.ndarray) -> bool:
    # hdiff writes through the cache unless STREAM_MIN_BYTES says otherwise.  Its
    # streaming path lost or tied everywhere it was measured (repeated calls, 64
    # levels, 2 threads): on a 480 MiB-L3 Xeon 17-23 % slower at 1 deg (33 MB
    # output) and 0-5 % faster at 0.25 deg (531 MB); on a 32 MiB-L3 Zen 4 45 %
    # slower at 1 deg and 15 % slower at 0.25 deg.
    return STREAM_MIN_BYTES is not None and out.nbytes > STREAM_MIN_BYTES


def _vadv_streams(out: np.ndarray) -> bool:
    limit = STREAM_MIN_BYTES if STREAM_MIN_BYTES is not None else VADV_STREAM_DEFAULT_BYTES
    return out.nbytes > limit


def _check_field(name: str, x: object) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array; got {type(x).__name__}")
    if x.dtype != np.float64:
        raise TypeError(f"{name} must be a float64 array; got {x.dtype}")
    if x.ndim != 3:
        raise ValueError(f"{name} must be 3-D (level, lat, lon); got {x.ndim}-D shape {x.shape}")
    return np.ascontiguousarray(x)


def _check_finite(name: str, x: np.ndarray) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        where = tuple(int(v) for v in np.argwhere(bad)[0])
        raise ValueError(f"{name} must be finite; got {x[where]} at index {where}")


def _check_out(out: object, shape: tuple[int, ...], inputs: list[np.ndarray]) -> np.ndarray:
    if out is None:
        return np.empty(shape)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy array; got {type(out).__name__}")
    if out.dtype != np.float64 or out.shape != shape or not out.flags.c_contiguous:
        raise ValueError(
            f"out must be a C-contiguous float64 array of shape {shape}; "
            f"got {out.dtype} {out.shape}{'' if out.flags.c_contiguous else ' (not contiguous)'}"
        )
    if any(np.may_share_memory(out, x) for x in inputs):
        raise ValueError("out must not share memory with an input (inputs are never modified)")
    return out


def hdiff(
    field: np.ndarray,
    coeff: np.ndarray | float,
    *,
    halo: str = "pole",
    out: np.ndarray | None = None,
    check_values: bool = True,
) -> np.ndarray:
    """COSMO horizontal diffusion with flux limiter (GridTools benchmark formulation).

    ``lap = 4 in - (in[i+1] + in[i-1] + in[j+1] + in[j-1])``; the fluxes
    ``flx = lap[i+1] - lap`` and ``fly = lap[j+1] - lap`` are set to zero where
    they point down the gradient of ``in`` (``flx * (in[i+1] - in) > 0``); then
    ``out = in - coeff * (flx - flx[i-1] + fly - fly[j-1])``.

    Kept exactly as the benchmarks publish it, this sign convention makes the
    unlimited flux run *up* the gradient of a smooth field, so the limiter zeroes
    it there: a single smooth wave comes out unchanged, and next to a sharp peak
    only the outer fluxes survive (see the example).  The operator works in index
    space (no metric terms), as in the benchmarks; its cost and memory traffic are
    what it is measured for.

    Parameters
    ----------
    field
        ``(nlev, nlat, nlon)`` float64.  With ``halo='pole'`` a whole global grid
        (``nlon`` even, ``nlat >= 2``); with ``halo='included'`` a block that
        carries 2 halo cells on each side of both horizontal axes.  Not modified.
    coeff
        Dimensionless diffusion coefficient, ``>= 0``: a number, or an array with
        the shape of the result.
    halo
        ``'pole'`` (periodic longitude, across-the-pole ghost rows) or
        ``'included'``.
    out
        Optional C-contiguous float64 array for the result.
    check_values
        Check that ``field`` and ``coeff`` are finite and ``coeff >= 0`` (one
        pass over the data; turn off only for inputs known to be clean).

    Returns
    -------
    numpy.ndarray
        The diffused field: ``field``'s shape, or 4 smaller on both horizontal
        axes with ``halo='included'``.

    Examples
    --------
    >>> import numpy as np
    >>> from workloads.weather.canonical import hdiff
    >>> field = np.full((2, 8, 16), 3.0)
    >>> field[0, 4, 8] = 4.0
    >>> out = hdiff(field, 0.05)
    >>> out[0, 4, 6:11].round(3).tolist()
    [3.05, 2.85, 4.0, 2.85, 3.05]
    >>> bool((out[1] == 3.0).all())
    True
    """
    field = _check_field("field", field)
    if halo not in HALO_MODES:
        raise ValueError(f"halo must be one of {list(HALO_MODES)}; got {halo!r}")
    nlev, nlat, nlon = field.shape
    if halo == "pole":
        if nlon % 2 or nlon < 2:
            raise ValueError(
                f"field needs an even number of longitudes for 'pole' halos; got {nlon}"
            )
        if nlat < HDIFF_HALO:
            raise ValueError(f"field needs at least {HDIFF_HALO} latitudes; got {nlat}")
        shape = field.shape
    else:
        if nlat <= 2 * HDIFF_HALO or nlon <= 2 * HDIFF_HALO:
            raise ValueError(
                f"field with an included halo needs more than {2 * HDIFF_HALO} cells on each "
                f"horizontal axis; got shape {field.shape}"
            )
        shape = (nlev, nlat - 2 * HDIFF_HALO, nlon - 2 * HDIFF_HALO)

    if isinstance(coeff, np.ndarray) and coeff.ndim > 0:
        if coeff.shape != shape:
            raise ValueError(
                f"coeff must be a number or an array of shape {shape}; got {coeff.shape}"
            )
        coeff_arr = _check_field("coeff", coeff)
    elif isinstance(coeff, int | float | np.number) and not isinstance(coeff, bool | complex):
        coeff_arr = np.full((1, 1, 1), float(coeff))
    else:
        raise TypeError(
            f"coeff must be a real number or a float64 array; got {type(coeff).__name__}"
        )
    if check_values:
        _check_finite("field", field)
        _check_finite("coeff", coeff_arr)
        if coeff_arr.min() < 0:
            raise ValueError(
                f"coeff must be non-negative (a diffusion coefficient); got {coeff_arr.min()}"
            )
    out = _check_out(out, shape, [field, coeff_arr])

    # 'pole': the kernel folds the rows beyond each pole itself (the rows
    # accel.halo.ghost_rows builds), which spares a gather that cost ~10 % of the
    # kernel's time at 1 degree
    lat0 = lon_halo = 0 if halo == "pole" else HDIFF_HALO
    nchunks = numba.get_num_threads()
    # enough (level, band) tasks to balance the threads even for a single level
    nbands = max(1, min(shape[1], -(-8 * nchunks // nlev)))
    kernel = hdiff_stream_kernel if _hdiff_streams(out) else hdiff_kernel
    kernel(field, lat0, lon_halo, coeff_arr, nbands, nchunks, out)
    return out


def vadv(
    utens_stage: np.ndarray,
    u_stage: np.ndarray,
    wcon: np.ndarray,
    u_pos: np.ndarray,
    utens: np.ndarray,
    dtr_stage: float = 3.0 / 20.0,
    *,
    out: np.ndarray | None = None,
    check_values: bool = True,
) -> np.ndarray:
    """Implicit vertical advection of the zonal wind (GridTools benchmark formulation).

    For each column, with ``gav = -(wcon[k] + wcon[k, i+1]) / 4`` and
    ``gcv = (wcon[k+1] + wcon[k+1, i+1]) / 4``, the system
    ``a[k] x[k-1] + b[k] x[k] + c[k] x[k+1] = d[k]`` with ``a = BET_P gav``,
    ``c = BET_P gcv``, ``b = dtr_stage - a - c`` and ``d = dtr_stage u_pos + utens
    + utens_stage`` plus the explicit ``BET_M`` part of the advection is solved by
    the Thomas algorithm (top and bottom levels drop the missing neighbour), and
    the new tendency is ``dtr_stage (x - u_pos)``.

    Parameters
    ----------
    utens_stage, u_stage, u_pos, utens
        ``(nlev, nlat, nlon)`` float64, ``nlev >= 2``: the stage tendency, the
        stage wind, the wind at the start of the step and the other tendencies
        (GridTools' names).  Not modified.
    wcon
        Vertical contravariant wind at u's levels, ``(nlev, nlat, nlon)`` (the
        eastern neighbour of the last column is the first, periodic longitude) or
        ``(nlev, nlat, nlon + 1)`` with the eastern column included.
    dtr_stage
        Reciprocal of the stage time step in 1/s, positive.
    out
        Optional C-contiguous float64 array for the result.
    check_values
        Check that every input is finite (one pass over the data).

    Returns
    -------
    numpy.ndarray
        The new ``utens_stage``, ``(nlev, nlat, nlon)``.

    Notes
    -----
    An output of more than 1 MiB is written with non-temporal stores, which go
    past the caches, so a caller that reads it right away reads it from memory.
    Each calling thread keeps a work array (up to about 6 MiB per Numba thread)
    from call to call, so repeated calls do not map fresh pages.

    Examples
    --------
    >>> import numpy as np
    >>> from workloads.weather.canonical import vadv
    >>> rng = np.random.default_rng(0)
    >>> u = [rng.random((4, 3, 6)) for _ in range(5)]
    >>> vadv(*u).shape
    (4, 3, 6)
    >>> bool(np.allclose(vadv(u[0], u[1], np.zeros((4, 3, 6)), u[3], u[4]), u[0] + u[4]))
    True
    """
    names = ("utens_stage", "u_stage", "u_pos", "utens")
    fields = [
        _check_field(n, x) for n, x in zip(names, (utens_stage, u_stage, u_pos, utens), strict=True)
    ]
    shape = fields[0].shape
    for n, x in zip(names[1:], fields[1:], strict=True):
        if x.shape != shape:
            raise ValueError(f"{n} must have the shape of utens_stage {shape}; got {x.shape}")
    if shape[0] < 2:
        raise ValueError(f"fields need at least 2 levels for the vertical solve; got {shape[0]}")
    wcon = _check_field("wcon", wcon)
    nlev, nlat, nlon = shape
    if wcon.shape not in ((nlev, nlat, nlon), (nlev, nlat, nlon + 1)):
        raise ValueError(
            f"wcon must have shape {shape} or {(nlev, nlat, nlon + 1)} (eastern column included); "
            f"got {wcon.shape}"
        )
    if isinstance(dtr_stage, bool) or not isinstance(
        dtr_stage, int | float | np.floating | np.integer
    ):
        raise TypeError(f"dtr_stage must be a real number; got {type(dtr_stage).__name__}")
    if not (np.isfinite(dtr_stage) and dtr_stage > 0):
        raise ValueError(
            f"dtr_stage must be a positive reciprocal time step in 1/s; got {dtr_stage}"
        )
    if check_values:
        for n, x in zip(names, fields, strict=True):
            _check_finite(n, x)
        _check_finite("wcon", wcon)
    out = _check_out(out, shape, [*fields, wcon])
    utens_stage, u_stage, u_pos, utens = fields
    wrap = wcon.shape[-1] == nlon
    nthreads = numba.get_num_threads()
    scratch = _vadv_scratch(nthreads, nlev, vadv_strip(nlev, nlat * nlon, nthreads))
    vadv_kernel(
        utens_stage, u_stage, wcon, u_pos, utens, float(dtr_stage), wrap,
        _vadv_streams(out), scratch, out,
    )  # fmt: skip
    return out
