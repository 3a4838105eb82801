import math

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import angular_separation

from accel.sphere import (
    angle_from_chord,
    chord_from_angle,
    count_invalid,
    ra_half_width,
    ra_half_width_nb,
    radec_to_xyz,
    radians_wrapped,
    radians_wrapped_reference,
    separation,
    separation_nb,
)


def test_radians_wrapped_matches_reference(rng):
    ra = np.concatenate([rng.uniform(-720, 720, 1000), [-1e-300, -0.0, 360.0, 720.0, -360.0]])
    dec = rng.uniform(-90, 90, ra.size)
    got = radians_wrapped(ra, dec)
    want = radians_wrapped_reference(ra, dec)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert got[0].min() >= 0 and got[0].max() < 2 * np.pi


def test_count_invalid():
    ra = np.array([0.0, np.nan, 1.0, np.inf, 2.0])
    dec = np.array([0.0, 0.0, 90.5, 0.0, -90.0])
    assert count_invalid(ra, dec) == (2, 1)


@pytest.mark.parametrize("angle_arcsec", [1e-6, 1e-3, 1.0, 3600.0, 180 * 3600.0 - 1])
def test_separation_is_accurate_at_all_scales(angle_arcsec):
    # Two points angle apart near the pole: compare with astropy's Vincenty formula.
    ra1, dec1 = 0.3, np.deg2rad(89.9)
    dec2 = dec1 - np.deg2rad(angle_arcsec / 3600.0)
    a = radec_to_xyz(np.array([ra1]), np.array([dec1]))[0]
    b = radec_to_xyz(np.array([ra1]), np.array([dec2]))[0]
    want = angular_separation(ra1 * u.rad, dec1 * u.rad, ra1 * u.rad, dec2 * u.rad).to_value(u.rad)
    got = separation(a, b)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-15)
    assert separation_nb(*a, *b) == pytest.approx(float(got), rel=1e-14, abs=1e-18)


def test_chord_angle_roundtrip(rng):
    angles = rng.uniform(0, np.pi, 100)
    np.testing.assert_allclose(angle_from_chord(chord_from_angle(angles)), angles, rtol=1e-12)


@pytest.mark.parametrize("dec_deg", [0.0, 45.0, -80.0, 89.0, 89.999])
@pytest.mark.parametrize("radius_deg", [1e-4, 0.5, 5.0])
def test_ra_half_width_bounds_the_cap(dec_deg, radius_deg, rng):
    dec, r = np.deg2rad(dec_deg), np.deg2rad(radius_deg)
    half = float(ra_half_width(np.array(dec), r))
    assert half == ra_half_width_nb(dec, r)
    # Sample the cap's boundary: no point lies further in RA than the half-width.
    theta = np.linspace(0, 2 * np.pi, 2001)
    centre = radec_to_xyz(np.array([0.0]), np.array([dec]))[0]
    east = np.array([0.0, 1.0, 0.0])
    north = np.cross(centre, east)
    pts = np.cos(r) * centre + np.sin(r) * (
        np.outer(np.cos(theta), east) + np.outer(np.sin(theta), north)
    )
    dra = np.abs(np.arctan2(pts[:, 1], pts[:, 0]))
    if half < math.pi:
        assert dra.max() <= half * (1 + 1e-12)
        assert dra.max() >= half * (1 - 1e-5)  # and the bound is tight
