import math

import numpy as np
import pytest

from accel.compress_fit import fit_power_law, size_for_seconds


@pytest.mark.parametrize(("p", "c"), [(2.0, 3e-7), (1.0, 2.5e-3), (1.5, 4e-9)])
def test_exact_power_law_is_recovered(p, c):
    sizes = [300, 1000, 3000, 10000]
    fit = fit_power_law(sizes, [c * n**p for n in sizes])
    assert fit.p == pytest.approx(p, rel=1e-12)
    assert fit.c == pytest.approx(c, rel=1e-9)
    assert fit.r2 == pytest.approx(1.0, abs=1e-12)
    assert fit.max_rel_residual < 1e-10
    assert fit.p_stderr < 1e-6
    assert fit.predict(1e7) == pytest.approx(c * 1e7**p, rel=1e-9)


def test_fit_quality_reports_the_worst_point():
    sizes = np.array([100.0, 200.0, 400.0, 800.0])
    times = 1e-6 * sizes**2 * np.array([1.0, 1.3, 0.9, 1.0])
    fit = fit_power_law(sizes, times)
    residuals = times / (fit.c * sizes**fit.p) - 1
    assert fit.max_rel_residual == pytest.approx(np.max(np.abs(residuals)))
    assert 0 < fit.r2 < 1
    assert fit.p_stderr > 0


def test_two_points_fit_exactly_but_have_no_error_estimate():
    fit = fit_power_law([10, 100], [1.0, 100.0])
    assert fit.p == pytest.approx(2.0)
    assert math.isnan(fit.p_stderr)


@pytest.mark.parametrize(
    ("sizes", "times", "match"),
    [
        ([10, 20, 0], [1, 2, 3], r"sizes must be positive finite numbers; got \[10.0, 20.0, 0.0\]"),
        (
            [10, 20, 40],
            [1, -2, 3],
            r"times_s must be positive finite numbers; got \[1.0, -2.0, 3.0\]",
        ),
        ([10, 10, 10], [1, 2, 3], r"sizes must hold at least two distinct values"),
        ([10, 20], [1, 2, 3], r"sizes and times_s must be 1-d sequences of the same length"),
        ([10, 20, 40], [1, float("nan"), 3], r"times_s must be positive finite"),
    ],
)
def test_bad_fit_inputs_are_refused(sizes, times, match):
    with pytest.raises(ValueError, match=match):
        fit_power_law(sizes, times)


def test_target_size_reaches_the_target_and_is_round():
    # 169 days of a double loop at 0.3 us per pair.
    fit = fit_power_law([300, 1000, 3000], [3e-7 * n**2 for n in (300, 1000, 3000)])
    target_s = 169 * 86400.0
    n = size_for_seconds(fit, target_s)
    assert fit.predict(n) >= target_s
    exact = math.sqrt(target_s / 3e-7)  # 6,979,971 pairs per side
    assert exact <= n <= exact * 1.1
    assert n == 7_000_000  # rounded up to two significant digits
    assert fit.predict(n - 100_000) < target_s


def test_target_size_for_more_significant_digits():
    fit = fit_power_law([10, 100, 1000], [1e-3, 1e-1, 10.0])  # 1e-5 * n^2
    n = size_for_seconds(fit, 1234.0, significant=4)
    assert n == 11110  # sqrt(1234 / 1e-5) = 11108.55, rounded up to 4 digits
    assert fit.predict(n) >= 1234.0


def test_target_size_errors_name_the_rule():
    flat = fit_power_law([10, 100, 1000], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"fit exponent p must be positive .* got p=0"):
        size_for_seconds(flat, 10.0)
    fit = fit_power_law([10, 100, 1000], [1.0, 10.0, 100.0])
    with pytest.raises(ValueError, match=r"seconds must be a positive finite time; got -5"):
        size_for_seconds(fit, -5.0)
