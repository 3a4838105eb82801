"""The compression harness: time naive code small, extrapolate it, measure ours big.

For one :class:`~accel.compress_spec.CompressionSpec` the harness

1. runs every available implementation at each naive size, times the naive one
   (repeats) and checks every other output equals the naive output;
2. fits ``time = c * size**p`` to the naive code's own time at each size (the CPU
   time of its fastest call) and extrapolates it to the full size (or picks the
   full size that makes the naive time reach a target);
3. measures the baseline and our implementations at the full size (median of
   repeats; a warm-up call, which includes JIT compilation, is reported apart)
   and checks they agree with each other there too.

Every number in the result knows whether it was measured or extrapolated.  Any
disagreement or crash marks the workload ``FAILED``.
"""

from __future__ import annotations

import contextlib
import gc
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from accel.compress_fit import PowerLawFit, fit_power_law, power_law_through
from accel.compress_result import (
    EXTRAPOLATED,
    MEASURED,
    Check,
    ImplementationResult,
    Timing,
    WorkloadResult,
    unavailable_result,
)
from accel.compress_spec import ROLES, CompressionSpec, Implementation
from accel.machine import peak_rss_since_reset_bytes, reset_peak_rss, rss_bytes

__all__ = [
    "EXTRAPOLATED",
    "MEASURED",
    "Check",
    "ImplementationResult",
    "Timing",
    "WorkloadResult",
    "run_compression",
    "unavailable_result",
]


# Short naive calls are repeated until they add up to this, so that on a busy machine the
# median of the smallest sizes (which anchor the fit) is not one unlucky call.
NAIVE_MIN_TOTAL_S = 1.0
NAIVE_MAX_CALLS = 25


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class _Runner:
    """Calls implementations, entering their sessions once and timing each call."""

    def __init__(
        self,
        stack: contextlib.ExitStack,
        progress: Callable[[str], None],
        clock: Callable[[], float],
        cpu_clock: Callable[[], float],
    ):
        self._stack = stack
        self._progress = progress
        self._clock = clock
        self._cpu_clock = cpu_clock
        self.last_cpu_s: float = 0.0
        self._opened: set[str] = set()
        self._last: str | None = None
        self.last_rss_before: int | None = None
        self.last_peak_rss: int | None = None

    def call(
        self, impl: Implementation, result: ImplementationResult, inputs: Any
    ) -> tuple[Any, float]:
        if impl.session is not None and impl.name not in self._opened:
            self._progress(f"  starting session for {impl.name}")
            t0 = self._clock()
            self._stack.enter_context(impl.session())
            result.session_start_s = self._clock() - t0
            self._opened.add(impl.name)
        # Garbage left by another implementation must not be charged to this one; a full
        # collection costs ~60 ms with astropy and numba loaded, so only when switching.
        if self._last != impl.name:
            gc.collect()
            self._last = impl.name
        tracked = reset_peak_rss()
        self.last_rss_before = rss_bytes() if tracked else None
        c0, t0 = self._cpu_clock(), self._clock()
        output = impl.run(inputs)
        elapsed = self._clock() - t0
        self.last_cpu_s = self._cpu_clock() - c0
        self.last_peak_rss = peak_rss_since_reset_bytes() if tracked else None
        return output, elapsed


def _seconds(value: float) -> str:
    return f"{value:.3g} s"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _record_error(
    result: ImplementationResult, exc: BaseException, size: int, problems: list[str]
) -> None:
    result.status = "error"
    # Numba's typing errors are pages of coloured text: keep one readable line.
    text = " ".join(_ANSI.sub("", str(exc)).split())
    if len(text) > 300:
        text = text[:297] + "..."
    result.reason = f"{type(exc).__name__}: {text} (at size {size})"
    problems.append(f"{result.name} raised {result.reason}")


