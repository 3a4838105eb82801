import warnings

import astropy.units as u
import numpy as np
import pandas as pd
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import QTable, Table
from astropy.time import Time

from workloads.skymatch.api import crossmatch, match_arrays, parse_radius

LEFT = ([10.0, 10.5, 200.0, 359.9999], [20.0, -5.0, 89.99, 0.0])
RIGHT = ([10.0001, 200.0, 0.00005, 90.0], [20.0, 89.99, 0.0, 0.0])
EXPECTED = [(0, 0), (2, 1), (3, 2)]


def pairs(t):
    return list(
        zip(
            np.asarray(t["left_index"]).tolist(), np.asarray(t["right_index"]).tolist(), strict=True
        )
    )


@pytest.mark.parametrize(
    "convert",
    [
        lambda ra, dec: (np.array(ra), np.array(dec)),
        lambda ra, dec: (np.array(ra) * u.deg, np.array(dec) * u.deg),
        lambda ra, dec: (np.deg2rad(ra) * u.rad, np.deg2rad(dec) * u.rad),
        lambda ra, dec: SkyCoord(ra, dec, unit="deg"),
        lambda ra, dec: Table({"ra": ra, "dec": dec}),
        lambda ra, dec: QTable({"ra": np.array(ra) * u.deg, "dec": np.array(dec) * u.deg}),
        lambda ra, dec: pd.DataFrame({"ra": ra, "dec": dec}),
    ],
    ids=["arrays", "quantity", "radians", "skycoord", "table", "qtable", "pandas"],
)
def test_every_input_kind_gives_the_same_pairs(convert):
    t = crossmatch(convert(*LEFT), convert(*RIGHT), 1 * u.arcsec)
    assert pairs(t) == EXPECTED
    assert t["separation_arcsec"].unit == u.arcsec


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".fits"])
def test_file_inputs(tmp_path, suffix):
    paths = []
    for name, (ra, dec) in (("l", LEFT), ("r", RIGHT)):
        p = tmp_path / f"{name}{suffix}"
        Table({"RA_deg": ra, "DEC_deg": dec}).write(p)
        paths.append(p)
    t = crossmatch(*paths, "1arcsec", columns=("RA_deg", "DEC_deg"))
    assert pairs(t) == EXPECTED


def test_pandas_output_and_columns_of_both_tables():
    left = Table({"ra": LEFT[0], "dec": LEFT[1], "name": ["a", "b", "c", "d"]})
    right = Table({"ra": RIGHT[0], "dec": RIGHT[1], "mag": [1.0, 2.0, 3.0, 4.0]})
    df = crossmatch(left, right, 1.0, output="pandas")
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == [
        "left_index",
        "right_index",
        "separation_arcsec",
        "ra_left",
        "dec_left",
        "name",
        "ra_right",
        "dec_right",
        "mag",
    ]
    assert df["name"].tolist() == ["a", "c", "d"]
    assert df["mag"].tolist() == [1.0, 2.0, 3.0]


def test_joins():
    left = Table({"ra": LEFT[0], "dec": LEFT[1], "name": ["a", "b", "c", "d"]})
    right = Table({"ra": RIGHT[0], "dec": RIGHT[1], "mag": [1.0, 2.0, 3.0, 4.0]})
    outer = crossmatch(left, right, 1.0, join="left")
    assert outer["left_index"].tolist() == [0, 1, 2, 3]
    assert outer["right_index"].tolist() == [0, -1, 1, 2]
    assert outer["mag"].mask.tolist() == [False, True, False, False]
    assert np.isnan(outer["separation_arcsec"][1])
    anti = crossmatch(left, right, 1.0, join="left-anti")
    assert anti["left_index"].tolist() == [1]
    assert anti["name"].tolist() == ["b"]


def test_parse_radius():
    assert parse_radius("1arcsec") == 1.0
    assert parse_radius(2 * u.arcmin) == 120.0
    assert parse_radius(0.5) == 0.5


@pytest.mark.parametrize(
    ("radius", "error", "match"),
    [
        (-1.0, ValueError, "radius must be a positive angle; got -1.0 arcsec"),
        (0, ValueError, "radius must be a positive angle"),
        (float("nan"), ValueError, "radius must be a positive angle"),
        (5 * u.m, TypeError, "radius must be an angle; got 5.0 m"),
        ("wide", ValueError, "radius must be an angle such as '1arcsec'"),
        ([1.0], TypeError, "radius must be an angle"),
        (200 * u.deg, ValueError, "radius must be at most 180 deg"),
    ],
)
def test_bad_radius(radius, error, match):
    with pytest.raises(error, match=match):
        crossmatch(LEFT, RIGHT, radius)


