"""The workloads' compression specs: they load, and their implementations agree on small inputs."""

import dataclasses

import numpy as np
import pytest

from accel.compress import run_compression
from accel.compress_spec import CompressionSpec, load_specs

sky = pytest.importorskip("workloads.skymatch.compression")


def test_skymatch_spec_loads_through_the_entry_point():
    (loaded,) = load_specs(["skymatch"])
    assert loaded.error is None
    assert isinstance(loaded.spec, CompressionSpec)
    roles = [impl.role for impl in loaded.spec.implementations]
    assert roles == ["naive", "baseline", "ours", "ours-dask"]
    dask_impl = loaded.spec.implementations[-1]
    assert dask_impl.available or dask_impl.unavailable  # a missing Dask path says why


def pairs(i, j, s):
    return np.array(i, dtype=np.int64), np.array(j, dtype=np.int64), np.array(s, dtype=float)


def test_same_pairs_rule():
    a = pairs([0, 1, 2], [5, 3, 4], [0.2, 0.9, 0.4])
    assert sky.same_pairs(a, pairs([2, 0, 1], [4, 5, 3], [0.4, 0.2, 0.9]))
    # Missing, extra or moved pairs are differences.
    assert not sky.same_pairs(a, pairs([0, 1], [5, 3], [0.2, 0.9]))
    assert not sky.same_pairs(a, pairs([0, 1, 2], [5, 3, 1], [0.2, 0.9, 0.4]))
    assert not sky.same_pairs(a, pairs([0, 1, 2, 2], [5, 3, 4, 4], [0.2, 0.9, 0.4, 0.4]))
    # Separations must agree within the stated tolerance.
    assert not sky.same_pairs(a, pairs([0, 1, 2], [5, 3, 4], [0.2, 0.9, 0.4 + 1e-5]))
    assert sky.same_pairs(a, pairs([0, 1, 2], [5, 3, 4], [0.2, 0.9, 0.4 + 1e-8]))
    # A pair on the radius (to 1e-9 arcsec) may be found by one side only ...
    on_edge = pairs([0, 1, 2, 7], [5, 3, 4, 8], [0.2, 0.9, 0.4, 1.0 - 5e-10])
    assert sky.same_pairs(a, on_edge)
    # ... but not one clearly inside it.
    inside = pairs([0, 1, 2, 7], [5, 3, 4, 8], [0.2, 0.9, 0.4, 1.0 - 1e-6])
    assert not sky.same_pairs(a, inside)
    empty = pairs([], [], [])
    assert sky.same_pairs(empty, empty)


def test_naive_handles_the_ra_wrap_and_the_pole():
    one_arcsec = 1 / 3600
    inputs = (
        np.array([359.99995, 0.0]),
        np.array([0.0, 90.0 - 0.2 * one_arcsec]),
        np.array([0.00005, 180.0, 120.0]),
        np.array([0.0, 90.0 - 0.5 * one_arcsec, 0.0]),
    )
    i, j, sep = sky.naive_match(inputs)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 0), (1, 1)]
    np.testing.assert_allclose(sep, [0.36, 0.7], rtol=1e-6)
    assert sky.same_pairs((i, j, sep), sky.astropy_match(inputs))


def test_naive_and_astropy_agree_on_a_synthetic_pair():
    inputs = sky.make_inputs(400, seed=3)
    naive = sky.naive_match(inputs)
    assert len(naive[0]) > 150  # about half are counterparts
    assert sky.same_pairs(naive, sky.astropy_match(inputs))


def test_ours_agrees_and_a_wrong_answer_is_caught():
    api = pytest.importorskip("workloads.skymatch.api", reason="match_arrays not written yet")
    inputs = sky.make_inputs(400, seed=4)
    naive = sky.naive_match(inputs)
    ours = api.match_arrays(*inputs, sky.RADIUS_ARCSEC)
    assert sky.same_pairs(naive, ours)
    wrong = (ours[0], np.roll(ours[1], 1), ours[2])  # right indices shuffled between pairs
    assert not sky.same_pairs(naive, wrong)


@pytest.mark.slow
def test_skymatch_compression_runs_at_tiny_sizes():
    pytest.importorskip("workloads.skymatch.api", reason="match_arrays not written yet")
    spec = sky.compression()
    # The Dask path has its own test; a cluster here would triple this test's time.
    spec = dataclasses.replace(
        spec, implementations=[i for i in spec.implementations if i.role != "ours-dask"]
    )
    result = run_compression(
        spec, naive_sizes=(60, 120, 240), full_size=5000, repeats=1, progress=lambda line: None
    )
    assert result.status == "PASSED", result.problems
    assert result.fit is not None and len(result.fit.sizes) == 3  # no timing asserts in tests
    checked = {c.other for c in result.checks}
    assert {"astropy search_around_sky", "accel skymatch (Numba)"} <= checked
    assert all(c.equal for c in result.checks)


