import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from workloads.skymatch.api import crossmatch
from workloads.skymatch.best import best_pairs, best_pairs_reference, best_per_row


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_pairs=st.integers(0, 300))
def test_greedy_matches_reference_and_is_one_to_one(seed, n_pairs):
    rng = np.random.default_rng(seed)
    left = rng.integers(0, 40, n_pairs)
    right = rng.integers(0, 40, n_pairs)
    sep = rng.integers(0, 5, n_pairs).astype(float)  # many ties
    keep = best_pairs(left, right, sep, 40, 40)
    np.testing.assert_array_equal(keep, best_pairs_reference(left, right, sep, 40, 40))
    assert np.unique(left[keep]).size == keep.sum()
    assert np.unique(right[keep]).size == keep.sum()


def test_best_per_row_takes_closest_with_index_tiebreak():
    rows = np.array([0, 0, 0, 1, 1])
    others = np.array([9, 4, 7, 2, 3])
    sep = np.array([0.5, 0.5, 0.1, 2.0, 1.0])
    assert best_per_row(rows, others, sep).tolist() == [False, False, True, False, True]


def test_modes_are_consistent(rng, sky):
    ra1, dec1 = sky(rng, 3000, dec_range=(10, 12), ra_range=(0, 2))
    ra2, dec2 = sky(rng, 3000, dec_range=(10, 12), ra_range=(0, 2))
    radius = 20.0
    all_pairs = crossmatch((ra1, dec1), (ra2, dec2), radius)
    best = crossmatch((ra1, dec1), (ra2, dec2), radius, mode="best")
    best_left = crossmatch((ra1, dec1), (ra2, dec2), radius, mode="best-left")
    best_right = crossmatch((ra1, dec1), (ra2, dec2), radius, mode="best-right")
    nearest = crossmatch((ra1, dec1), (ra2, dec2), radius, mode="nearest")
    assert len(all_pairs) > len(best_left) > len(best) > 0
    # best-left is the nearest neighbour within the radius
    np.testing.assert_array_equal(best_left["left_index"], nearest["left_index"])
    np.testing.assert_array_equal(best_left["right_index"], nearest["right_index"])
    # one-to-one
    assert np.unique(best["left_index"]).size == len(best)
    assert np.unique(best["right_index"]).size == len(best)
    assert np.unique(best_right["right_index"]).size == len(best_right)
    # best is symmetric: swapping the catalogs gives the same pairs
    swapped = crossmatch((ra2, dec2), (ra1, dec1), radius, mode="best")
    assert set(zip(best["left_index"], best["right_index"], strict=True)) == set(
        zip(swapped["right_index"], swapped["left_index"], strict=True)
    )
