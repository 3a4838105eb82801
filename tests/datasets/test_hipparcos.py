"""The Hipparcos 2 loader: shape, units, spot checks against the raw file, validation."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from accel_datasets.hipparcos import HIPPARCOS_ROWS, _default_path, load_hipparcos, parse_hip2
from astropy.coordinates import SkyCoord


@pytest.fixture(scope="module")
def hip():
    return load_hipparcos()


@pytest.fixture(scope="module")
def raw_lines() -> list[str]:
    return _default_path().read_text().splitlines()


def test_rows_columns_units_epoch(hip):
    assert len(hip) == HIPPARCOS_ROWS == 117_955
    assert hip.colnames == ["hip", "ra", "dec", "parallax", "pmra", "pmdec", "hpmag"]
    assert hip["hip"].dtype == np.int64
    for name in ["ra", "dec", "parallax", "pmra", "pmdec", "hpmag"]:
        assert hip[name].dtype == np.float64
    assert hip["ra"].unit == u.deg and hip["dec"].unit == u.deg
    assert hip["parallax"].unit == u.mas
    assert hip["pmra"].unit == u.mas / u.yr and hip["pmdec"].unit == u.mas / u.yr
    assert hip["hpmag"].unit == u.mag
    assert hip.meta["epoch"] == 1991.25 and isinstance(hip.meta["epoch"], float)
    assert hip.meta["epoch_name"] == "J1991.25"
    assert "I/311" in hip.meta["source"]
    assert np.isfinite(hip["ra"]).all() and np.isfinite(hip["dec"]).all()
    assert hip["ra"].min() >= 0 and hip["ra"].max() < 360
    assert np.abs(hip["dec"]).max() <= 90
    assert np.all(np.diff(hip["hip"]) > 0)


@pytest.mark.parametrize("hip_id", [1, 11767, 32349, 91262, 120404])
def test_rows_match_raw_lines(hip, raw_lines, hip_id):
    # Read the star's line independently of the loader's parser, by its HIP field.
    line = next(s for s in raw_lines if int(s.split()[0]) == hip_id)
    fields = line.split()
    row = hip[np.searchsorted(hip["hip"], hip_id)]
    assert row["hip"] == hip_id
    assert row["ra"] == np.degrees(float(fields[4]))
    assert row["dec"] == np.degrees(float(fields[5]))
    assert row["parallax"] == float(fields[6])
    assert row["pmra"] == float(fields[7])
    assert row["pmdec"] == float(fields[8])
    assert row["hpmag"] == float(fields[19])


@pytest.mark.parametrize(
    ("hip_id", "ra_j2000", "dec_j2000", "hpmag"),
    [
        (32349, 101.28715533, -16.71611586, -1.09),  # Sirius
        (11767, 37.95456067, 89.26410897, 2.1),  # Polaris
        (91262, 279.23473479, 38.78368896, 0.09),  # Vega
    ],
)
def test_well_known_stars(hip, hip_id, ra_j2000, dec_j2000, hpmag):
    # J2000 SIMBAD positions; the catalogue is at J1991.25, so allow for 8.75 yr of proper motion.
    row = hip[np.searchsorted(hip["hip"], hip_id)]
    here = SkyCoord(row["ra"] * u.deg, row["dec"] * u.deg)
    there = SkyCoord(ra_j2000 * u.deg, dec_j2000 * u.deg)
    motion_arcsec = 8.75 * np.hypot(row["pmra"], row["pmdec"]) / 1000.0
    assert here.separation(there).arcsec < motion_arcsec + 1.0
    assert row["hpmag"] == pytest.approx(hpmag, abs=0.05)


def test_returns_independent_copies():
    first = load_hipparcos()
    first["ra"][0] = -1.0
    first.meta["epoch"] = 0.0
    second = load_hipparcos()
    assert second["ra"][0] != -1.0 and second.meta["epoch"] == 1991.25


def _write(tmp_path, lines):
    path = tmp_path / "hip2.dat"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_extract_parses_with_any_row_count(tmp_path, raw_lines):
    table = parse_hip2(_write(tmp_path, raw_lines[:50]), expected_rows=None)
    assert len(table) == 50 and table["hip"][49] == int(raw_lines[49].split()[0])


def test_wrong_row_count(tmp_path, raw_lines):
    with pytest.raises(ValueError, match=r"row count must be 117955; got 50"):
        parse_hip2(_write(tmp_path, raw_lines[:50]))


def test_missing_field(tmp_path, raw_lines):
    lines = raw_lines[:5]
    lines[3] = " ".join(lines[3].split()[:-1])
    with pytest.raises(ValueError, match=r"every line must hold 41 numeric fields"):
        parse_hip2(_write(tmp_path, lines), expected_rows=None)


def test_non_numeric_field(tmp_path, raw_lines):
    lines = raw_lines[:5]
    lines[2] = lines[2].replace("0.0000874051", "abcdefghijkl")
    with pytest.raises(ValueError, match=r"every line must hold 41 numeric fields"):
        parse_hip2(_write(tmp_path, lines), expected_rows=None)


def test_ra_out_of_range(tmp_path, raw_lines):
    lines = raw_lines[:5]
    lines[0] = lines[0].replace("0.0000159148", "7.0000159148")
    with pytest.raises(ValueError, match=r"RArad must lie in \[0, 2pi\); got range"):
        parse_hip2(_write(tmp_path, lines), expected_rows=None)


def test_dec_out_of_range(tmp_path, raw_lines):
    lines = raw_lines[:5]
    lines[0] = lines[0].replace("0.0190068680", "1.6190068680")
    with pytest.raises(
        ValueError, match=r"DErad must lie in \[-pi/2, pi/2\]; got max \|DErad\| 1.619"
    ):
        parse_hip2(_write(tmp_path, lines), expected_rows=None)


def test_duplicate_hip(tmp_path, raw_lines):
    with pytest.raises(ValueError, match=r"HIP numbers must be unique and increasing"):
        parse_hip2(_write(tmp_path, [raw_lines[0], raw_lines[0]]), expected_rows=None)


def test_non_finite(tmp_path, raw_lines):
    lines = raw_lines[:3]
    lines[1] = lines[1].replace("20.85", "  nan")
    with pytest.raises(ValueError, match=r"all fields must be finite; line 2 is not"):
        parse_hip2(_write(tmp_path, lines), expected_rows=None)


def test_empty_file(tmp_path):
    path = tmp_path / "hip2.dat"
    path.write_text("")
    with pytest.raises(
        ValueError, match=r"not a valid Hipparcos 2 hip2.dat file: the file is empty"
    ):
        parse_hip2(path, expected_rows=None)
