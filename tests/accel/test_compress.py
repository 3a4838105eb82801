"""The harness on a fake workload whose run times come from a fake clock.

The fake implementations advance the clock by a known cost (c * n**p), so the
fit, the extrapolation and the chosen sizes have exact expected values.
"""

import bisect
import contextlib

import pytest

from accel.compress import EXTRAPOLATED, MEASURED, run_compression
from accel.compress_report import rows
from accel.compress_spec import CompressionSpec, Implementation, dask_implementation, load_specs

RADIUS = 0.01


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def make_points(n, seed):
    # Deterministic pseudo-random points in [0, 1) without numpy: a small LCG.
    state, xs, ys = seed * 7919 + 12345, [], []
    for out in (xs, ys):
        for _ in range(n):
            state = (1103515245 * state + 12345) % 2**31
            out.append(state / 2**31)
    return xs, ys


def naive_pairs(inputs):
    xs, ys = inputs
    pairs = []
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            if abs(x - y) < RADIUS:
                pairs.append((i, j))
    return pairs


def sorted_pairs(inputs):
    xs, ys = inputs
    order = sorted(range(len(ys)), key=ys.__getitem__)
    keys = [ys[j] for j in order]
    pairs = []
    for i, x in enumerate(xs):
        lo = bisect.bisect_right(keys, x - RADIUS)
        hi = bisect.bisect_left(keys, x + RADIUS)
        pairs.extend((i, j) for j in order[lo:hi] if abs(x - ys[j]) < RADIUS)
    return sorted(pairs)


def timed(clock, fn, cost, compile_s=0.0):
    """Wrap fn so each call advances the fake clock by cost(n) (plus compile_s once)."""
    state = {"compiled": compile_s == 0.0, "calls": 0}

    def run(inputs):
        state["calls"] += 1
        clock.now += cost(len(inputs[0]))
        if not state["compiled"]:
            clock.now += compile_s
            state["compiled"] = True
        return fn(inputs)

    run.state = state
    return run


def fake_spec(clock, *, ours=None, extra=(), **overrides):
    impls = [
        Implementation(
            "double loop", "naive", run=timed(clock, naive_pairs, lambda n: 1e-6 * n**2)
        ),
        Implementation(
            "sort + bisect", "baseline", run=timed(clock, sorted_pairs, lambda n: 4e-6 * n)
        ),
        Implementation(
            "fast",
            "ours",
            run=ours or timed(clock, sorted_pairs, lambda n: 1e-6 * n, compile_s=2.0),
        ),
        *extra,
    ]
    settings = dict(
        name="pairs",
        task="pairs of 1-d points closer than 0.01",
        size_unit="points per side",
        make_inputs=make_points,
        implementations=impls,
        equal=lambda a, b: sorted(a) == sorted(b),
        equality_rule="pair lists compared exactly after sorting",
        naive_sizes=(40, 80, 160),
        full_size=2000,
        expected_exponent=2.0,
    )
    settings.update(overrides)
    return CompressionSpec(**settings)


def quiet(line):
    pass


def run(spec, clock, **kwargs):
    kwargs.setdefault("cpu_clock", clock)
    return run_compression(spec, repeats=3, progress=quiet, clock=clock, **kwargs)


def test_fit_extrapolation_and_labels_are_exact():
    clock = FakeClock()
    result = run(fake_spec(clock), clock)
    assert result.status == "PASSED", result.problems
    assert result.fit.p == pytest.approx(2.0, rel=1e-12)
    assert result.fit.c == pytest.approx(1e-6, rel=1e-9)
    assert result.full_size == 2000
    table = {r["role"]: r for r in rows(result)}
    assert table["naive"]["label"] == EXTRAPOLATED
    assert table["naive"]["time_s"] == pytest.approx(1e-6 * 2000**2)
    assert table["baseline"]["label"] == MEASURED
    assert table["baseline"]["time_s"] == pytest.approx(4e-6 * 2000)
    assert table["ours"]["label"] == MEASURED
    assert table["ours"]["time_s"] == pytest.approx(1e-6 * 2000)
    assert table["ours"]["speedup_vs_naive"] == pytest.approx(2000.0)
    assert table["ours"]["speedup_vs_baseline"] == pytest.approx(4.0)
    # The compile cost lands in the first call, never in the measured repeats.
    assert table["ours"]["first_call_s"] == pytest.approx(2.0 + 1e-6 * 40)
    assert table["ours"]["warmup_s"] == pytest.approx(1e-6 * 2000)
    # Checked at every naive size (baseline and ours against naive) and once at full size.
    sizes_checked = sorted({(c.size, c.other) for c in result.checks})
    assert sizes_checked == sorted(
        [(n, name) for n in (40, 80, 160) for name in ("sort + bisect", "fast")] + [(2000, "fast")]
    )
    assert all(c.equal for c in result.checks)