def _compare(
    spec: CompressionSpec,
    size: int,
    ref_name: str,
    ref: Any,
    name: str,
    out: Any,
    wr: WorkloadResult,
) -> None:
    try:
        same = bool(spec.equal(ref, out))
    except Exception as exc:  # a comparator that cannot compare is a failed check
        same = False
        wr.problems.append(f"comparing {name} with {ref_name} at size {size} raised {exc!r}")
    wr.checks.append(Check(size=size, reference=ref_name, other=name, equal=same))
    if not same:
        wr.problems.append(
            f"{name} differs from {ref_name} at size {size:,} ({spec.equality_rule})"
        )


def _by_role(spec: CompressionSpec) -> list[Implementation]:
    return sorted(spec.implementations, key=lambda impl: ROLES.index(impl.role))


def _small_sizes(
    spec: CompressionSpec,
    runner: _Runner,
    results: dict[str, ImplementationResult],
    wr: WorkloadResult,
    sizes: Sequence[int],
    repeats: int,
    seed: int,
    progress: Callable[[str], None],
) -> None:
    naive = spec.naive
    for size in sizes:
        progress(f"[{spec.name}] size {size:,} {spec.size_unit}: making inputs")
        inputs = spec.make_inputs(size, seed)
        ref = None
        for impl in _by_role(spec):  # naive first: it is the reference
            res = results[impl.name]
            if res.status != "ok" or (impl.max_size is not None and size > impl.max_size):
                continue
            # Naive is timed here (the fit needs it); the others run once, for the check.
            n_calls = repeats if impl is naive else 1
            times: list[float] = []
            cpus: list[float] = []
            try:
                while len(times) < n_calls or (
                    impl is naive
                    and sum(times) < NAIVE_MIN_TOTAL_S
                    and len(times) < NAIVE_MAX_CALLS
                ):
                    out, dt = runner.call(impl, res, inputs)
                    times.append(dt)
                    cpus.append(runner.last_cpu_s)
                    if res.first_call_s is None:
                        res.first_call_s, res.first_call_size = dt, size
            except Exception as exc:
                _record_error(res, exc, size, wr.problems)
                if impl is naive:
                    return
                continue
            res.small.append(Timing(size=size, times_s=times, cpu_s=cpus))
            progress(
                f"  {impl.name}: {_seconds(statistics.median(times))} (median of {len(times)})"
            )
            if impl is naive:
                ref = out
            else:
                _compare(spec, size, naive.name, ref, impl.name, out, wr)
            del out


def _full_size(
    spec: CompressionSpec,
    runner: _Runner,
    results: dict[str, ImplementationResult],
    wr: WorkloadResult,
    repeats: int,
    seed: int,
    progress: Callable[[str], None],
) -> None:
    size = wr.full_size
    assert size is not None
    progress(f"[{spec.name}] full size {size:,} {spec.size_unit}: making inputs")
    inputs = spec.make_inputs(size, seed)
    ref_name, ref = None, None
    for impl in _by_role(spec):  # the baseline, when there is one, is the reference
        res = results[impl.name]
        if impl.role == "naive" or res.status != "ok":
            continue
        if impl.max_size is not None and size > impl.max_size:
            res.status = "skipped"
            res.reason = (
                f"not run at {size:,}: above its memory limit of {impl.max_size:,} {spec.size_unit}"
            )
            continue
        times: list[float] = []
        warm = rss_before = peak = None
        try:
            for is_warmup in [True] * impl.wants_warmup + [False] * repeats:
                out = None  # the previous output must not sit in memory during this call
                out, dt = runner.call(impl, res, inputs)
                if rss_before is None:
                    rss_before = runner.last_rss_before
                if runner.last_peak_rss is not None:
                    peak = max(peak or 0, runner.last_peak_rss)
                if is_warmup:
                    warm = dt
                    progress(f"  {impl.name}: warm-up {_seconds(warm)}")
                else:
                    times.append(dt)
        except Exception as exc:
            _record_error(res, exc, size, wr.problems)
            continue
        res.full = Timing(
            size=size,
            times_s=times,
            warmup_s=warm,
            rss_before_bytes=rss_before,
            peak_rss_bytes=peak,
        )
        progress(f"  {impl.name}: {_seconds(res.full.median_s)} (median of {repeats})")
        if ref_name is None:
            ref_name, ref = impl.name, out
        else:
            _compare(spec, size, ref_name, ref, impl.name, out, wr)
        del out


