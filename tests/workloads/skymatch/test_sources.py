"""StripSource: a tile built directly holds exactly the catalog's rows it needs."""

import math

import numpy as np
import pytest
from accel_datasets.sky_strips import make_strip_pair

from accel.sphere import radians_wrapped
from workloads.skymatch.sources import StripSource, as_source

N = 50_000


@pytest.fixture(scope="module")
def whole():
    pair = make_strip_pair(N, seed=2, scatter_arcsec=40.0)
    return radians_wrapped(pair.left_ra, pair.left_dec), radians_wrapped(
        pair.right_ra, pair.right_dec
    )


@pytest.mark.parametrize(
    ("first", "stop", "margin_arcsec"), [(0, 1, 1.0), (5, 9, 30.0), (12, 32, 600.0), (0, 32, 1.0)]
)
def test_tile_holds_its_left_rows_and_every_right_row_within_the_margin(
    whole, first, stop, margin_arcsec
):
    (l_ra, l_dec), (r_ra, r_dec) = whole
    src = StripSource(N, "left", seed=2, scatter_arcsec=40.0)
    margin = math.radians(margin_arcsec / 3600)
    t_lra, t_ldec, start, t_rra, t_rdec, t_ridx = src.tile(first, stop, margin)
    lo, hi = src.offsets[first], src.offsets[stop]
    assert start == lo
    np.testing.assert_array_equal(t_lra, l_ra[lo:hi])  # bitwise the catalog's radians
    np.testing.assert_array_equal(t_ldec, l_dec[lo:hi])
    assert (np.diff(t_ridx) > 0).all()  # global row order
    np.testing.assert_array_equal(t_rra, r_ra[t_ridx])
    np.testing.assert_array_equal(t_rdec, r_dec[t_ridx])
    # Every right row within the margin of the tile's left rows (in declination) is there.
    near = np.flatnonzero((r_dec >= t_ldec.min() - margin) & (r_dec <= t_ldec.max() + margin))
    assert np.isin(near, t_ridx).all()
    # Beyond its own strips it holds only rows inside the margin.
    extra = t_ridx[(t_ridx < lo) | (t_ridx >= hi)]
    edges = np.arcsin(-1 + 2 * np.array([first, stop]) / src.n_strips)
    assert ((r_dec[extra] >= edges[0] - margin) & (r_dec[extra] <= edges[1] + margin)).all()


def test_strip_partitions_are_the_catalog():
    left, right = (
        as_source("synthetic:5000", "left", seed=1),
        as_source("synthetic:5000", "right", seed=1),
    )
    assert isinstance(left, StripSource) and left.n_partitions == 32 and sum(left.sizes) == 5000
    pair = make_strip_pair(5000, seed=1)
    parts = [right.load(k) for k in range(right.n_partitions)]
    np.testing.assert_array_equal(np.concatenate([p.dec_deg for p in parts]), pair.right_dec)
    np.testing.assert_array_equal(np.concatenate([p.index for p in parts]), np.arange(5000))
    np.testing.assert_array_equal(
        left.load(3).ra_deg, pair.left_ra[left.offsets[3] : left.offsets[4]]
    )


@pytest.mark.parametrize(
    ("kw", "error", "match"),
    [
        ({"seed": -1}, ValueError, "seed must be a non-negative integer"),
        ({"matched_fraction": 1.5}, ValueError, r"matched_fraction must lie in \[0, 1\]"),
        ({"scatter_arcsec": float("nan")}, ValueError, "scatter_arcsec must be a finite"),
        ({"scatter_arcsec": "1"}, TypeError, "scatter_arcsec must be a real number"),
    ],
)
def test_strip_source_parameters_are_checked_on_the_client(kw, error, match):
    with pytest.raises(error, match=match):
        StripSource(1000, "left", **kw)
