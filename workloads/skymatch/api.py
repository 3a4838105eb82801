"""Public cross-match functions: what notebooks and scripts call.

>>> import numpy as np
>>> from workloads.skymatch.api import crossmatch
>>> t = crossmatch(([10.0, 20.0], [0.0, 45.0]), ([10.0001, 50.0], [0.0, 0.0]), "1arcsec")
>>> t["left_index", "right_index"].as_array().tolist()
[(0, 0)]
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal

import astropy.units as u
import numpy as np
from astropy.table import MaskedColumn, Table

from accel.neighbours import nearest, pairs_within
from accel.sphere import radians_wrapped
from workloads.skymatch.best import best_pairs, best_per_row
from workloads.skymatch.catalog import Catalog, CatalogLike, as_catalog
from workloads.skymatch.epoch import propagate

__all__ = ["crossmatch", "match_arrays", "parse_radius", "MODES", "JOINS"]

ARCSEC_PER_RAD = 180.0 * 3600.0 / math.pi
MODES = ("all", "nearest", "best", "best-left", "best-right")
JOINS = ("inner", "left", "left-anti")


def parse_radius(radius: Any, name: str = "radius") -> float:
    """A positive angle as arcseconds: a ``Quantity``, a string like ``"1arcsec"``, or a number of arcsec.

    Examples
    --------
    >>> parse_radius("2 arcmin"), parse_radius(1.5), parse_radius(1 * u.deg)
    (120.0, 1.5, 3600.0)
    """
    if isinstance(radius, str):
        try:
            radius = u.Quantity(radius)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be an angle such as '1arcsec'; got {radius!r}") from exc
    if isinstance(radius, u.Quantity):
        if not radius.unit.is_equivalent(u.arcsec):
            raise u.UnitTypeError(f"{name} must be an angle; got {radius}")
        value = float(radius.to_value(u.arcsec))
    elif isinstance(radius, int | float | np.integer | np.floating) and not isinstance(
        radius, bool
    ):
        value = float(radius)
    else:
        raise TypeError(f"{name} must be an angle (Quantity, '1arcsec' or arcsec); got {radius!r}")
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"{name} must be a positive angle; got {value!r} arcsec")
    if value > 180.0 * 3600.0:
        raise ValueError(f"{name} must be at most 180 deg; got {value / 3600.0!r} deg")
    return value


def _radians(ra_deg: np.ndarray, dec_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return radians_wrapped(ra_deg, dec_deg)


def match_arrays(
    ra1_deg: np.ndarray,
    dec1_deg: np.ndarray,
    ra2_deg: np.ndarray,
    dec2_deg: np.ndarray,
    radius_arcsec: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs within ``radius_arcsec``: ``(left_idx, right_idx, sep_arcsec)``.

    The array fast path of :func:`crossmatch` (mode ``"all"``): inputs are validated,
    output is sorted by (left_idx, right_idx).  The pair set equals astropy's
    ``search_around_sky`` except, possibly, for pairs within 1e-9 arcsec of the radius.

    Examples
    --------
    >>> i, j, s = match_arrays(np.array([0.0]), np.array([0.0]),
    ...                        np.array([0.0, 1.0]), np.array([0.5 / 3600, 0.0]), 1.0)
    >>> i.tolist(), j.tolist(), s.round(6).tolist()
    ([0], [0], [0.5])
    """
    radius_arcsec = parse_radius(radius_arcsec, "radius_arcsec")
    left = as_catalog((ra1_deg, dec1_deg), "left")
    right = as_catalog((ra2_deg, dec2_deg), "right")
    i, j, sep = pairs_within(
        left.ra_deg,
        left.dec_deg,
        right.ra_deg,
        right.dec_deg,
        radius_arcsec / ARCSEC_PER_RAD,
        degrees=True,
    )
    sep *= ARCSEC_PER_RAD
    return i, j, sep


def _positions_at(cat: Catalog, target: float | None, skip_invalid: bool) -> tuple[Catalog, tuple]:
    """Radians of ``cat`` moved to ``target`` epoch (when it is set and differs)."""
    no_motion = cat.pmra_masyr is None or cat.pmdec_masyr is None
    if target is None or cat.epoch == target or (cat.epoch is None and no_motion):
        # A catalog with neither epoch nor motions is taken to be at the target epoch.
        return cat, _radians(cat.ra_deg, cat.dec_deg)
    if cat.epoch is None:
        raise ValueError(
            f"{cat.name} catalog has no epoch to propagate from; pass {cat.name}_epoch= "
            "(e.g. 1991.25 for Hipparcos) or set table.meta['epoch']"
        )
    if no_motion:
        raise ValueError(
            f"{cat.name} catalog is at epoch J{cat.epoch:g} but has no proper-motion columns to "
            f"propagate it to J{target:g}; name them with pm_columns="
        )
    bad = ~(np.isfinite(cat.pmra_masyr) & np.isfinite(cat.pmdec_masyr))
    if bad.any():
        if not skip_invalid:
            raise ValueError(
                f"{cat.name} catalog has {int(bad.sum())} row(s) with NaN proper motion "
                f"(first at row {int(cat.index[np.flatnonzero(bad)[0]])}); pass "
                "skip_invalid=True to drop them"
            )
        warnings.warn(
            f"{cat.name} catalog: skipped {int(bad.sum())} rows without proper motion", stacklevel=3
        )
        keep = ~bad
        cat = Catalog(
            cat.name,
            cat.ra_deg[keep],
            cat.dec_deg[keep],
            cat.index[keep],
            cat.pmra_masyr[keep],
            cat.pmdec_masyr[keep],
            cat.epoch,
            cat.table,
            cat.n_input,
        )
    ra, dec = _radians(cat.ra_deg, cat.dec_deg)
    return cat, propagate(ra, dec, cat.pmra_masyr, cat.pmdec_masyr, target - cat.epoch)


