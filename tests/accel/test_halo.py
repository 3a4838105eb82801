"""Halo fills, latitude blocks and ghost-zone expansion (accel.halo)."""

from __future__ import annotations

import numpy as np
import pytest

from accel.halo import (
    LatBlock,
    assemble_lat,
    ghost_rows,
    halo_sources,
    lat_block,
    pad,
    run_steps,
    split_lat,
)


def diffuse(padded: np.ndarray, lat0: int) -> np.ndarray:
    """5-point diffusion (radius 1) whose coefficient depends on the global row."""
    rows = lat0 + 1 + np.arange(padded.shape[-2] - 2)
    nu = (0.05 + 0.002 * rows)[:, None]
    c = padded[..., 1:-1, 1:-1]
    lap = padded[..., 2:, 1:-1] + padded[..., :-2, 1:-1] + padded[..., 1:-1, 2:]
    lap = lap + padded[..., 1:-1, :-2] - 4.0 * c
    return c + nu * lap


def wide(padded: np.ndarray, lat0: int) -> np.ndarray:
    """A radius-2 stencil, to exercise halo = k * r with r > 1."""
    c = padded[..., 2:-2, 2:-2]
    return 0.6 * c + 0.1 * (
        padded[..., 4:, 2:-2]
        + padded[..., :-4, 2:-2]
        + padded[..., 2:-2, 4:]
        + padded[..., 2:-2, :-4]
    )


def test_pad_periodic_lon_and_pole_lat(rng):
    grid = rng.random((3, 6, 8))
    out = pad(grid, 2)
    assert out.shape == (3, 10, 12)
    np.testing.assert_array_equal(out[:, 2:-2, 2:-2], grid)
    # periodic in longitude
    np.testing.assert_array_equal(out[:, 2:-2, :2], grid[:, :, -2:])
    np.testing.assert_array_equal(out[:, 2:-2, -2:], grid[:, :, :2])
    # across the pole: ghost row m is row m-1 shifted by half a circle
    for m in (1, 2):
        np.testing.assert_array_equal(out[:, 2 - m, 2:-2], np.roll(grid[:, m - 1], 4, axis=-1))
        np.testing.assert_array_equal(out[:, -3 + m, 2:-2], np.roll(grid[:, -m], 4, axis=-1))
    # the corners are consistent with periodicity of the ghost rows too
    np.testing.assert_array_equal(out[:, :2, :2], out[:, :2, -4:-2])


def test_pad_pole_sign_flips_vector_components(rng):
    uv = rng.random((2, 4, 6))
    out = pad(uv, 1, pole_sign=np.array([-1.0, 1.0]))
    np.testing.assert_array_equal(out[0, 0, 1:-1], -np.roll(uv[0, 0], 3))
    np.testing.assert_array_equal(out[1, 0, 1:-1], np.roll(uv[1, 0], 3))


def test_pad_constant_and_none(rng):
    grid = rng.random((4, 6))
    out = pad(grid, (1, 2), lat="constant", lon="none", value=7.5)
    assert out.shape == (6, 10)
    np.testing.assert_array_equal(out[0, 2:-2], 7.5)
    np.testing.assert_array_equal(out[-1, 2:-2], 7.5)
    assert np.isnan(out[:, :2]).all() and np.isnan(out[:, -2:]).all()
    out = pad(grid, 1, lat="none", lon="constant", value=-1.0)
    assert np.isnan(out[0, 1:-1]).all()
    np.testing.assert_array_equal(out[1:-1, 0], -1.0)


@pytest.mark.parametrize("lat", ["pole", "constant", "none"])
def test_ghost_rows_stack_to_pad(rng, lat):
    grid = rng.random((2, 7, 6))
    sign = np.array([1.0, -1.0])
    kw = {"lat": lat, "value": 3.0, "pole_sign": sign}
    stacked = np.concatenate(
        [ghost_rows(grid, 2, "south", **kw), grid, ghost_rows(grid, 2, "north", **kw)], axis=-2
    )
    np.testing.assert_array_equal(stacked, pad(grid, (2, 0), lon="none", **kw))
    with pytest.raises(ValueError, match=r"side must be one of \['south', 'north'\]; got 'east'"):
        ghost_rows(grid, 2, "east")


def test_pad_leaves_input_alone(rng):
    grid = rng.random((4, 6))
    before = grid.copy()
    pad(grid, 2)
    np.testing.assert_array_equal(grid, before)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"lat": "periodic"}, ValueError, r"lat must be one of \['pole', 'constant', 'none'\]"),
        ({"lon": "pole"}, ValueError, r"lon must be one of \['periodic', 'constant', 'none'\]"),
        ({"width": -1}, ValueError, "width must be a non-negative number of cells; got -1"),
        ({"width": 1.5}, TypeError, "width must be an integer; got float"),
        ({"pole_sign": 2.0}, ValueError, r"pole_sign must be \+1 or -1 everywhere"),
    ],
)
def test_pad_errors(kwargs, error, match):
    args = {"width": 1, **kwargs}
    with pytest.raises(error, match=match):
        pad(np.zeros((4, 6)), **args)


