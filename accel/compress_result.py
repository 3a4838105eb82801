"""What ``accel compress`` found: timings, checks and verdicts, each figure labelled.

Plain dataclasses filled by :mod:`accel.compress` and read by the report writers.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from accel.compress_fit import PowerLawFit, power_law_through

__all__ = [
    "EXTRAPOLATED",
    "MEASURED",
    "Check",
    "ImplementationResult",
    "Timing",
    "WorkloadResult",
    "naive_with_expected_exponent",
    "unavailable_result",
]

MEASURED = "measured"
EXTRAPOLATED = "extrapolated"


@dataclass
class Timing:
    """Timed calls of one implementation at one size."""

    size: int
    times_s: list[float]
    warmup_s: float | None = None
    # CPU time of this process for each timed call (only kept at the naive sizes).
    cpu_s: list[float] = field(default_factory=list)
    # Resident memory of this process: before the first call, and the peak during any call
    # (Linux only; a Dask path's workers are other processes and are not counted).
    rss_before_bytes: int | None = None
    peak_rss_bytes: int | None = None

    @property
    def median_s(self) -> float:
        return statistics.median(self.times_s)

    @property
    def min_s(self) -> float:
        return min(self.times_s)

    @property
    def own_time_s(self) -> float:
        """The code's own time: CPU time of the fastest call, else the fastest wall time.

        Used for single-threaded naive code only, where CPU time is what wall time would
        be on an idle machine.
        """
        cpu = min(self.cpu_s) if self.cpu_s else 0.0
        return cpu if cpu > 0 else self.min_s


@dataclass
class ImplementationResult:
    """What happened to one implementation: its timings, or why it has none."""

    name: str
    role: str
    status: str = "ok"  # ok | unavailable | error | skipped
    reason: str | None = None
    small: list[Timing] = field(default_factory=list)
    full: Timing | None = None
    first_call_s: float | None = None
    first_call_size: int | None = None
    session_start_s: float | None = None


@dataclass
class Check:
    """One equality check between two implementations' outputs at one size."""

    size: int
    reference: str
    other: str
    equal: bool


@dataclass
class WorkloadResult:
    """Everything a report needs about one workload."""

    name: str
    status: str  # PASSED | FAILED | UNAVAILABLE
    reason: str | None = None
    task: str = ""
    size_unit: str = ""
    equality_rule: str = ""
    expected_exponent: float | None = None
    naive_sizes: list[int] = field(default_factory=list)
    fit: PowerLawFit | None = None
    full_size: int | None = None
    target_s: float | None = None
    target_size: int | None = None
    capped_reason: str | None = None
    size_description: str = ""
    size_source: str = "target"  # target | given | default: where the full size came from
    repetitions: int = 1
    repetitions_unit: str = ""
    implementations: list[ImplementationResult] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def by_role(self, role: str) -> list[ImplementationResult]:
        return [impl for impl in self.implementations if impl.role == role]

    def naive_full(self) -> tuple[float | None, str]:
        """The naive time at the full size and its label (measured or extrapolated)."""
        naive = self.by_role("naive")[0] if self.by_role("naive") else None
        if naive is None or self.full_size is None:
            return None, ""
        for timing in naive.small:
            if timing.size == self.full_size:
                return timing.own_time_s, MEASURED  # the statistic the fit uses
        if self.fit is None:
            return None, ""
        return self.fit.predict(self.full_size), EXTRAPOLATED


def naive_with_expected_exponent(result: WorkloadResult) -> float | None:
    """Naive time per call at the full size if ``p`` were exactly the expected exponent.

    The line is anchored at the largest measured size, so this shows how much of the
    extrapolation rests on the fitted exponent.  ``None`` without an expected exponent,
    a fit or a full size.
    """
    fit, p = result.fit, result.expected_exponent
    if fit is None or p is None or result.full_size is None:
        return None
    i = max(range(len(fit.sizes)), key=fit.sizes.__getitem__)
    return power_law_through(fit.sizes[i], fit.times_s[i], p).predict(result.full_size)


def unavailable_result(name: str, reason: str) -> WorkloadResult:
    """The result row of a workload that could not be loaded."""
    return WorkloadResult(name=name, status="UNAVAILABLE", reason=reason)