def test_naive_at_a_measured_size_is_labelled_measured():
    clock = FakeClock()
    result = run(fake_spec(clock), clock, full_size=160)
    t, label = result.naive_full()
    assert label == MEASURED
    assert t == pytest.approx(1e-6 * 160**2)


def test_target_picks_the_size_whose_naive_time_reaches_it():
    clock = FakeClock()
    result = run(fake_spec(clock), clock, target_s=10.0)
    # 1e-6 * n^2 >= 10 s  ->  n >= 3163, rounded up to two digits.
    assert result.target_size == 3200
    assert result.full_size == 3200
    assert result.naive_full()[0] >= 10.0
    assert result.capped_reason is None


def test_target_beyond_the_memory_cap_is_capped_and_says_so():
    clock = FakeClock()
    spec = fake_spec(clock, max_full_size=2500, max_full_size_reason="keeps the fake small")
    result = run(spec, clock, target_s=10.0)
    assert result.target_size == 3200
    assert result.full_size == 2500
    assert "capped to 2,500: keeps the fake small" in result.capped_reason
    with pytest.raises(
        ValueError, match=r"full_size must be at most 2,500 points per side .* got 3,000"
    ):
        run(spec, clock, full_size=3000)


def drop_last_pair(inputs):
    return sorted_pairs(inputs)[:-1]


def test_a_wrong_implementation_fails_the_report():
    clock = FakeClock()
    result = run(fake_spec(clock, ours=drop_last_pair), clock)
    assert result.status == "FAILED"
    assert any(not c.equal and c.other == "fast" for c in result.checks)
    assert any("fast differs from double loop at size 40" in p for p in result.problems)


def test_a_difference_only_at_the_full_size_is_caught():
    clock = FakeClock()

    def wrong_when_big(inputs):
        return drop_last_pair(inputs) if len(inputs[0]) > 1000 else sorted_pairs(inputs)

    result = run(fake_spec(clock, ours=wrong_when_big), clock)
    assert result.status == "FAILED"
    assert [(c.size, c.equal) for c in result.checks if c.other == "fast"][-1] == (2000, False)


def test_an_implementation_that_raises_fails_the_report():
    clock = FakeClock()

    def broken(inputs):
        raise RuntimeError("kernel exploded")

    result = run(fake_spec(clock, ours=broken), clock)
    assert result.status == "FAILED"
    ours = next(r for r in result.implementations if r.role == "ours")
    assert ours.status == "error"
    assert "RuntimeError: kernel exploded (at size 40)" in ours.reason


def test_unavailable_and_size_limited_implementations_are_reported_not_failed():
    clock = FakeClock()
    entered = []

    @contextlib.contextmanager
    def session():
        entered.append("open")
        yield
        entered.append("closed")

    extra = (
        Implementation(
            "dask path", "ours-dask", unavailable="workloads.fake.distributed is missing"
        ),
        Implementation(
            "small only",
            "ours",
            run=timed(clock, sorted_pairs, lambda n: 1e-6 * n),
            max_size=500,
            session=session,
        ),
    )
    result = run(fake_spec(clock, extra=extra), clock)
    assert result.status == "PASSED", result.problems
    notes = {r["implementation"]: r for r in rows(result)}
    assert notes["dask path"]["note"] == "not available: workloads.fake.distributed is missing"
    assert notes["dask path"]["time_s"] is None
    assert notes["small only"]["status"] == "skipped"
    assert "above its memory limit of 500" in notes["small only"]["note"]
    assert entered == ["open", "closed"]  # one session for all its calls, always closed