def test_weather_spec_loads_through_the_entry_point():
    pytest.importorskip(
        "workloads.weather.naive", reason="the naive weather step is not written yet"
    )
    (loaded,) = load_specs(["weather"])
    assert loaded.error is None
    assert [impl.role for impl in loaded.spec.implementations] == [
        "naive",
        "baseline",
        "ours",
        "ours-dask",
    ]


def test_weather_sizes_are_grids():
    wx = pytest.importorskip("workloads.weather.compression")
    spec = wx.compression()
    assert spec.describe_size(wx.points_for_nlat(720)).startswith("0.25 deg grid, 720 x 1440")
    with pytest.raises(
        ValueError, match=r"weather size must be 2 \* nlat\*\*2 grid points .* got 1000"
    ):
        wx.make_inputs(1000, seed=0)
    # 10 days at 10 degrees: steps of dt each, STEPS_PER_CALL per call.
    calls = spec.repetitions(wx.points_for_nlat(18))
    dt = wx.make_inputs(wx.points_for_nlat(18), seed=0)["dt_s"]
    steps = -(-10 * 86400.0 // dt)
    assert calls == -(-steps // wx.STEPS_PER_CALL)


def test_weather_implementations_agree_and_a_wrong_answer_is_caught():
    wx = pytest.importorskip("workloads.weather.compression")
    pytest.importorskip(
        "workloads.weather.naive", reason="the naive weather step is not written yet"
    )
    inputs = wx.make_inputs(wx.points_for_nlat(9), seed=0)
    naive = wx.naive_steps(inputs)
    numpy_out = wx.numpy_steps(inputs)
    numba_out = wx.numba_steps(inputs)
    assert wx.same_levels(naive, numpy_out)
    assert wx.same_levels(naive, numba_out)
    assert wx.same_levels(numba_out, wx.numba_steps(inputs))  # a second call starts afresh
    h, u, v = numba_out[1]
    nudged = h.copy()
    nudged[3, 5] *= 1 + 1e-9
    assert not wx.same_levels(naive, (numba_out[0], (nudged, u, v)))
    assert not wx.same_levels(naive, (numba_out[0], (h[:, :-1], u, v)))


@pytest.mark.slow
def test_weather_compression_runs_at_tiny_sizes():
    wx = pytest.importorskip("workloads.weather.compression")
    pytest.importorskip(
        "workloads.weather.naive", reason="the naive weather step is not written yet"
    )
    spec = wx.compression()
    spec = dataclasses.replace(  # the Dask path has its own test
        spec, implementations=[i for i in spec.implementations if i.role != "ours-dask"]
    )
    result = run_compression(
        spec,
        naive_sizes=[wx.points_for_nlat(n) for n in (6, 9, 12)],
        full_size=wx.points_for_nlat(18),
        repeats=1,
        progress=lambda line: None,
    )
    assert result.status == "PASSED", result.problems
    assert result.repetitions > 1 and "calls of 10 steps" in result.repetitions_unit
    assert {c.other for c in result.checks} == {"NumPy reference", "accel weather (Numba)"}
    assert all(c.equal for c in result.checks)


@pytest.mark.slow
@pytest.mark.cluster
def test_skymatch_dask_path_agrees_with_naive():
    dask_impl = sky.compression().implementations[-1]
    if not dask_impl.available:
        pytest.skip(f"skymatch Dask path: {dask_impl.unavailable}")
    inputs = sky.make_inputs(300, seed=5)
    with dask_impl.session():
        out = dask_impl.run(inputs)
    assert sky.same_pairs(sky.naive_match(inputs), out)


@pytest.mark.slow
@pytest.mark.cluster
def test_weather_dask_path_agrees_with_naive():
    wx = pytest.importorskip("workloads.weather.compression")
    pytest.importorskip(
        "workloads.weather.naive", reason="the naive weather step is not written yet"
    )
    dask_impl = wx.compression().implementations[-1]
    if not dask_impl.available:
        pytest.skip(f"weather Dask path: {dask_impl.unavailable}")
    inputs = wx.make_inputs(wx.points_for_nlat(9), seed=0)
    with dask_impl.session():
        previous, current = dask_impl.run(inputs)
    assert previous is None  # run_dask gives the current level only
    naive = wx.naive_steps(inputs)
    assert wx.same_levels(naive, (None, current))
    h, u, v = current
    assert not wx.same_levels(naive, (None, (h, u * (1 + 1e-9), v)))
