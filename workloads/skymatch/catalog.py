"""Turn what users hold into a clean, validated catalog.

Accepted: astropy ``SkyCoord``, ``Table``/``QTable``, pandas ``DataFrame``, a
``(ra, dec)`` pair of arrays in degrees or Quantities, or a path to a Parquet,
FITS or CSV file.  Everything is validated here, once, so kernels can assume
clean arrays: finite coordinates, |dec| <= 90 deg, at least one row.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.table import Table

from accel.sphere import count_invalid

__all__ = ["Catalog", "as_catalog", "read_catalog"]

CatalogLike = Any  # SkyCoord | Table | pandas.DataFrame | tuple | str | os.PathLike


@dataclass
class Catalog:
    """Positions in degrees plus what matching may need from the user's rows.

    ``index`` maps each kept row to its row number in the user's input (rows with
    invalid coordinates are dropped only when the user opts in).
    """

    name: str
    ra_deg: np.ndarray
    dec_deg: np.ndarray
    index: np.ndarray
    pmra_masyr: np.ndarray | None = None
    pmdec_masyr: np.ndarray | None = None
    epoch: float | None = None
    table: Table | None = field(default=None, repr=False)
    n_input: int = 0

    def __len__(self) -> int:
        return int(self.ra_deg.shape[0])


def _to_degrees(values: Any, what: str) -> np.ndarray:
    if isinstance(values, u.Quantity):
        if not values.unit.is_equivalent(u.deg):
            raise u.UnitTypeError(f"{what} must be an angle; got unit {values.unit}")
        return np.asarray(values.to_value(u.deg), dtype=np.float64)
    unit = getattr(values, "unit", None)  # Table Column
    arr = np.asarray(values)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{what} must be numeric; got dtype {arr.dtype}")
    if unit is not None and unit != u.dimensionless_unscaled:
        if not u.Unit(unit).is_equivalent(u.deg):
            raise u.UnitTypeError(f"{what} must be an angle; got unit {unit}")
        return np.asarray((arr * u.Unit(unit)).to_value(u.deg), dtype=np.float64)
    return np.asarray(arr, dtype=np.float64)


def _to_masyr(values: Any, what: str) -> np.ndarray:
    unit = getattr(values, "unit", None)
    if unit is not None and unit != u.dimensionless_unscaled:
        if not u.Unit(unit).is_equivalent(u.mas / u.yr):
            raise u.UnitTypeError(f"{what} must be a proper motion (e.g. mas/yr); got unit {unit}")
        return np.asarray(u.Quantity(values, unit).to_value(u.mas / u.yr), dtype=np.float64)
    return np.asarray(values, dtype=np.float64)


def read_catalog(path: str | os.PathLike) -> Table:
    """Read a Parquet, FITS or CSV catalog into a ``Table`` (units kept where stored).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "c.csv")
    >>> Table({"ra": [1.0], "dec": [2.0]}).write(p)
    >>> read_catalog(p)["dec"][0]
    np.float64(2.0)
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"catalog file {str(path)!r} does not exist")
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return Table.read(path, format="parquet")
    if suffix in (".fits", ".fit", ".fits.gz"):
        return Table.read(path, format="fits")
    if suffix in (".csv", ".csv.gz"):
        return Table.read(path, format="ascii.csv")
    raise ValueError(
        f"catalog file {str(path)!r} has an unknown type {suffix!r}; use .parquet, .fits or .csv"
    )


def _epoch_of(meta: dict) -> float | None:
    epoch = meta.get("epoch") if meta else None
    return None if epoch is None else float(epoch)