def test_spec_rules_are_checked():
    clock = FakeClock()
    with pytest.raises(
        ValueError,
        match=r"naive_sizes must hold at least three distinct positive sizes; got \[10, 20, 20\]",
    ):
        fake_spec(clock, naive_sizes=(10, 20, 20))
    with pytest.raises(ValueError, match=r"exactly one available naive implementation; got 0"):
        fake_spec(clock, implementations=[Implementation("x", "baseline", run=len)])
    with pytest.raises(
        ValueError,
        match=r"role must be one of \['naive', 'baseline', 'ours', 'ours-dask'\]; got 'fastest'",
    ):
        Implementation("x", "fastest", run=len)
    with pytest.raises(ValueError, match=r"has no run callable, so unavailable must say why"):
        Implementation("x", "ours")
    with pytest.raises(TypeError, match=r"run must be callable; got int"):
        Implementation("x", "ours", run=3)
    with pytest.raises(
        TypeError, match=r"implementations must hold Implementation objects; got str"
    ):
        fake_spec(clock, implementations=["naive"])


def test_run_arguments_are_checked():
    clock = FakeClock()
    spec = fake_spec(clock)
    with pytest.raises(ValueError, match=r"repeats must be at least 1; got 0"):
        run_compression(spec, repeats=0, progress=quiet)
    with pytest.raises(ValueError, match=r"full_size and target_s cannot both be given"):
        run_compression(spec, full_size=100, target_s=5.0, progress=quiet)


def test_loading_reports_unknown_and_broken_workloads():
    with pytest.raises(ValueError, match=r"unknown workload 'nope'; known workloads: .*skymatch"):
        load_specs(["nope"])

    def broken():
        raise ImportError("no module named workloads.fake")

    with pytest.warns(
        UserWarning, match=r"workload 'fake' is unavailable \(ImportError: no module"
    ):
        (loaded,) = load_specs(["fake"], extra={"fake": broken})
    assert loaded.spec is None and "ImportError" in loaded.error
    with pytest.warns(UserWarning, match=r"must give a CompressionSpec .* got int"):
        (loaded,) = load_specs(["seven"], extra={"seven": lambda: 7})