def test_bad_coordinates_are_named():
    with pytest.raises(
        ValueError,
        match=r"left catalog has 1 row\(s\) with NaN or infinite coordinates \(first at row 1\)",
    ):
        crossmatch(([1.0, np.nan], [0.0, 0.0]), RIGHT, 1.0)
    with pytest.raises(
        ValueError, match=r"right dec must lie in \[-90, 90\] deg; got 91.0 at row 0"
    ):
        crossmatch(LEFT, ([1.0], [91.0]), 1.0)
    with pytest.raises(ValueError, match="left catalog is empty"):
        crossmatch(([], []), RIGHT, 1.0)
    with pytest.raises(KeyError, match=r"right catalog is missing column\(s\) \['dec'\]"):
        crossmatch(LEFT, Table({"ra": [1.0], "de": [0.0]}), 1.0)
    with pytest.raises(TypeError, match="left catalog must be a SkyCoord, Table"):
        crossmatch({"ra": 1}, RIGHT, 1.0)
    with pytest.raises(ValueError, match="unrecognized mode 'closest'; must be one of"):
        crossmatch(LEFT, RIGHT, 1.0, mode="closest")
    with pytest.raises(ValueError, match="radius is required for mode='all'"):
        crossmatch(LEFT, RIGHT)
    with pytest.raises(TypeError, match="left ra must be an angle; got unit m"):
        crossmatch((np.array([1.0]) * u.m, np.array([1.0]) * u.deg), RIGHT, 1.0)


def test_skip_invalid_keeps_original_row_numbers():
    ra = [np.nan, LEFT[0][0], 5.0, LEFT[0][2]]
    dec = [0.0, LEFT[1][0], 95.0, LEFT[1][2]]
    with pytest.warns(UserWarning, match="skipped 2 of 4 rows"):
        t = crossmatch((ra, dec), RIGHT, 1.0, skip_invalid=True)
    assert pairs(t) == [(1, 0), (3, 1)]


def test_inputs_are_not_modified():
    ra = np.array([-10.0, 370.0])
    dec = np.array([0.0, 0.0])
    before = (ra.copy(), dec.copy())
    match_arrays(ra, dec, ra, dec, 1.0)
    np.testing.assert_array_equal(ra, before[0])
    np.testing.assert_array_equal(dec, before[1])


def test_epoch_propagation_needs_motions_and_epochs():
    moving = Table(
        {"ra": [10.0], "dec": [0.0], "pmra": [3600e3], "pmdec": [0.0]}, meta={"epoch": 2000.0}
    )
    target = Table({"ra": [11.0], "dec": [0.0]}, meta={"epoch": 2001.0})
    t = crossmatch(moving, target, 1.0, epoch=2001.0)
    assert pairs(t) == [(0, 0)]
    with pytest.raises(
        ValueError, match="left catalog is at epoch J2000 but has no proper-motion columns"
    ):
        crossmatch(
            Table({"ra": [10.0], "dec": [0.0]}, meta={"epoch": 2000.0}), target, 1.0, epoch=2001.0
        )
    with pytest.raises(
        ValueError, match="left catalog has no epoch to propagate from; pass left_epoch="
    ):
        crossmatch(
            Table({"ra": [10.0], "dec": [0.0], "pmra": [0.0], "pmdec": [0.0]}),
            target,
            1.0,
            epoch=2001.0,
        )
    with pytest.warns(UserWarning, match="pass epoch= to propagate"):
        crossmatch(moving, target, 1.0)


def test_skycoord_with_motions_and_obstime():
    c = SkyCoord(
        ra=[10.0] * u.deg,
        dec=[0.0] * u.deg,
        pm_ra_cosdec=[3600e3] * u.mas / u.yr,
        pm_dec=[0.0] * u.mas / u.yr,
        obstime=Time(2000.0, format="jyear"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = crossmatch(c, ([11.0], [0.0]), 1.0, epoch=2001.0)
    assert pairs(t) == [(0, 0)]