def _pairs_for_mode(mode, nthneighbor, left_pos, right_pos, radius_arcsec, n_left, n_right):
    if mode == "nearest":
        max_rad = None if radius_arcsec is None else radius_arcsec / ARCSEC_PER_RAD
        j, sep = nearest(*left_pos, *right_pos, k=nthneighbor, max_radius_rad=max_rad)
        j, sep = j[:, nthneighbor - 1], sep[:, nthneighbor - 1]
        i = np.flatnonzero(j >= 0)
        return i, j[i], sep[i]
    i, j, sep = pairs_within(*left_pos, *right_pos, radius_arcsec / ARCSEC_PER_RAD)
    if mode == "best":
        keep = best_pairs(i, j, sep, n_left, n_right)
    elif mode == "best-left":
        keep = best_per_row(i, j, sep)
    elif mode == "best-right":
        keep = best_per_row(j, i, sep)
    else:
        return i, j, sep
    return i[keep], j[keep], sep[keep]


def _take(table: Table, rows: np.ndarray, missing: np.ndarray | None) -> dict[str, Any]:
    """Columns of ``table`` at ``rows``; masked where ``missing``."""
    out = {}
    safe = np.where(missing, 0, rows) if missing is not None else rows
    for name in table.colnames:
        col = table[name]
        values = col[safe]
        if missing is not None and missing.any():
            values = MaskedColumn(values, mask=missing, name=name, unit=getattr(col, "unit", None))
        out[name] = values
    return out


def _assemble(left: Catalog, right: Catalog, i, j, sep, join, n_left_kept) -> Table:
    """Build the output table in left-row order from kept-row pair indices."""
    if join == "left-anti":
        matched = np.zeros(n_left_kept, dtype=bool)
        matched[i] = True
        rows = np.flatnonzero(~matched)
        out = Table({"left_index": left.index[rows]}, copy=False)
        if left.table is not None:
            for name, col in _take(left.table, left.index[rows], None).items():
                out[name if name not in out.colnames else f"{name}_left"] = col
        return out
    if join == "left":
        matched = np.zeros(n_left_kept, dtype=bool)
        matched[i] = True
        lonely = np.flatnonzero(~matched)
        i = np.concatenate([i, lonely])
        j = np.concatenate([j, np.full(lonely.shape[0], -1, dtype=np.int64)])
        sep = np.concatenate([sep, np.full(lonely.shape[0], np.nan)])
        order = np.lexsort((j, i))
        i, j, sep = i[order], j[order], sep[order]
    missing = j < 0
    left_rows = left.index[i]
    right_rows = np.where(missing, -1, right.index[np.where(missing, 0, j)])
    out = Table(
        {"left_index": left_rows, "right_index": right_rows, "separation_arcsec": sep},
        copy=False,
    )
    out["separation_arcsec"].unit = u.arcsec
    taken = []
    if left.table is not None:
        taken.append(("left", _take(left.table, left_rows, None)))
    if right.table is not None:
        taken.append(("right", _take(right.table, right_rows, missing)))
    names = [set(cols) for _, cols in taken]
    shared = set.intersection(*names) if len(names) == 2 else set()
    for side, cols in taken:
        for name, col in cols.items():
            out[f"{name}_{side}" if name in shared or name in out.colnames else name] = col
    return out