def as_catalog(
    obj: CatalogLike,
    name: str = "left",
    *,
    columns: tuple[str, str] = ("ra", "dec"),
    pm_columns: tuple[str, str] = ("pmra", "pmdec"),
    epoch: float | None = None,
    skip_invalid: bool = False,
) -> Catalog:
    """Validate ``obj`` and return a :class:`Catalog`; ``name`` appears in every error.

    Examples
    --------
    >>> cat = as_catalog(([10.0, 20.0], [0.0, 45.0]), "left")
    >>> len(cat), cat.dec_deg.tolist()
    (2, [0.0, 45.0])
    """
    table = None
    pmra = pmdec = None
    meta_epoch = None
    if isinstance(obj, str | os.PathLike):
        obj = read_catalog(obj)
    if isinstance(obj, SkyCoord):
        icrs = obj.icrs if obj.frame.name != "icrs" else obj
        if icrs.ndim != 1:
            raise ValueError(f"{name} SkyCoord must be one-dimensional; got shape {obj.shape}")
        ra = icrs.ra.deg
        dec = icrs.dec.deg
        if "s" in icrs.data.differentials:
            pmra = icrs.pm_ra_cosdec.to_value(u.mas / u.yr)
            pmdec = icrs.pm_dec.to_value(u.mas / u.yr)
        if obj.obstime is not None and obj.obstime.isscalar:
            meta_epoch = float(obj.obstime.jyear)
        table = Table({"ra": ra * u.deg, "dec": dec * u.deg})
    elif isinstance(obj, tuple | list) and len(obj) == 2:
        ra = _to_degrees(obj[0], f"{name} ra")
        dec = _to_degrees(obj[1], f"{name} dec")
        if ra.ndim != 1 or ra.shape != dec.shape:
            raise ValueError(
                f"{name} ra and dec must be one-dimensional arrays of equal length; "
                f"got shapes {ra.shape} and {dec.shape}"
            )
    else:
        if not isinstance(obj, Table):
            try:
                import pandas as pd
            except ImportError:  # pragma: no cover
                pd = None
            if pd is not None and isinstance(obj, pd.DataFrame):
                obj = Table.from_pandas(obj, index=False)
            else:
                raise TypeError(
                    f"{name} catalog must be a SkyCoord, Table, DataFrame, (ra, dec) arrays or a "
                    f"file path; got {type(obj).__name__}"
                )
        missing = [c for c in columns if c not in obj.colnames]
        if missing:
            raise KeyError(
                f"{name} catalog is missing column(s) {missing}; it has {obj.colnames[:12]}"
                " (choose others with the columns argument)"
            )
        table = obj
        ra = _to_degrees(obj[columns[0]], f"{name} {columns[0]}")
        dec = _to_degrees(obj[columns[1]], f"{name} {columns[1]}")
        if all(c in obj.colnames for c in pm_columns):
            pmra = _to_masyr(obj[pm_columns[0]], f"{name} {pm_columns[0]}")
            pmdec = _to_masyr(obj[pm_columns[1]], f"{name} {pm_columns[1]}")
        meta_epoch = _epoch_of(obj.meta)
        if hasattr(ra, "mask"):
            ra = np.ma.filled(ra, np.nan)
    ra = np.asarray(ra, dtype=np.float64)
    dec = np.asarray(dec, dtype=np.float64)
    n_input = ra.shape[0]
    if n_input == 0:
        raise ValueError(f"{name} catalog is empty; it needs at least one row")
    index = np.arange(n_input, dtype=np.int64)
    if any(count_invalid(ra, dec)):  # one fused pass; the slow path below explains
        bad = ~(np.isfinite(ra) & np.isfinite(dec))
        out_of_range = np.abs(np.where(bad, 0.0, dec)) > 90.0
        if not skip_invalid:
            if bad.any():
                first = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"{name} catalog has {int(bad.sum())} row(s) with NaN or infinite coordinates "
                    f"(first at row {first}); pass skip_invalid=True to drop them"
                )
            first = int(np.flatnonzero(out_of_range)[0])
            raise ValueError(
                f"{name} dec must lie in [-90, 90] deg; got {float(dec[first])!r} at row {first}"
            )
        keep = ~(bad | out_of_range)
        if not keep.any():
            raise ValueError(f"{name} catalog has no row with valid coordinates")
        warnings.warn(
            f"{name} catalog: skipped {int((~keep).sum())} of {n_input} rows with invalid "
            "coordinates",
            stacklevel=3,
        )
        index = index[keep]
        ra, dec = ra[keep], dec[keep]
        pmra = None if pmra is None else pmra[keep]
        pmdec = None if pmdec is None else pmdec[keep]
    return Catalog(
        name=name,
        ra_deg=ra,
        dec_deg=dec,
        index=index,
        pmra_masyr=pmra,
        pmdec_masyr=pmdec,
        epoch=epoch if epoch is not None else meta_epoch,
        table=table,
        n_input=n_input,
    )
