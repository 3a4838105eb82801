import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accel.neighbours import nearest, pairs_within
from accel.neighbours_reference import nearest_reference, pairs_within_reference


def _sky(rng, n, dec_range=(-90.0, 90.0), ra_range=(0.0, 360.0)):
    lo, hi = np.sin(np.deg2rad(dec_range))
    ra = np.deg2rad(rng.uniform(*ra_range, n)) % (2 * np.pi)
    return ra, np.arcsin(rng.uniform(lo, hi, n))


PATCHES = {
    "all-sky": {},
    "north-pole": {"dec_range": (88.0, 90.0)},
    "south-pole": {"dec_range": (-90.0, -89.0)},
    "ra-wrap": {"ra_range": (-1.0, 1.0), "dec_range": (-1.0, 1.0)},
}


@pytest.mark.parametrize("patch", PATCHES)
@pytest.mark.parametrize("radius_deg", [0.01 / 3600, 1 / 3600, 0.05, 3.0])
def test_pairs_within_matches_brute_force(patch, radius_deg, rng):
    n = 1500 if radius_deg < 1 else 300
    q = _sky(rng, n, **PATCHES[patch])
    p = _sky(rng, n, **PATCHES[patch])
    # Plant near neighbours on the scale of the radius, so every radius has pairs.
    p[0][: n // 3] = (q[0][: n // 3] + np.deg2rad(radius_deg) * rng.uniform(-1, 1, n // 3)) % (
        2 * np.pi
    )
    p[1][: n // 3] = np.clip(
        q[1][: n // 3] + np.deg2rad(radius_deg) * rng.uniform(-1, 1, n // 3), -np.pi / 2, np.pi / 2
    )
    r = np.deg2rad(radius_deg)
    i, j, sep = pairs_within(*q, *p, r)
    ri, rj, rsep = pairs_within_reference(*q, *p, r)
    assert i.size > 0
    np.testing.assert_array_equal(i, ri)
    np.testing.assert_array_equal(j, rj)
    np.testing.assert_allclose(sep, rsep, rtol=1e-12, atol=1e-18)


def test_duplicate_positions_all_pair_up(rng):
    ra, dec = _sky(rng, 50)
    ra = np.repeat(ra, 3)
    dec = np.repeat(dec, 3)
    i, j, sep = pairs_within(ra, dec, ra, dec, 1e-9)
    assert i.size == 50 * 9
    assert (sep == 0).all()


@pytest.mark.parametrize("patch", ["all-sky", "north-pole", "ra-wrap"])
@pytest.mark.parametrize("k", [1, 2, 5])
def test_nearest_matches_brute_force(patch, k, rng):
    q = _sky(rng, 400, **PATCHES[patch])
    p = _sky(rng, 300, **PATCHES[patch])
    j, sep = nearest(*q, *p, k=k)
    rj, rsep = nearest_reference(*q, *p, k=k)
    np.testing.assert_array_equal(j, rj)
    np.testing.assert_allclose(sep, rsep, rtol=1e-12)


def test_nearest_with_max_radius_leaves_unmatched(rng):
    q = _sky(rng, 300)
    p = _sky(rng, 30)
    j, sep = nearest(*q, *p, k=2, max_radius_rad=0.3)
    rj, rsep = nearest_reference(*q, *p, k=2, max_radius_rad=0.3)
    np.testing.assert_array_equal(j, rj)
    assert (j == -1).any() and np.isnan(sep[j == -1]).all()


def test_nearest_with_fewer_points_than_k():
    j, sep = nearest(np.array([0.0]), np.array([0.0]), np.array([1.0]), np.array([0.0]), k=3)
    assert j.tolist() == [[0, -1, -1]]


def test_output_does_not_depend_on_thread_count(rng):
    q = _sky(rng, 20_000)
    p = _sky(rng, 20_000)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = pairs_within(*q, *p, 0.003) + nearest(*q, *p, k=2)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = pairs_within(*q, *p, 0.003) + nearest(*q, *p, k=2)
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, many, strict=True):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200))
def test_pairs_do_not_depend_on_input_order(seed, n):
    rng = np.random.default_rng(seed)
    q = _sky(rng, n)
    p = _sky(rng, n)
    perm = rng.permutation(n)
    i, j, _ = pairs_within(*q, *p, 0.2)
    i2, j2, _ = pairs_within(*q, p[0][perm], p[1][perm], 0.2)
    got = sorted(zip(i.tolist(), j.tolist(), strict=True))
    want = sorted(zip(i2.tolist(), perm[j2].tolist(), strict=True))
    assert got == want


def test_degree_inputs_give_the_same_pairs_as_radians(rng):
    # The degree path converts inside the kernels (`degrees=True`); RA outside [0, 360)
    # must wrap exactly as accel.sphere.radians_wrapped does.
    from accel.sphere import radians_wrapped

    n = 20_000
    ra = rng.uniform(-360.0, 720.0, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    ra2 = ra[rng.permutation(n)] + rng.normal(0.0, 1e-3, n)
    dec2 = np.clip(dec[rng.permutation(n)] + rng.normal(0.0, 1e-3, n), -90.0, 90.0)
    radius = np.radians(0.5)
    got = pairs_within(ra, dec, ra2, dec2, radius, degrees=True)
    want = pairs_within(*radians_wrapped(ra, dec), *radians_wrapped(ra2, dec2), radius)
    assert got[0].size > 0
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
