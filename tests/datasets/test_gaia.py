"""The Gaia DR3 G < 10 loader, the facts its docstring states about the file, and validation."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from accel_datasets.gaia import (
    GAIA_HEADER,
    GAIA_RECORD,
    _default_path,
    load_gaia_bright,
    parse_gaia_merged,
)
from accel_datasets.hipparcos import _default_path as hip2_path
from accel_datasets.hipparcos import load_hipparcos

DT_YR = 2016.0 - 1991.25


@pytest.fixture(scope="module")
def gaia():
    return load_gaia_bright()


@pytest.fixture(scope="module")
def hip():
    return load_hipparcos()


def test_rows_columns_units_epoch(gaia):
    assert len(gaia) == 482_176
    assert gaia.colnames == [
        "source_id",
        "ra",
        "dec",
        "phot_g_mean_mag",
        "phot_bp_mean_mag",
        "phot_rp_mean_mag",
        "from_hipparcos",
    ]
    assert gaia["source_id"].dtype == np.int64 and gaia["from_hipparcos"].dtype == bool
    assert gaia["ra"].dtype == np.float64 and gaia["ra"].unit == u.deg and gaia["dec"].unit == u.deg
    assert gaia["phot_g_mean_mag"].unit == u.mag
    assert gaia.meta["epoch"] == 2016.0 and gaia.meta["epoch_name"] == "J2016.0"
    assert "Gaia" in gaia.meta["source"]
    assert len(np.unique(gaia["source_id"])) == len(gaia)
    assert gaia["phot_g_mean_mag"].max() < 10.0


def test_header_matches_file():
    raw = _default_path().read_bytes()
    header = np.frombuffer(raw, GAIA_HEADER, count=1)[0]
    assert header["magic"] == b"GDR3" and header["version"] == 1 and header["count"] == 482_176
    assert GAIA_RECORD.itemsize == 36 and len(raw) == 16 + 36 * 482_176


def test_hipparcos_rows_are_minus_hip(gaia, hip):
    rows = gaia[gaia["from_hipparcos"]]
    assert len(rows) == 70 and np.all(rows["source_id"] < 0)
    assert np.all(gaia["source_id"][~gaia["from_hipparcos"]] > 0)
    idx = np.searchsorted(hip["hip"], -rows["source_id"])
    assert np.all(hip["hip"][idx] == -rows["source_id"])
    h = hip[idx]
    # Moved linearly in (ra, dec) from J1991.25 to J2016.0, except Polaris (documented).
    ra_moved = h["ra"] + h["pmra"] * DT_YR / 3.6e6 / np.cos(np.radians(h["dec"]))
    dec_moved = h["dec"] + h["pmdec"] * DT_YR / 3.6e6
    moved = (np.abs(rows["ra"] - ra_moved) * 3.6e6 < 1.0) & (
        np.abs(rows["dec"] - dec_moved) * 3.6e6 < 1.0
    )
    assert np.sum(~moved) == 1
    polaris = rows[~moved][0]
    assert polaris["source_id"] == -11767
    assert polaris["ra"] == h["ra"][~moved][0] and polaris["dec"] == h["dec"][~moved][0]
    # Their BP/RP fields are empty.
    assert np.isnan(rows["phot_bp_mean_mag"]).all() and np.isnan(rows["phot_rp_mean_mag"]).all()


def _ranks(x):
    return np.argsort(np.argsort(x)).astype(np.float64)


def test_fields_labelled_pm_are_bp_and_rp_magnitudes(gaia, hip):
    bp, rp, g = gaia["phot_bp_mean_mag"], gaia["phot_rp_mean_mag"], gaia["phot_g_mean_mag"]
    both = np.isfinite(bp) & np.isfinite(rp)
    # Proper motions are signed; these fields never are, and bracket G like BP and RP do.
    assert np.nanmin(bp) > 0 and np.nanmin(rp) > 0
    assert np.mean(hip["pmra"] < 0) > 0.3
    assert np.mean((rp[both] < g[both]) & (g[both] < bp[both])) > 0.9
    # Their difference is a colour: it follows the Hipparcos B-V (field 23 of hip2.dat).
    raw = np.loadtxt(hip2_path(), usecols=(0, 23))
    b_v = dict(zip(raw[:, 0].astype(np.int64), raw[:, 1], strict=True))
    bright = gaia[both & (g < 6.0)]
    moved_ra = hip["ra"] + hip["pmra"] * DT_YR / 3.6e6 / np.cos(np.radians(hip["dec"]))
    moved_dec = hip["dec"] + hip["pmdec"] * DT_YR / 3.6e6
    from astropy.coordinates import SkyCoord

    near = SkyCoord(bright["ra"].quantity, bright["dec"].quantity).match_to_catalog_sky(
        SkyCoord(np.asarray(moved_ra) * u.deg, np.asarray(moved_dec) * u.deg)
    )
    ok = near[1].arcsec < 0.5
    assert ok.sum() > 3000
    colour = np.asarray(bright["phot_bp_mean_mag"] - bright["phot_rp_mean_mag"])[ok]
    hip_b_v = np.array([b_v[h] for h in np.asarray(hip["hip"])[near[0][ok]]])
    assert np.corrcoef(_ranks(colour), _ranks(hip_b_v))[0, 1] > 0.95


def test_returns_independent_copies():
    first = load_gaia_bright()
    first["ra"][:] = 0.0
    assert load_gaia_bright()["ra"][0] != 0.0


@pytest.fixture(scope="module")
def small_records() -> np.ndarray:
    raw = _default_path().read_bytes()
    return np.frombuffer(raw, GAIA_RECORD, count=200, offset=16).copy()


def _write(path, records, *, magic=b"GDR3", version=1, count=None, cut=0):
    header = np.zeros(1, GAIA_HEADER)
    header["magic"], header["version"] = magic, version
    header["count"] = len(records) if count is None else count
    data = header.tobytes() + records.tobytes()
    path.write_bytes(data[: len(data) - cut])
    return path


def test_small_file_roundtrip(tmp_path, small_records, gaia):
    table = parse_gaia_merged(_write(tmp_path / "ok.bin", small_records))
    assert len(table) == 200
    assert np.array_equal(table["source_id"], gaia["source_id"][:200])
    assert np.array_equal(table["ra"], gaia["ra"][:200])


def test_bad_magic(tmp_path, small_records):
    with pytest.raises(ValueError, match=r"magic must be b'GDR3'; got b'GDR2'"):
        parse_gaia_merged(_write(tmp_path / "x.bin", small_records, magic=b"GDR2"))


def test_bad_version(tmp_path, small_records):
    with pytest.raises(ValueError, match=r"version must be 1; got 2"):
        parse_gaia_merged(_write(tmp_path / "x.bin", small_records, version=2))


def test_truncated_file(tmp_path, small_records):
    with pytest.raises(
        ValueError, match=r"size must be 16 \+ 36 \* count = 7216 bytes .* got 7196 bytes"
    ):
        parse_gaia_merged(_write(tmp_path / "x.bin", small_records, cut=20))


def test_count_disagrees_with_size(tmp_path, small_records):
    with pytest.raises(ValueError, match=r"for the header count 201; got 7216 bytes"):
        parse_gaia_merged(_write(tmp_path / "x.bin", small_records, count=201))


def test_short_header(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"GDR3\x01")
    with pytest.raises(ValueError, match=r"16-byte header; got 5 bytes"):
        parse_gaia_merged(path)


def test_non_finite_position(tmp_path, small_records):
    bad = small_records.copy()
    bad["dec"][7] = np.nan
    with pytest.raises(ValueError, match=r"dec must be finite; row 7 is not"):
        parse_gaia_merged(_write(tmp_path / "x.bin", bad))


def test_out_of_range(tmp_path, small_records):
    bad = small_records.copy()
    bad["ra"][3] = 360.5
    with pytest.raises(ValueError, match=r"ra must lie in \[0, 360\) deg; got range"):
        parse_gaia_merged(_write(tmp_path / "x.bin", bad))
    bad = small_records.copy()
    bad["phot_g_mean_mag"][3] = 12.0
    with pytest.raises(ValueError, match=r"G must lie in \[-2, 10.0\) mag"):
        parse_gaia_merged(_write(tmp_path / "x.bin", bad))


def test_duplicate_source_id(tmp_path, small_records):
    bad = small_records.copy()
    bad["source_id"][1] = bad["source_id"][0]
    with pytest.raises(ValueError, match=r"source_id must be unique"):
        parse_gaia_merged(_write(tmp_path / "x.bin", bad))