def test_pad_type_and_shape_errors():
    with pytest.raises(TypeError, match="block must be a numpy array; got list"):
        pad([[1.0]], 1)
    with pytest.raises(ValueError, match="'pole' fill needs an even number of longitudes; got 5"):
        pad(np.zeros((4, 5)), 1)
    with pytest.raises(
        ValueError, match="'pole' fill of 3 rows needs at least that many rows; got 2"
    ):
        pad(np.zeros((2, 4)), 3)


def test_split_and_assemble_round_trip(rng):
    grid = rng.random((2, 11, 8))
    blocks = split_lat(grid, 4, 3)
    assert [b.own_stop - b.own_start for b in blocks] == [3, 3, 3, 2]
    for b in blocks:
        np.testing.assert_array_equal(b.data, grid[:, b.start : b.stop])
        assert b.start == max(0, b.own_start - 3) and b.stop == min(11, b.own_stop + 3)
    owned = [b.data[:, b.halo_south : b.halo_south + b.own_stop - b.own_start] for b in blocks]
    np.testing.assert_array_equal(assemble_lat(owned), grid)


def test_halo_sources_and_lat_block_use_only_neighbours(rng):
    grid = rng.random((12, 4))
    pieces = np.array_split(grid, 4, axis=0)
    assert halo_sources([3, 3, 3, 3], 2, 3) == [1, 2, 3]
    assert halo_sources([3, 3, 3, 3], 2, 4) == [0, 1, 2, 3]
    sparse = [None, pieces[1], pieces[2], pieces[3]]
    block = lat_block(sparse, 2, 3, sizes=[3, 3, 3, 3])
    np.testing.assert_array_equal(block.data, grid[3:12])
    assert (block.start, block.own_start, block.own_stop, block.nlat) == (3, 6, 9, 12)
    with pytest.raises(
        ValueError, match=r"pieces\[0\] is needed for block 2 with halo 4; got None"
    ):
        lat_block(sparse, 2, 4, sizes=[3, 3, 3, 3])
    with pytest.raises(ValueError, match="sizes must be given when some pieces are None"):
        lat_block(sparse, 2, 3)


@pytest.mark.parametrize("nblocks", [1, 2, 3, 5])
@pytest.mark.parametrize("steps", [1, 2, 4])
def test_blocks_with_ghost_zones_match_whole_grid_bitwise(rng, nblocks, steps):
    field = rng.random((2, 18, 16))
    whole = run_steps(split_lat(field, 1, 0)[0], diffuse, steps, 1)
    # the whole-grid run equals stepping with `pad` by hand
    by_hand = field
    for _ in range(steps):
        by_hand = diffuse(pad(by_hand, 1), -1)
    np.testing.assert_array_equal(whole, by_hand)
    parts = [run_steps(b, diffuse, steps, 1) for b in split_lat(field, nblocks, steps)]
    np.testing.assert_array_equal(assemble_lat(parts), whole)


@pytest.mark.parametrize(("nblocks", "steps"), [(2, 1), (3, 2), (4, 3)])
def test_radius_two_vector_field_bitwise(rng, nblocks, steps):
    uv = rng.random((2, 20, 12)) - 0.5
    sign = np.array([-1.0, -1.0])
    whole = run_steps(split_lat(uv, 1, 0)[0], wide, steps, 2, pole_sign=sign)
    blocks = split_lat(uv, nblocks, 2 * steps)
    parts = [run_steps(b, wide, steps, 2, pole_sign=sign) for b in blocks]
    np.testing.assert_array_equal(assemble_lat(parts), whole)
    # the sign flip matters: without it the answer changes near the poles
    unsigned = run_steps(split_lat(uv, 1, 0)[0], wide, steps, 2)
    assert not np.array_equal(unsigned[:, :2], whole[:, :2])


def test_constant_boundary_blocks_bitwise(rng):
    field = rng.random((14, 10))
    kw = {"lat": "constant", "lon": "constant", "value": 0.25}
    whole = run_steps(split_lat(field, 1, 0)[0], diffuse, 3, 1, **kw)
    parts = [run_steps(b, diffuse, 3, 1, **kw) for b in split_lat(field, 3, 3)]
    np.testing.assert_array_equal(assemble_lat(parts), whole)


def test_run_steps_errors(rng):
    field = rng.random((12, 8))
    block = split_lat(field, 3, 1)[1]
    with pytest.raises(
        ValueError, match="at least steps\\*radius = 2 rows on the south side; got 1"
    ):
        run_steps(block, diffuse, 2, 1)
    with pytest.raises(ValueError, match="step must return the interior of its padded input"):
        run_steps(block, lambda p, lat0: p, 1, 1)
    with pytest.raises(TypeError, match="block must be a LatBlock; got ndarray"):
        run_steps(field, diffuse, 1, 1)
    with pytest.raises(ValueError, match="nblocks must be between 1 and the 12 rows; got 13"):
        split_lat(field, 13, 1)
    assert isinstance(block, LatBlock)
