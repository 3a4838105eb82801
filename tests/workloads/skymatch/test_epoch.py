import astropy.units as u
import numpy as np
import pytest
from accel_datasets import load_hipparcos
from astropy.coordinates import SkyCoord

from workloads.skymatch.epoch import propagate, propagate_reference
from workloads.skymatch.reference import astropy_propagated


def test_kernel_matches_reference(rng):
    n = 5000
    ra = rng.uniform(0, 2 * np.pi, n)
    dec = np.arcsin(rng.uniform(-1, 1, n))
    dec[:10] = np.pi / 2 - 1e-9  # next to the pole
    pmra, pmdec = rng.normal(0, 500, n), rng.normal(0, 500, n)
    got = propagate(ra, dec, pmra, pmdec, 24.75)
    want = propagate_reference(ra, dec, pmra, pmdec, 24.75)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-14, atol=1e-14)


def test_zero_time_leaves_positions_alone(rng):
    ra = rng.uniform(0, 2 * np.pi, 100)
    dec = np.arcsin(rng.uniform(-1, 1, 100))
    got = propagate(ra, dec, rng.normal(0, 100, 100), rng.normal(0, 100, 100), 0.0)
    np.testing.assert_allclose(got[0], ra, rtol=0, atol=1e-15)
    np.testing.assert_allclose(got[1], dec, rtol=0, atol=1e-15)


@pytest.mark.slow
def test_every_hipparcos_star_agrees_with_astropy_within_1_mas():
    hip = load_hipparcos()
    ra, dec = propagate(
        np.deg2rad(hip["ra"].value),
        np.deg2rad(hip["dec"].value),
        hip["pmra"].value,
        hip["pmdec"].value,
        2016.0 - 1991.25,
    )
    moved = astropy_propagated(hip, 2016.0)
    ours = SkyCoord(ra * u.rad, dec * u.rad)
    sep_mas = ours.separation(moved).to_value(u.mas)
    assert sep_mas.max() < 1.0, f"worst star off by {sep_mas.max():.3g} mas"
    # and the motion itself is large: this is not a test of nothing
    start = SkyCoord(hip["ra"], hip["dec"])
    assert start.separation(moved).to_value(u.arcsec).max() > 60
