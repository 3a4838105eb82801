"""Cut the committed sample files in ``samples/`` from the full catalogs.

Run ``python datasets/make_samples.py --force`` to rebuild them; without ``--force``
existing files are left alone and the script stops with an error. Each file is written
atomically (temporary file + rename).

Three patches, each chosen for a case a cross-match must get right:

* ``pole``: dec > 85, around the north celestial pole where RA windows break down;
* ``ra0``: |RA| <= 5 deg (wrapping 360 -> 0), |dec| <= 12 deg, where RA wraps;
* ``pleiades``: within 5 deg of the Pleiades, a dense cluster with close pairs.

The Gaia cut of each patch is the Hipparcos cut grown by ``MARGIN_DEG`` (0.1 deg =
360 arcsec), larger than the largest Hipparcos proper motion over J1991.25 -> J2016.0
(10.3 arcsec/yr * 24.75 yr = 255 arcsec), so every Hipparcos star's counterpart is
in the Gaia sample.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from accel_datasets.gaia import load_gaia_bright
from accel_datasets.hipparcos import load_hipparcos
from accel_datasets.samples import SAMPLES_DIR, write_sample_file
from astropy.table import Table

MARGIN_DEG = 0.1
_PLEIADES_RA_DEG, _PLEIADES_DEC_DEG, _PLEIADES_RADIUS_DEG = 56.75, 24.1167, 5.0


def _angle_deg(ra: np.ndarray, dec: np.ndarray, ra0: float, dec0: float) -> np.ndarray:
    # Haversine: accurate at small angles, unlike arccos of a dot product.
    ra, dec, ra0, dec0 = np.radians(ra), np.radians(dec), np.radians(ra0), np.radians(dec0)
    h = np.sin(0.5 * (dec - dec0)) ** 2 + np.cos(dec) * np.cos(dec0) * np.sin(0.5 * (ra - ra0)) ** 2
    return np.degrees(2.0 * np.arcsin(np.sqrt(np.minimum(h, 1.0))))


def _pole(ra: np.ndarray, dec: np.ndarray, margin: float) -> np.ndarray:
    return dec > 85.0 - margin


def _ra0(ra: np.ndarray, dec: np.ndarray, margin: float) -> np.ndarray:
    half_dec = 12.0 + margin
    # Grow the RA half-width by the margin measured on the sky at the patch's highest |dec|.
    half_ra = 5.0 + margin / np.cos(np.radians(half_dec))
    wrapped = np.where(ra > 180.0, ra - 360.0, ra)
    return (np.abs(wrapped) <= half_ra) & (np.abs(dec) <= half_dec)


def _pleiades(ra: np.ndarray, dec: np.ndarray, margin: float) -> np.ndarray:
    return _angle_deg(ra, dec, _PLEIADES_RA_DEG, _PLEIADES_DEC_DEG) <= _PLEIADES_RADIUS_DEG + margin


PATCHES: dict[str, tuple[str, Callable[[np.ndarray, np.ndarray, float], np.ndarray]]] = {
    "pole": ("dec > 85 deg", _pole),
    "ra0": ("|ra| <= 5 deg across 0/360, |dec| <= 12 deg", _ra0),
    "pleiades": (f"within {_PLEIADES_RADIUS_DEG} deg of (56.75, 24.1167) deg", _pleiades),
}


def cut(table: Table, patch: str, margin_deg: float) -> Table:
    """Rows of ``table`` inside ``patch`` grown by ``margin_deg``, in catalog order."""
    description, select = PATCHES[patch]
    keep = select(np.asarray(table["ra"]), np.asarray(table["dec"]), margin_deg)
    out = table[keep]
    grown = description if margin_deg == 0 else f"{description}, grown by {margin_deg} deg"
    out.meta = {**table.meta, "patch": grown, "margin_deg": float(margin_deg)}
    return out


def build_samples() -> dict[str, Table]:
    """Every sample table by name, cut from the full catalogs (nothing written)."""
    catalogs = {"hipparcos": (load_hipparcos(), 0.0), "gaia": (load_gaia_bright(), MARGIN_DEG)}
    return {
        f"{catalog}-{patch}": cut(table, patch, margin)
        for catalog, (table, margin) in catalogs.items()
        for patch in PATCHES
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Write the sample files; returns the exit status."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="example:\n  python datasets/make_samples.py --force",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out", type=Path, default=SAMPLES_DIR, help="output folder (default: %(default)s)"
    )
    parser.add_argument("--force", action="store_true", help="replace existing sample files")
    args = parser.parse_args(argv)
    samples = build_samples()
    existing = [name for name in samples if (args.out / f"{name}.parquet").exists()]
    if existing and not args.force:
        print(
            f"make_samples: {len(existing)} sample files exist in {args.out}; pass --force",
            file=sys.stderr,
        )
        return 1
    for name, table in samples.items():
        path = write_sample_file(table, args.out / f"{name}.parquet", overwrite=args.force)
        print(f"{path}: {len(table)} rows, {path.stat().st_size / 1024:.0f} KiB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