def test_tasks_of_repeated_steps_label_the_whole_task_extrapolated():
    clock = FakeClock()
    spec = fake_spec(
        clock,
        repetitions=lambda n: n // 100,  # finer problems take more steps
        repetitions_unit="steps",
        describe_size=lambda n: f"{n} points",
    )
    result = run(spec, clock)
    assert result.repetitions == 20 and result.size_description == "2000 points"
    table = {r["role"]: r for r in rows(result)}
    assert table["ours"]["call_s"] == pytest.approx(1e-6 * 2000)
    assert table["ours"]["call_label"] == MEASURED
    assert table["ours"]["time_s"] == pytest.approx(20 * 1e-6 * 2000)
    assert table["ours"]["label"] == EXTRAPOLATED
    assert table["naive"]["time_s"] == pytest.approx(20 * 1e-6 * 2000**2)
    assert table["ours"]["speedup_vs_naive"] == pytest.approx(2000.0)

    # A target for the whole task accounts for the steps: 1e-6 n^2 * n/100 >= 10 s.
    result = run(spec, clock, target_s=10.0)
    n = result.full_size
    assert 1e-6 * n**2 * (n // 100) >= 10.0
    assert n <= 1.2 * (10.0 / 1e-8) ** (1 / 3)  # not much more than needed (1,000)


def test_peak_memory_of_each_implementation_is_measured():
    np = pytest.importorskip("numpy")
    from accel.machine import reset_peak_rss, rss_bytes

    if rss_bytes() is None or not reset_peak_rss():
        pytest.skip("per-call peak memory needs Linux /proc/self/clear_refs")
    clock = FakeClock()

    def hungry(inputs):
        block = np.ones(10_000_000)  # 80 MB, touched, then freed
        del block
        return sorted_pairs(inputs)

    result = run(fake_spec(clock, ours=timed(clock, hungry, lambda n: 1e-6 * n)), clock)
    table = {r["role"]: r for r in rows(result)}
    assert table["ours"]["extra_rss_bytes"] >= 70 * 2**20
    assert table["baseline"]["extra_rss_bytes"] < 70 * 2**20
    assert table["ours"]["peak_rss_bytes"] >= table["ours"]["extra_rss_bytes"]


def test_naive_fit_uses_cpu_time_and_a_busy_machine_is_reported():
    from accel.compress_report import busy_warning

    wall, cpu = FakeClock(), FakeClock()

    def contended(inputs):
        n = len(inputs[0])
        cpu.now += 1e-6 * n**2
        wall.now += 3e-6 * n**2  # descheduled two thirds of the time
        return naive_pairs(inputs)

    spec = fake_spec(wall, implementations=[
        Implementation("double loop", "naive", run=contended),
        Implementation("sort + bisect", "baseline", run=timed(wall, sorted_pairs, lambda n: 4e-6 * n)),
    ])  # fmt: skip
    result = run(spec, wall, cpu_clock=cpu)
    assert result.fit.c == pytest.approx(1e-6, rel=1e-9)  # the CPU time, not the wall time
    assert "naive median wall time reached 3x its CPU time" in busy_warning(result)
    calm = FakeClock()
    quiet_result = run(fake_spec(calm), calm)
    assert busy_warning(quiet_result) is None


def test_the_order_implementations_are_listed_in_does_not_matter():
    clock = FakeClock()
    spec = fake_spec(clock)
    shuffled = fake_spec(clock, implementations=list(reversed(spec.implementations)))
    result = run(shuffled, clock)
    assert result.status == "PASSED", result.problems
    assert [r.role for r in result.implementations] == ["naive", "baseline", "ours"]
    assert {(c.reference, c.size) for c in result.checks if c.size == 2000} == {
        ("sort + bisect", 2000)
    }


def test_naive_time_with_the_expected_exponent_shows_the_fit_sensitivity():
    from accel.compress_result import naive_with_expected_exponent

    clock = FakeClock()
    exact = run(fake_spec(clock), clock)
    assert naive_with_expected_exponent(exact) == pytest.approx(1e-6 * 2000**2)
    steeper = fake_spec(clock, implementations=[
        Implementation("double loop", "naive", run=timed(clock, naive_pairs, lambda n: 1e-6 * n**2.2)),
        Implementation("sort + bisect", "baseline", run=timed(clock, sorted_pairs, lambda n: 4e-6 * n)),
    ])  # fmt: skip
    result = run(steeper, clock)
    assert result.fit.p == pytest.approx(2.2)
    # Anchored at the largest measured size (160) and grown as n^2 to 2000.
    assert naive_with_expected_exponent(result) == pytest.approx(
        1e-6 * 160**2.2 * (2000 / 160) ** 2
    )
    assert result.naive_full()[0] > naive_with_expected_exponent(result)


def test_a_target_is_reached_with_both_the_fitted_and_the_expected_exponent():
    from accel.compress_result import naive_with_expected_exponent

    clock = FakeClock()
    steeper = fake_spec(clock, implementations=[
        Implementation("double loop", "naive", run=timed(clock, naive_pairs, lambda n: 1e-6 * n**2.2)),
        Implementation("sort + bisect", "baseline", run=timed(clock, sorted_pairs, lambda n: 4e-6 * n)),
    ])  # fmt: skip
    result = run(steeper, clock, target_s=20.0)
    assert result.naive_full()[0] >= 20.0
    assert naive_with_expected_exponent(result) >= 20.0  # p = 2 through (160, t) also reaches it
    # The fitted line alone would have stopped earlier: (20 / 1e-6) ** (1 / 2.2) = 2,072.
    assert result.full_size > 2100


def test_a_dask_implementation_called_outside_its_session_says_so():
    impl = dask_implementation("demo (Dask)", lambda inputs, client: inputs)
    with pytest.raises(RuntimeError, match=r"demo \(Dask\) needs its Dask session"):
        impl.run([1, 2])
