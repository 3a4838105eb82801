"""Strip-generated synthetic pairs: kernel vs NumPy, truth, bounds, independence of strips."""

from __future__ import annotations

import math

import numpy as np
import pytest
from accel_datasets.sky_strips import (
    MAX_SCATTER_SIGMAS,
    make_strip,
    make_strip_pair,
    strip_count,
    strip_edges_z,
    strip_offset,
    strip_rows,
    strip_rows_reference,
    strip_uniforms,
)
from astropy.coordinates import angular_separation

from accel.sphere import radians_wrapped

N = 300_000  # 32 strips of ~9,400 rows


def _sep_arcsec(ra1, dec1, ra2, dec2):
    return np.degrees(angular_separation(*np.radians([ra1, dec1, ra2, dec2]))) * 3600.0


@pytest.mark.parametrize("s", [0, 7, 16, 31])  # both polar caps, mid-latitude, equator
def test_kernel_agrees_with_numpy_reference(s):
    u = strip_uniforms(N, s, seed=4)
    z = strip_edges_z(strip_count(N))
    ref, matched = strip_rows_reference(u, z[s], z[s + 1], 0.5, math.radians(0.3 / 3600))
    got = make_strip(N, s, seed=4)
    for a, b in zip(got, ref, strict=True):
        assert np.abs(a - b).max() * 3600 < 1e-8  # round-off of different trig libraries
    assert 0.45 < matched.mean() < 0.55


def test_radians_are_the_degrees_converted_like_the_matcher_does():
    deg = make_strip(N, 5, seed=2)
    rad = make_strip(N, 5, seed=2, radians=True)
    for d_ra, d_dec, r_ra, r_dec in (
        (deg[0], deg[1], rad[0], rad[1]),
        (deg[2], deg[3], rad[2], rad[3]),
    ):
        ra, dec = radians_wrapped(d_ra, d_dec)
        np.testing.assert_array_equal(ra, r_ra)  # bitwise: tiles must equal the catalog
        np.testing.assert_array_equal(dec, r_dec)


def test_whole_pair_is_its_strips_in_any_order():
    pair = make_strip_pair(N, seed=9)
    n_strips = strip_count(N)
    assert pair.left_ra.shape == pair.right_dec.shape == (N,)
    assert sum(strip_rows(N, s) for s in range(n_strips)) == N
    for s in (20, 3, 31):  # generated alone, out of order
        lo, hi = strip_offset(N, s), strip_offset(N, s + 1)
        for whole, piece in zip((pair.left_ra, pair.left_dec, pair.right_ra, pair.right_dec),
                                make_strip(N, s, seed=9), strict=True):  # fmt: skip
            np.testing.assert_array_equal(whole[lo:hi], piece)
    other = make_strip_pair(N, seed=10)
    assert not np.array_equal(other.left_ra, pair.left_ra)


def test_strip_count_depends_on_n_only():
    assert strip_count(1) == strip_count(1000) == 32
    assert strip_count(100_000_000) == -(-100_000_000 // 65_536)
    assert strip_offset(10**8, strip_count(10**8)) == 10**8


def test_rows_stay_in_their_strip_and_counterparts_near_their_left_row():
    pair = make_strip_pair(N, seed=1)
    edges_deg = np.degrees(np.arcsin(strip_edges_z(strip_count(N))))
    strip = (
        np.searchsorted(strip_offset(N, np.arange(strip_count(N) + 1)), np.arange(N), "right") - 1
    )
    assert (pair.left_dec >= edges_deg[strip]).all() and (
        pair.left_dec <= edges_deg[strip + 1]
    ).all()
    field = ~pair.matched
    assert (pair.right_dec[field] >= edges_deg[strip[field]]).all()
    assert (pair.right_dec[field] <= edges_deg[strip[field] + 1]).all()
    m = pair.matched
    sep = _sep_arcsec(pair.left_ra[m], pair.left_dec[m], pair.right_ra[m], pair.right_dec[m])
    assert sep.max() <= MAX_SCATTER_SIGMAS * 0.3 * (1 + 1e-6)
    # 2-D Gaussian of 0.3 arcsec per axis: mean squared separation 2 sigma^2.
    assert np.mean(sep**2) == pytest.approx(2 * 0.3**2, rel=0.02)
    assert (
        (pair.left_ra >= 0) & (pair.left_ra < 360) & (pair.right_ra >= 0) & (pair.right_ra < 360)
    ).all()


def test_uniform_on_the_sphere():
    pair = make_strip_pair(N, seed=6)
    for dec in (pair.left_dec, pair.right_dec):
        counts = np.histogram(np.sin(np.radians(dec)), bins=10, range=(-1, 1))[0]
        assert np.abs(counts - N / 10).max() < 5 * np.sqrt(N / 10)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=r"strip must lie in \[0, 32\); got 32"):
        make_strip(1000, 32)
    with pytest.raises(TypeError, match="n must be an integer; got float"):
        strip_count(1e6)
    with pytest.raises(ValueError, match="matched_fraction must lie in"):
        make_strip_pair(100, matched_fraction=1.5)
    with pytest.raises(ValueError, match="scatter_arcsec must be a finite non-negative angle"):
        make_strip_pair(100, scatter_arcsec=-1.0)