def _size_for_task(spec: CompressionSpec, fit: PowerLawFit, target_s: float) -> int:
    """Size whose whole task (per-call time x repetitions) reaches ``target_s``.

    With an expected exponent, the size must reach the target both on the fitted line
    and on the line of the expected exponent through the largest measured size, so the
    claim "the naive code would take at least this long" does not rest on the fitted p.
    """
    lines = [fit]
    if spec.expected_exponent is not None:
        i = max(range(len(fit.sizes)), key=fit.sizes.__getitem__)
        lines.append(power_law_through(fit.sizes[i], fit.times_s[i], spec.expected_exponent))
    return max(_size_on_line(spec, line, target_s) for line in lines)


def _size_on_line(spec: CompressionSpec, fit: PowerLawFit, target_s: float) -> int:
    size = int(spec.size_for_seconds(fit, target_s))
    if spec.repetitions is None:
        return size
    # The count of repetitions depends on the size (finer grids take shorter steps), so
    # look for a fixed point; the sizes a spec returns are few, so this settles quickly.
    for _ in range(20):
        new = int(spec.size_for_seconds(fit, target_s / max(1, int(spec.repetitions(size)))))
        if new == size:
            break
        size = new
    return size


def _describe_full_size(spec: CompressionSpec, wr: WorkloadResult) -> None:
    size = wr.full_size
    if spec.repetitions is not None:
        wr.repetitions = int(spec.repetitions(size))
        if wr.repetitions < 1:
            raise ValueError(f"repetitions must be at least 1; got {wr.repetitions} at size {size}")
        wr.repetitions_unit = spec.repetitions_unit
    if spec.describe_size is not None:
        wr.size_description = str(spec.describe_size(size))


