"""Synthetic skies and pairs: geometry against astropy, truth, counts, seeds, errors."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from accel_datasets.synthetic import (
    GALACTIC_TO_ICRS,
    PLANE_SCALE_DEG,
    galactic_to_icrs,
    make_pair,
    offset_on_sphere,
    random_sky,
)
from astropy.coordinates import SkyCoord, angular_separation, position_angle


def _sep_arcsec(ra1, dec1, ra2, dec2):
    # astropy's Vincenty formula: accurate at all angles.
    return np.degrees(angular_separation(*np.radians([ra1, dec1, ra2, dec2]))) * 3600.0


def test_galactic_rotation_matches_astropy(rng):
    l_deg = rng.uniform(0, 360, 2000)
    b_deg = np.degrees(np.arcsin(rng.uniform(-1, 1, 2000)))
    l_deg[:3], b_deg[:3] = [0.0, 123.0, 0.0], [90.0, 0.0, -90.0]
    ra, dec = galactic_to_icrs(l_deg, b_deg)
    icrs = SkyCoord(l=l_deg * u.deg, b=b_deg * u.deg, frame="galactic").icrs
    # astropy goes through FK5 and its frame bias; the Hipparcos matrix is direct ICRS.
    assert icrs.separation(SkyCoord(ra * u.deg, dec * u.deg)).arcsec.max() < 0.1
    assert np.allclose(GALACTIC_TO_ICRS @ GALACTIC_TO_ICRS.T, np.eye(3), atol=1e-15)
    assert np.linalg.det(GALACTIC_TO_ICRS) == pytest.approx(1.0, abs=1e-15)


def test_random_sky_uniform():
    ra, dec = random_sky(200_000, seed=4)
    assert ra.dtype == dec.dtype == np.float64 and ra.shape == dec.shape == (200_000,)
    assert ra.min() >= 0 and ra.max() < 360 and np.abs(dec).max() <= 90
    # Uniform on the sphere: sin(dec) ~ U(-1, 1), mean 0 with sd 1/sqrt(3n).
    sigma = 1.0 / np.sqrt(3 * len(dec))
    assert abs(np.sin(np.radians(dec)).mean()) < 5 * sigma
    counts = np.histogram(np.sin(np.radians(dec)), bins=10, range=(-1, 1))[0]
    assert np.abs(counts - 20_000).max() < 5 * np.sqrt(20_000)
    counts = np.histogram(ra, bins=12, range=(0, 360))[0]
    assert np.abs(counts - len(ra) / 12).max() < 5 * np.sqrt(len(ra) / 12)


def test_random_sky_plane_contrast():
    f = 0.4
    ra, dec = random_sky(100_000, seed=5, plane_contrast=f)
    b = SkyCoord(ra * u.deg, dec * u.deg).galactic.b.deg
    # |b| < 10 deg: sin(10 deg) of the uniform part plus the disc's truncated exponential.
    h = PLANE_SCALE_DEG
    expected = (1 - f) * np.sin(np.radians(10.0)) + f * (1 - np.exp(-10 / h)) / (
        1 - np.exp(-90 / h)
    )
    observed = np.mean(np.abs(b) < 10.0)
    assert observed == pytest.approx(expected, abs=5 * np.sqrt(expected * (1 - expected) / len(b)))
    # Symmetric about the plane.
    assert abs(np.mean(b > 0) - 0.5) < 5 * np.sqrt(0.25 / len(b))


def test_random_sky_seeds():
    a = random_sky(1000, seed=1)
    assert all(np.array_equal(x, y) for x, y in zip(a, random_sky(1000, seed=1), strict=True))
    assert not np.array_equal(a[0], random_sky(1000, seed=2)[0])
    # A longer draw extends a shorter one: rows do not depend on n.
    assert np.array_equal(random_sky(10, seed=1)[0], random_sky(1000, seed=1)[0][:10])


@pytest.mark.parametrize("dec0", [90.0, -90.0, 89.9999999, 0.0, -45.0])
def test_offset_on_sphere_distance_and_direction(rng, dec0):
    n = 500
    ra0 = rng.uniform(0, 360, n)
    ra0[:2] = [0.0, 359.9999999]
    dec = np.full(n, dec0)
    # From 1 microarcsec to 10 degrees.
    rho = 10 ** rng.uniform(np.log10(np.radians(1e-6 / 3600)), np.log10(np.radians(10.0)), n)
    pa = rng.uniform(0, 2 * np.pi, n)
    east, north = rho * np.sin(pa), rho * np.cos(pa)
    ra1, dec1 = offset_on_sphere(ra0, dec, east, north)
    assert ra1.min() >= 0 and ra1.max() < 360
    got = angular_separation(*np.radians([ra0, dec, ra1, dec1]))
    # Degrees near 90 or 360 carry ~1e-16 rad of rounding, hence the absolute floor (4e-10 arcsec).
    np.testing.assert_allclose(got, rho, rtol=1e-9, atol=2e-15)
    if abs(dec0) < 89:  # the position angle is undefined at the pole itself
        got_pa = position_angle(*np.radians([ra0, dec, ra1, dec1])).to_value(u.rad)
        diff = np.angle(np.exp(1j * (got_pa - pa)))
        assert np.abs(diff[rho > 1e-9]).max() < 1e-6


def test_offset_from_the_pole_moves_along_meridian():
    ra, dec = offset_on_sphere(
        np.array([30.0]), np.array([90.0]), np.array([0.0]), np.array([np.radians(2.0)])
    )
    # North of the pole along the ra = 30 meridian lands on the far side, ra = 210.
    assert dec[0] == pytest.approx(88.0, abs=1e-12) and ra[0] == pytest.approx(210.0, abs=1e-9)
    ra, dec = offset_on_sphere(
        np.array([30.0]), np.array([90.0]), np.array([0.0]), np.array([-np.radians(2.0)])
    )
    assert dec[0] == pytest.approx(88.0, abs=1e-12) and ra[0] == pytest.approx(30.0, abs=1e-9)


@pytest.fixture(scope="module")
def pair():
    return make_pair(
        20_000, 22_000, matched_fraction=0.6, scatter_arcsec=0.5, spurious_fraction=0.1, seed=11
    )


def test_pair_counts_and_types(pair):
    assert pair.left_ra.shape == (20_000,) and pair.right_ra.shape == (22_000,)
    for a in (pair.left_ra, pair.left_dec, pair.right_ra, pair.right_dec):
        assert a.dtype == np.float64 and np.isfinite(a).all()
    assert (
        pair.right_ra.min() >= 0
        and pair.right_ra.max() < 360
        and np.abs(pair.right_dec).max() <= 90
    )
    assert pair.true_left.dtype == pair.true_right.dtype == pair.spurious_right.dtype == np.int64
    assert len(pair.true_left) == len(pair.true_right) == 12_000
    assert len(pair.spurious_right) == 2_200
    assert np.all(np.diff(pair.true_left) > 0)
    assert len(np.unique(pair.true_right)) == 12_000
    assert not np.intersect1d(pair.true_right, pair.spurious_right).size
    assert pair.scatter_arcsec == 0.5 and pair.seed == 11
    # Shuffled: the right order reveals nothing.
    assert not np.all(np.diff(pair.true_right) > 0)


def test_true_pairs_are_consistent_with_the_scatter(pair):
    sep = _sep_arcsec(
        pair.left_ra[pair.true_left],
        pair.left_dec[pair.true_left],
        pair.right_ra[pair.true_right],
        pair.right_dec[pair.true_right],
    )
    sigma = pair.scatter_arcsec
    assert sep.max() <= 10 * sigma
    # 2-D Gaussian of sigma per axis: sep^2 / (2 sigma^2) is exponential with mean 1.
    mean = np.mean(sep**2) / (2 * sigma**2)
    assert mean == pytest.approx(1.0, abs=5 / np.sqrt(len(sep)))
    assert np.median(sep) == pytest.approx(sigma * np.sqrt(2 * np.log(2)), rel=0.05)


def test_spurious_and_field_sources(pair):
    left = SkyCoord(pair.left_ra * u.deg, pair.left_dec * u.deg)
    right = SkyCoord(pair.right_ra * u.deg, pair.right_dec * u.deg)
    _, sep, _ = right.match_to_catalog_sky(left)
    sep = sep.arcsec
    sigma = pair.scatter_arcsec
    spur = sep[pair.spurious_right]
    assert spur.min() >= 3 * sigma * (1 - 1e-9) and spur.max() <= 6 * sigma * (1 + 1e-9)
    field = np.ones(len(sep), bool)
    field[pair.true_right] = field[pair.spurious_right] = False
    assert field.sum() == 22_000 - 12_000 - 2_200
    # Field sources are unrelated to the left ones: with 20,000 left sources over the sky,
    # a chance coincidence within 10 sigma (5 arcsec) has probability ~2 % for the whole set.
    assert sep[field].min() > 10 * sigma


def test_left_is_random_sky_and_independent_of_right_options():
    base = make_pair(3000, seed=9)
    ra, dec = random_sky(3000, seed=9)
    assert np.array_equal(base.left_ra, ra) and np.array_equal(base.left_dec, dec)
    other = make_pair(
        3000, 5000, matched_fraction=0.3, scatter_arcsec=2.0, spurious_fraction=0.2, seed=9
    )
    assert np.array_equal(other.left_ra, base.left_ra)
    again = make_pair(
        3000, 5000, matched_fraction=0.3, scatter_arcsec=2.0, spurious_fraction=0.2, seed=9
    )
    for name in ["left_ra", "right_ra", "right_dec", "true_left", "true_right", "spurious_right"]:
        assert np.array_equal(getattr(other, name), getattr(again, name))
    assert not np.array_equal(make_pair(3000, seed=10).right_ra, base.right_ra)


def test_unshuffled_order_and_defaults():
    pair = make_pair(1001, shuffle=False, scatter_arcsec=0.0, seed=2)
    assert len(pair.right_ra) == 1001 and len(pair.true_left) == round(0.5 * 1001)
    assert np.array_equal(pair.true_right, np.arange(len(pair.true_left)))
    # Zero scatter: exact copies.
    np.testing.assert_allclose(
        pair.right_ra[pair.true_right], pair.left_ra[pair.true_left], atol=1e-12
    )
    np.testing.assert_allclose(
        pair.right_dec[pair.true_right], pair.left_dec[pair.true_left], atol=1e-12
    )


def test_extreme_fractions_and_empty():
    all_matched = make_pair(500, matched_fraction=1.0, seed=3)
    assert np.array_equal(all_matched.true_left, np.arange(500))
    none = make_pair(500, matched_fraction=0.0, seed=3)
    assert none.true_left.size == 0 and none.right_ra.size == 500
    empty = make_pair(0, seed=3)
    assert empty.left_ra.size == empty.right_ra.size == empty.true_left.size == 0


def test_scatter_accepts_an_angle_quantity():
    pair = make_pair(100, scatter_arcsec=0.01 * u.arcmin, seed=1)
    assert pair.scatter_arcsec == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_left": -1}, ValueError, r"n_left must be a non-negative integer; got -1"),
        ({"n_left": 1e3}, TypeError, r"n_left must be an integer; got float 1000.0"),
        (
            {"n_left": 10, "n_right": 3},
            ValueError,
            r"n_right must hold the counterparts and spurious sources, 5 \+ 0; got n_right=3",
        ),
        (
            {"n_left": 10, "matched_fraction": 1.5},
            ValueError,
            r"matched_fraction must lie in \[0, 1\]; got 1.5",
        ),
        (
            {"n_left": 10, "spurious_fraction": -0.1},
            ValueError,
            r"spurious_fraction must lie in \[0, 1\]; got -0.1",
        ),
        (
            {"n_left": 10, "plane_contrast": 1.0},
            ValueError,
            r"plane_contrast must lie in \[0, 1\); got 1.0",
        ),
        (
            {"n_left": 10, "scatter_arcsec": -1.0},
            ValueError,
            r"scatter_arcsec must be a finite non-negative angle; got -1.0 arcsec",
        ),
        (
            {"n_left": 10, "scatter_arcsec": 1 * u.m},
            ValueError,
            r"scatter_arcsec must be an angle; got 1.0 m",
        ),
        (
            {"n_left": 10, "scatter_arcsec": "1"},
            TypeError,
            r"scatter_arcsec must be a real number or angle Quantity; got str",
        ),
        (
            {"n_left": 10, "spurious_fraction": 0.1, "scatter_arcsec": 0.0},
            ValueError,
            r"spurious_fraction > 0 needs scatter_arcsec > 0",
        ),
        ({"n_left": 10, "seed": -1}, ValueError, r"seed must be a non-negative integer; got -1"),
    ],
)
def test_make_pair_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_pair(**kwargs)


def test_random_sky_errors():
    with pytest.raises(TypeError, match=r"n must be an integer; got bool True"):
        random_sky(True)
    with pytest.raises(ValueError, match=r"plane_contrast must lie in \[0, 1\); got -0.5"):
        random_sky(10, plane_contrast=-0.5)


@pytest.mark.slow
def test_ten_million_rows():
    pair = make_pair(10_000_000, seed=1, spurious_fraction=0.01)
    assert pair.left_ra.size == pair.right_ra.size == 10_000_000
    assert pair.true_left.size == 5_000_000 and pair.spurious_right.size == 100_000
    assert np.unique(pair.true_right).size == 5_000_000
    idx = pair.true_left[::1000], pair.true_right[::1000]
    sep = _sep_arcsec(
        pair.left_ra[idx[0]], pair.left_dec[idx[0]], pair.right_ra[idx[1]], pair.right_dec[idx[1]]
    )
    assert sep.max() <= 10 * pair.scatter_arcsec
