"""Tile assignment and splitting of the Dask matcher against plain references."""

import numpy as np
import pytest

from workloads.skymatch.tiles import ROW, by_tile, tile_edges, tile_of, tile_of_reference


@pytest.mark.parametrize("n_tiles", [1, 2, 3, 7, 50, 1000])
@pytest.mark.parametrize("shift_rad", [0.0, 5e-6, -5e-6, 0.3])
def test_tile_of_agrees_with_binary_search(rng, n_tiles, shift_rad):
    edges = tile_edges(n_tiles)
    dec = np.concatenate([np.arcsin(rng.uniform(-1, 1, 20_000)), edges,
                          np.nextafter(edges, -9), np.nextafter(edges, 9), [-3.0, 3.0]])  # fmt: skip
    np.testing.assert_array_equal(
        tile_of(dec + shift_rad, edges), tile_of_reference(dec + shift_rad, edges)
    )


def test_by_tile_puts_each_row_in_its_tiles_in_row_order(rng):
    n, n_tiles = 30_000, 9
    ra = rng.uniform(0, 2 * np.pi, n)
    dec = np.arcsin(rng.uniform(-1, 1, n))
    index = np.arange(n, dtype=np.int64) * 3 + 100  # increasing, not contiguous
    edges = tile_edges(n_tiles)
    margin = 0.05  # wide, so many rows reach a neighbouring tile
    lo, hi = tile_of(dec - margin, edges), tile_of(dec + margin, edges)
    pieces = dict(by_tile(ra, dec, index, lo, hi, n_tiles))
    for t in range(n_tiles):
        want = np.flatnonzero((lo <= t) & (hi >= t))
        got = pieces.get(t, np.empty(0, dtype=ROW))
        assert got.dtype == ROW
        np.testing.assert_array_equal(got["index"], index[want])
        np.testing.assert_array_equal(got["ra"], ra[want])
        np.testing.assert_array_equal(got["dec"], dec[want])
