import numpy as np
import pytest

from accel.buckets import (
    cell_ids,
    cell_ids_reference,
    counting_sort,
    counting_sort_reference,
    make_grid,
)


@pytest.mark.parametrize("n_points", [1, 10, 10_000, 10**7])
@pytest.mark.parametrize("radius_deg", [0.0, 1 / 3600, 2.0])
def test_grid_covers_the_sphere(n_points, radius_deg):
    grid = make_grid(n_points, np.deg2rad(radius_deg))
    assert grid.n_zones * grid.zone_height == pytest.approx(np.pi)
    assert (grid.n_ra >= 1).all()
    assert grid.zone_start[0] == 0 and grid.zone_start[-1] == grid.n_ra.sum()
    assert grid.zone_height >= 0.5 * np.deg2rad(radius_deg) * (1 - 1e-12)


def test_cell_ids_match_reference(rng):
    n = 5000
    ra = np.concatenate([rng.uniform(0, 2 * np.pi, n), [0.0, np.nextafter(2 * np.pi, 0)]])
    dec = np.concatenate([np.arcsin(rng.uniform(-1, 1, n)), [np.pi / 2, -np.pi / 2]])
    grid = make_grid(ra.size, 1e-3)
    got = cell_ids(ra, dec, grid)
    np.testing.assert_array_equal(got, cell_ids_reference(ra, dec, grid))
    assert got.min() >= 0 and got.max() < grid.n_cells


def test_counting_sort_matches_stable_argsort(rng):
    cells = rng.integers(0, 97, 10_000)
    order, start = counting_sort(cells, 97)
    ref_order, ref_start = counting_sort_reference(cells, 97)
    np.testing.assert_array_equal(order, ref_order)
    np.testing.assert_array_equal(start, ref_start)


@pytest.mark.parametrize("band", [(0.1, 0.2), (-np.pi / 2, -1.4), (1.5, np.pi / 2), (0.3, 0.3)])
def test_grid_for_a_band_sizes_cells_for_the_density_inside_it(band, rng):
    n = 20_000
    grid = make_grid(n, 1e-6, band)
    full = make_grid(n, 1e-6)
    lower = -np.pi / 2 + grid.zone_height * np.arange(grid.n_zones)
    inside = (lower + grid.zone_height >= band[0]) & (lower <= band[1])
    assert (grid.n_ra[~inside] == 1).all()
    # Points of the band land only in its zones, several to a cell on average.
    dec = np.arcsin(rng.uniform(*np.sin(band), n))
    ids = cell_ids(rng.uniform(0, 2 * np.pi, n), dec, grid)
    zone = np.searchsorted(grid.zone_start, ids, side="right") - 1
    assert inside[zone].all()
    if band[1] > band[0]:
        assert grid.zone_height < full.zone_height
        assert 1.0 < n / grid.n_ra[inside].sum() < 10.0