def run_compression(
    spec: CompressionSpec,
    *,
    naive_sizes: Sequence[int] | None = None,
    full_size: int | None = None,
    target_s: float | None = None,
    repeats: int = 3,
    seed: int = 0,
    progress: Callable[[str], None] = _stderr,
    clock: Callable[[], float] = time.perf_counter,
    cpu_clock: Callable[[], float] = time.process_time,
) -> WorkloadResult:
    """Measure, fit, extrapolate and verify one workload.

    Parameters
    ----------
    spec
        The workload's compression spec.
    naive_sizes
        Sizes at which the naive implementation is timed (default: the spec's).
    full_size
        Size at which the others are measured (default: the spec's).  Cannot be
        combined with ``target_s``.
    target_s
        Pick the full size whose extrapolated naive time is at least this many
        seconds (capped at the spec's ``max_full_size``; the result says so).
    repeats
        Timed calls per measurement; the median is reported.  At the naive sizes,
        calls are repeated until they total ``NAIVE_MIN_TOTAL_S`` (at most
        ``NAIVE_MAX_CALLS``), which steadies the small sizes that anchor the fit.
    seed
        Seed passed to ``spec.make_inputs``.
    progress
        Receives one line per step (default: print to stderr).
    clock
        Seconds counter used for timing (default ``time.perf_counter``); tests pass
        a fake clock to get exact, known timings.
    cpu_clock
        CPU-seconds counter of this process (default ``time.process_time``).  The
        naive fit uses the CPU time of the fastest call: the naive code is
        single-threaded computation, whose CPU time equals its wall time on an idle
        machine and does not grow while it waits for a core on a shared one (shared
        caches or a hypervisor can still inflate it).  Wall times are kept beside it.

    Returns
    -------
    WorkloadResult
        ``status`` is ``"FAILED"`` when any output differs or any available
        implementation raised; ``problems`` says what went wrong.

    Examples
    --------
    >>> from accel.compress_spec import CompressionSpec, Implementation
    >>> spec = CompressionSpec(
    ...     name="total", task="sum of 0..n-1", size_unit="terms",
    ...     make_inputs=lambda n, seed: list(range(n)),
    ...     implementations=(Implementation("loop", "naive", run=lambda xs: sum(x for x in xs)),
    ...                      Implementation("builtin sum", "baseline", run=sum)),
    ...     equal=lambda a, b: a == b, equality_rule="integers compared exactly",
    ...     naive_sizes=(1000, 2000, 4000), full_size=100000)
    >>> result = run_compression(spec, repeats=1, progress=lambda line: None)
    >>> result.status, result.naive_full()[1]
    ('PASSED', 'extrapolated')
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1; got {repeats}")
    if full_size is not None and target_s is not None:
        raise ValueError("full_size and target_s cannot both be given; choose one")
    sizes = sorted(set(int(s) for s in (naive_sizes or spec.naive_sizes)))
    if len(sizes) < 3 or sizes[0] < 1:
        raise ValueError(
            f"naive_sizes must hold at least three distinct positive sizes; got {sizes}"
        )
    if full_size is not None and full_size < 1:
        raise ValueError(f"full_size must be a positive size; got {full_size}")
    if full_size is not None and spec.max_full_size is not None and full_size > spec.max_full_size:
        raise ValueError(
            f"full_size must be at most {spec.max_full_size:,} {spec.size_unit} for {spec.name} "
            f"({spec.max_full_size_reason or 'memory limit'}); got {full_size:,}"
        )
    if target_s is not None and not target_s > 0:
        raise ValueError(f"target_s must be a positive time; got {target_s} s")

    ordered = _by_role(spec)
    results = {
        impl.name: ImplementationResult(
            name=impl.name,
            role=impl.role,
            status="ok" if impl.available else "unavailable",
            reason=None if impl.available else f"not available: {impl.unavailable}",
        )
        for impl in ordered
    }
    wr = WorkloadResult(
        name=spec.name,
        status="PASSED",
        task=spec.task,
        size_unit=spec.size_unit,
        equality_rule=spec.equality_rule,
        expected_exponent=spec.expected_exponent,
        naive_sizes=sizes,
        target_s=target_s,
        implementations=list(results.values()),
    )
    with contextlib.ExitStack() as stack:
        runner = _Runner(stack, progress, clock, cpu_clock)
        _small_sizes(spec, runner, results, wr, sizes, repeats, seed, progress)
        naive = results[spec.naive.name]
        if naive.status == "ok":
            # The code's own time (CPU time of the fastest call), not the median wall time:
            # waiting for a core on a shared machine adds wall time but not CPU time.
            wr.fit = fit_power_law(
                [t.size for t in naive.small], [t.own_time_s for t in naive.small]
            )
            progress(f"[{spec.name}] naive fit: p = {wr.fit.p:.3f}, R^2 = {wr.fit.r2:.4f}")
            if target_s is not None:
                wr.target_size = _size_for_task(spec, wr.fit, target_s)
                full_size = wr.target_size
                if spec.max_full_size is not None and full_size > spec.max_full_size:
                    wr.capped_reason = (
                        f"the target needs {full_size:,} {spec.size_unit}, capped to "
                        f"{spec.max_full_size:,}: {spec.max_full_size_reason or 'memory limit'}"
                    )
                    full_size = spec.max_full_size
            if wr.target_size is None:
                wr.size_source = "given" if full_size else "default"
            wr.full_size = full_size or spec.full_size
            _describe_full_size(spec, wr)
            _full_size(spec, runner, results, wr, repeats, seed, progress)
    if wr.problems:
        wr.status = "FAILED"
    return wr
