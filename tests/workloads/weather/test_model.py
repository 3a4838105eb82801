"""Kernel vs NumPy reference vs naive loops; conservation, stability limit, blow-up."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from workloads.weather import naive, reference
from workloads.weather.cases import case_fields
from workloads.weather.diagnostics import integral
from workloads.weather.grid import HALO_ROWS_PER_STEP, make_grid
from workloads.weather.model import (
    RAW_ALPHA,
    RAW_NU,
    BlowUpError,
    Stepper,
    benchmark_callables,
    max_stable_dt_s,
)

CASES = [(6, 0.0, 10.0), (2, math.pi / 4, 7.5), (5, 0.0, 10.0), (1, math.pi / 2 - 0.05, 10.0)]


def _stepper(case, alpha, res, backend, dt_factor=0.9):
    g = make_grid(res)
    f = case_fields(g, case, alpha)
    dt = dt_factor * max_stable_dt_s(g, f.h, f.u, f.v, f.hs, f.coriolis, f.advect_only)
    st = Stepper(g, f.hs, f.coriolis, f.advect_only, dt, backend=backend)
    st.start(f.h, f.u, f.v)
    return st, f


def _assert_close(a, b, rtol):
    for x, y in zip(a, b, strict=True):
        scale = max(np.abs(y).max(), 1e-300)
        assert np.abs(x - y).max() <= rtol * scale


@pytest.mark.parametrize("case,alpha,res", CASES)
def test_numba_kernel_matches_reference(case, alpha, res):
    steppers = [_stepper(case, alpha, res, b)[0] for b in ("numba", "numpy")]
    for _ in range(10):
        for st in steppers:
            st.step()
    _assert_close(steppers[0].current, steppers[1].current, 1e-12)
    _assert_close(steppers[0].previous, steppers[1].previous, 1e-12)


@pytest.mark.parametrize("case,alpha", [(6, 0.0), (1, math.pi / 2 - 0.05)])
def test_numba_step_is_bitwise_reference_outside_polar_rows(case, alpha):
    # Same expressions in the same order (row constants as reciprocals in both), so one
    # step from the same levels gives identical bits wherever the filter does not run.
    numba_st, f = _stepper(case, alpha, 5.0, "numba")
    numpy_st, _ = _stepper(case, alpha, 5.0, "numpy")
    numba_st.resume(numpy_st.previous, numpy_st.current, 1)
    numba_st.step()
    numpy_st.step()
    g = numba_st.grid
    rows = (g.filter_row_h < 0, g.filter_row_h < 0, g.filter_row_v < 0)
    for level in ("current", "previous"):
        for a, b, keep in zip(
            getattr(numba_st, level), getattr(numpy_st, level), rows, strict=True
        ):
            assert np.array_equal(a[keep], b[keep])
            assert np.abs(a - b).max() <= 1e-13 * np.abs(b).max()


@pytest.mark.parametrize("case,alpha", [(6, 0.0), (1, 0.3), (5, 0.0)])
def test_naive_loops_match_reference(case, alpha):
    g = make_grid(15.0)
    f = case_fields(g, case, alpha)
    old = (f.h, f.u, f.v)
    rng = np.random.default_rng(3)
    # A perturbed current level, so every term (and the RAW filter) is exercised.
    cur = tuple(x * (1.0 + 1e-3 * rng.standard_normal(x.shape)) for x in old)
    cur[2][0] = cur[2][-1] = 0.0
    args = (f.hs, f.coriolis, 600.0, RAW_NU, RAW_ALPHA, f.advect_only)
    got = naive.leapfrog_step(g, old, cur, *args)
    want = reference.leapfrog_step(g, old, cur, *args)
    for a, b in zip(got, want, strict=True):
        _assert_close(a, b, 1e-12)


def test_result_does_not_depend_on_thread_count():
    threads = numba.get_num_threads()
    results = []
    for n in (1, threads):
        numba.set_num_threads(n)
        try:
            st, _ = _stepper(6, 0.0, 10.0, "numba")
            for _ in range(5):
                st.step()
            results.append(st.current)
        finally:
            numba.set_num_threads(threads)
    for a, b in zip(*results, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_mass_is_conserved_to_round_off(backend):
    st, f = _stepper(5, 0.0, 10.0, backend)
    mass0 = integral(st.grid, f.h - f.hs)
    for _ in range(200):
        st.step()
    h = st.current[0]
    assert abs(integral(st.grid, h - f.hs) - mass0) <= 1e-12 * mass0
    assert not np.array_equal(h, f.h)  # the state did move


def test_blow_up_names_step_time_and_location():
    # Three times the stable step: leapfrog goes unstable within a few dozen steps.
    st, _ = _stepper(6, 0.0, 10.0, "numba", dt_factor=3.0)
    with pytest.raises(
        BlowUpError,
        match=r"blew up at step \d+, model time [\d.]+ s .*lat -?[\d.]+ deg, lon [\d.]+ deg",
    ):
        for _ in range(500):
            st.step()


def test_nan_in_state_is_detected_at_the_first_step():
    st, f = _stepper(2, 0.0, 10.0, "numba")
    st.resume(st.previous, st.current, 1)
    st.current[0][5, 7] = np.nan
    with pytest.raises(
        BlowUpError, match=r"step 2, model time [\d.]+ s .*\(row [456], column \d+\)"
    ):
        st.step()


def test_stable_limit_grows_with_spacing():
    dts = []
    for res in (10.0, 5.0):
        g = make_grid(res)
        f = case_fields(g, 6)
        dts.append(max_stable_dt_s(g, f.h, f.u, f.v, f.hs, f.coriolis, False))
    assert 1.8 < dts[0] / dts[1] < 2.2  # set by mid-latitudes, so halving dx halves it
    assert HALO_ROWS_PER_STEP == 1


def test_bad_backend_and_resolution_are_refused():
    g = make_grid(10.0)
    f = case_fields(g, 2)
    with pytest.raises(
        ValueError, match=r"backend must be one of \['numba', 'numpy'\]; got 'cuda'"
    ):
        Stepper(g, f.hs, f.coriolis, False, 100.0, backend="cuda")
    with pytest.raises(ValueError, match="resolution_deg must divide 180 degrees .* got 7.0 deg"):
        make_grid(7.0)
    with pytest.raises(TypeError, match="resolution_deg must be a number of degrees; got str"):
        make_grid("1")


def test_benchmark_callables_advance_one_step():
    calls = benchmark_callables(10.0)
    assert set(calls) == {"numpy", "numba", "compulsory_bytes", "points"}
    assert calls["points"] == 18 * 36
    assert calls["compulsory_bytes"] > 8 * 12 * calls["points"]
    calls["numba"]()
    calls["numpy"]()


def test_benchmark_callables_without_filter_is_the_same_step_unfiltered():
    with_filter = benchmark_callables(10.0)["numba"].__self__
    calls = benchmark_callables(10.0, polar_filter=False)
    numba_st, numpy_st = calls["numba"].__self__, calls["numpy"].__self__
    assert (numba_st.grid.filter_row_h < 0).all() and (numba_st.grid.filter_row_v < 0).all()
    # the unfiltered polar rows need a far shorter step to stay stable
    assert numba_st.dt_s < 0.5 * with_filter.dt_s
    for _ in range(20):
        calls["numba"]()
    for _ in range(21):  # the numba stepper took one more step while compiling
        calls["numpy"]()
    assert numba_st.step_count == numpy_st.step_count
    # with no row filtered the kernel and the reference agree bit for bit everywhere
    for a, b in zip(numba_st.current, numpy_st.current, strict=True):
        np.testing.assert_array_equal(a, b)