def crossmatch(
    left: CatalogLike,
    right: CatalogLike,
    radius: Any = None,
    *,
    mode: Literal["all", "nearest", "best", "best-left", "best-right"] = "all",
    nthneighbor: int = 1,
    join: Literal["inner", "left", "left-anti"] = "inner",
    columns: tuple[str, str] = ("ra", "dec"),
    left_columns: tuple[str, str] | None = None,
    right_columns: tuple[str, str] | None = None,
    pm_columns: tuple[str, str] = ("pmra", "pmdec"),
    epoch: float | None = None,
    left_epoch: float | None = None,
    right_epoch: float | None = None,
    skip_invalid: bool = False,
    output: Literal["astropy", "pandas"] = "astropy",
):
    """Cross-match two catalogs on the sky.

    Parameters
    ----------
    left, right
        ``SkyCoord``, ``Table``, pandas ``DataFrame``, ``(ra, dec)`` arrays in degrees
        (or Quantities), or a Parquet/FITS/CSV path.
    radius
        Match radius: a ``Quantity``, a string such as ``"1arcsec"``, or arcseconds.
        Required for every mode but ``"nearest"``, where it is an optional maximum.
    mode
        ``"all"`` every pair within ``radius`` (astropy ``search_around_sky``);
        ``"nearest"`` the ``nthneighbor``-th nearest right row of each left row
        (``match_to_catalog_sky``); ``"best"`` symmetric one-to-one best matches
        (STILTS ``find=best``); ``"best-left"``/``"best-right"`` the closest pair of
        each left / right row.
    join
        ``"inner"`` matched pairs only; ``"left"`` every left row, unmatched ones with
        ``right_index = -1`` and masked right columns; ``"left-anti"`` left rows
        without a match.
    columns, left_columns, right_columns
        Names of the (ra, dec) columns of table inputs, in degrees unless they carry units.
    pm_columns
        Proper-motion columns (mas/yr; RA component times cos Dec) used to propagate.
    epoch
        Target epoch (Julian year): each catalog whose epoch differs is moved there
        along its proper motion first.  Catalog epochs come from ``left_epoch`` /
        ``right_epoch``, ``table.meta['epoch']`` or ``SkyCoord.obstime``; a catalog
        with neither an epoch nor proper motions is taken to be at ``epoch`` already.
    skip_invalid
        Drop rows with NaN/inf coordinates (or |dec| > 90, or NaN proper motion when
        propagating) with a warning, instead of raising.
    output
        ``"astropy"`` for a ``Table``, ``"pandas"`` for a ``DataFrame``.

    Returns
    -------
    Table or DataFrame
        ``left_index``, ``right_index`` (row numbers in the inputs) and
        ``separation_arcsec``, then the input tables' columns (suffixed ``_left`` /
        ``_right`` where names clash), sorted by (left_index, right_index).

    Notes
    -----
    Guaranteed: the pair set of ``mode="all"`` equals astropy's ``search_around_sky``
    except possibly for pairs within 1e-9 arcsec of the radius; the output does not
    depend on the thread count or input order of the other catalog.  Implementation
    detail: declination zones cut into RA cells, searched by Numba kernels.

    Examples
    --------
    >>> t = crossmatch(([0.0, 1.0], [0.0, 0.0]), ([0.0002, 5.0], [0.0, 0.0]), 1 * u.arcsec,
    ...                join="left")
    >>> t["left_index"].tolist(), t["right_index"].tolist()
    ([0, 1], [0, -1])
    """
    if mode not in MODES:
        raise ValueError(f"unrecognized mode {mode!r}; must be one of {list(MODES)}")
    if join not in JOINS:
        raise ValueError(f"unrecognized join {join!r}; must be one of {list(JOINS)}")
    if output not in ("astropy", "pandas"):
        raise ValueError(f"unrecognized output {output!r}; must be one of ['astropy', 'pandas']")
    if isinstance(nthneighbor, bool) or not isinstance(nthneighbor, int | np.integer):
        raise TypeError(f"nthneighbor must be an integer; got {nthneighbor!r}")
    if nthneighbor < 1:
        raise ValueError(f"nthneighbor must be at least 1; got {nthneighbor}")
    if radius is None and mode != "nearest":
        raise ValueError(f"radius is required for mode={mode!r}")
    radius_arcsec = None if radius is None else parse_radius(radius)
    lcat = as_catalog(
        left,
        "left",
        columns=left_columns or columns,
        pm_columns=pm_columns,
        epoch=left_epoch,
        skip_invalid=skip_invalid,
    )
    rcat = as_catalog(
        right,
        "right",
        columns=right_columns or columns,
        pm_columns=pm_columns,
        epoch=right_epoch,
        skip_invalid=skip_invalid,
    )
    if epoch is None and None not in (lcat.epoch, rcat.epoch) and lcat.epoch != rcat.epoch:
        warnings.warn(
            f"left catalog is at J{lcat.epoch:g} and right at J{rcat.epoch:g}; pass epoch= to "
            "propagate proper motions before matching",
            stacklevel=2,
        )
    lcat, left_pos = _positions_at(lcat, epoch, skip_invalid)
    rcat, right_pos = _positions_at(rcat, epoch, skip_invalid)
    i, j, sep = _pairs_for_mode(
        mode, nthneighbor, left_pos, right_pos, radius_arcsec, len(lcat), len(rcat)
    )
    out = _assemble(lcat, rcat, i, j, sep * ARCSEC_PER_RAD, join, len(lcat))
    out.meta.update({"mode": mode, "join": join, "radius_arcsec": radius_arcsec, "epoch": epoch})
    if output == "pandas":
        return out.to_pandas(index=False)
    return out
