"""NumPy references for the canonical weather stencils (the oracle for the Numba kernels).

Fields are ``(level, lat, lon)`` float64.  The formulations are those of the
GridTools benchmarks (``stencil_benchmarks``' ``HorizontalDiffusionStencil`` and
``VerticalAdvectionStencil`` verifiers, the GT4Py integration-test stencils, and
npbench's ``weather_stencils``), with GridTools' ``i`` axis mapped to longitude and
``j`` to latitude.  The Numba kernels agree with these bit for bit.  The
``hdiff`` expressions are written in the kernel's operation order; the ``vadv``
kernel rewrites some of the Thomas coefficients (``dtr - acol - cc`` as ``dtr +
ccp - cc`` with ``ccp == -acol``, and similar), which IEEE arithmetic makes
exactly equal: the identities are given in :mod:`.vadv_kernels`' docstring.

* :func:`hdiff_padded` / :func:`vadv_staggered` take their halo explicitly (the
  GridTools convention: a 2-cell halo around ``hdiff``'s input, one extra
  staggered longitude column of ``wcon``).
* :func:`hdiff` / :func:`vadv` have the signatures of
  :mod:`workloads.weather.canonical` and build that halo for a global grid.
"""

from __future__ import annotations

import numpy as np

from accel.halo import pad

__all__ = ["BET_M", "BET_P", "hdiff_padded", "vadv_staggered", "hdiff", "vadv"]

# Weights of the implicit (BET_P) and explicit (BET_M) parts of the vertical
# advection, 0.5 each: Crank-Nicolson, as in the COSMO/GridTools benchmark.
BET_M = 0.5
BET_P = 0.5


def hdiff_padded(padded: np.ndarray, coeff: np.ndarray | float) -> np.ndarray:
    """COSMO horizontal diffusion of a field that carries a halo of 2 cells.

    ``padded`` is ``(nlev, nlat + 4, nlon + 4)``; ``coeff`` broadcasts to the
    ``(nlev, nlat, nlon)`` result.

    Examples
    --------
    >>> import numpy as np
    >>> hdiff_padded(np.ones((1, 5, 5)), 0.1)
    array([[[1.]]])
    """
    c = padded
    lap = 4.0 * c[:, 1:-1, 1:-1] - (
        c[:, 1:-1, 2:] + c[:, 1:-1, :-2] + c[:, 2:, 1:-1] + c[:, :-2, 1:-1]
    )
    # lon fluxes on the faces i-1/2 .. nlon-1/2 of the owned rows
    lap_x = lap[:, 1:-1, :]
    in_x = c[:, 2:-2, 1:-1]
    flx = lap_x[:, :, 1:] - lap_x[:, :, :-1]
    flx = np.where(flx * (in_x[:, :, 1:] - in_x[:, :, :-1]) > 0.0, 0.0, flx)
    # lat fluxes on the faces j-1/2 .. nlat-1/2 of the owned columns
    lap_y = lap[:, :, 1:-1]
    in_y = c[:, 1:-1, 2:-2]
    fly = lap_y[:, 1:, :] - lap_y[:, :-1, :]
    fly = np.where(fly * (in_y[:, 1:, :] - in_y[:, :-1, :]) > 0.0, 0.0, fly)
    return c[:, 2:-2, 2:-2] - coeff * (
        flx[:, :, 1:] - flx[:, :, :-1] + fly[:, 1:, :] - fly[:, :-1, :]
    )


def vadv_staggered(
    utens_stage: np.ndarray,
    u_stage: np.ndarray,
    wcon: np.ndarray,
    u_pos: np.ndarray,
    utens: np.ndarray,
    dtr_stage: float,
) -> np.ndarray:
    """Implicit vertical advection of ``u`` (Thomas algorithm per column); returns new ``utens_stage``.

    All fields are ``(nlev, nlat, nlon)`` except ``wcon``, ``(nlev, nlat, nlon + 1)``:
    the vertical wind is averaged from lon columns ``i`` and ``i + 1`` to the u point.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.zeros((3, 1, 1))
    >>> vadv_staggered(z, z, np.zeros((3, 1, 2)), z + 1.0, z, 0.15).ravel()
    array([0., 0., 0.])
    """
    nlev = utens_stage.shape[0]
    ccol = np.empty_like(utens_stage)
    dcol = np.empty_like(utens_stage)
    w = wcon

    k = 0
    gcv = 0.25 * (w[k + 1, :, 1:] + w[k + 1, :, :-1])
    cs = gcv * BET_M
    cc = gcv * BET_P
    bcol = dtr_stage - cc
    corr = -cs * (u_stage[k + 1] - u_stage[k])
    d = dtr_stage * u_pos[k] + utens[k] + utens_stage[k] + corr
    divided = 1.0 / bcol
    ccol[k] = cc * divided
    dcol[k] = d * divided

    for k in range(1, nlev - 1):
        gav = -0.25 * (w[k, :, 1:] + w[k, :, :-1])
        gcv = 0.25 * (w[k + 1, :, 1:] + w[k + 1, :, :-1])
        as_ = gav * BET_M
        cs = gcv * BET_M
        acol = gav * BET_P
        cc = gcv * BET_P
        bcol = dtr_stage - acol - cc
        corr = -as_ * (u_stage[k - 1] - u_stage[k]) - cs * (u_stage[k + 1] - u_stage[k])
        d = dtr_stage * u_pos[k] + utens[k] + utens_stage[k] + corr
        divided = 1.0 / (bcol - ccol[k - 1] * acol)
        ccol[k] = cc * divided
        dcol[k] = (d - dcol[k - 1] * acol) * divided

    k = nlev - 1
    gav = -0.25 * (w[k, :, 1:] + w[k, :, :-1])
    as_ = gav * BET_M
    acol = gav * BET_P
    bcol = dtr_stage - acol
    corr = -as_ * (u_stage[k - 1] - u_stage[k])
    d = dtr_stage * u_pos[k] + utens[k] + utens_stage[k] + corr
    divided = 1.0 / (bcol - ccol[k - 1] * acol)
    dcol[k] = (d - dcol[k - 1] * acol) * divided

    out = np.empty_like(utens_stage)
    data = dcol[nlev - 1]
    out[nlev - 1] = dtr_stage * (data - u_pos[nlev - 1])
    for k in range(nlev - 2, -1, -1):
        data = dcol[k] - ccol[k] * data
        out[k] = dtr_stage * (data - u_pos[k])
    return out


def hdiff(
    field: np.ndarray,
    coeff: np.ndarray | float,
    *,
    halo: str = "pole",
    out: np.ndarray | None = None,
    check_finite: bool = True,
) -> np.ndarray:
    """Reference for :func:`workloads.weather.canonical.hdiff` (no input checks).

    Examples
    --------
    >>> import numpy as np
    >>> hdiff(np.ones((1, 4, 6)), 0.05).shape
    (1, 4, 6)
    """
    padded = pad(field, 2, lat="pole", lon="periodic") if halo == "pole" else field
    result = hdiff_padded(padded, coeff)
    if out is not None:
        out[...] = result
        return out
    return result


def vadv(
    utens_stage: np.ndarray,
    u_stage: np.ndarray,
    wcon: np.ndarray,
    u_pos: np.ndarray,
    utens: np.ndarray,
    dtr_stage: float = 3.0 / 20.0,
    *,
    out: np.ndarray | None = None,
    check_finite: bool = True,
) -> np.ndarray:
    """Reference for :func:`workloads.weather.canonical.vadv` (no input checks).

    Examples
    --------
    >>> import numpy as np
    >>> z = np.zeros((3, 2, 4))
    >>> vadv(z, z, z, z, z).shape
    (3, 2, 4)
    """
    if wcon.shape[-1] == utens_stage.shape[-1]:
        wcon = np.concatenate([wcon, wcon[..., :1]], axis=-1)  # periodic in longitude
    result = vadv_staggered(utens_stage, u_stage, wcon, u_pos, utens, dtr_stage)
    if out is not None:
        out[...] = result
        return out
    return result
