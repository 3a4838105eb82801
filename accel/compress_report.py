"""Compression results as words: labelled rows, headline, terminal table and JSON.

Every time shown carries its label, *measured* or *extrapolated*.  The Markdown
report is in :mod:`accel.compress_markdown`, file writing in :mod:`accel.compress_files`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from accel.compress_result import (
    EXTRAPOLATED,
    MEASURED,
    WorkloadResult,
    naive_with_expected_exponent,
)

__all__ = [
    "busy_warning",
    "fit_warning",
    "format_bytes",
    "format_duration",
    "format_ratio",
    "headline",
    "json_report",
    "rows",
    "size_line",
    "terminal_table",
]

SCHEMA = "accel-compress/1"


def format_duration(seconds: float | None) -> str:
    """A duration a reader takes in at a glance: ``"9.8 s"``, ``"14 min"``, ``"169 days"``.

    Examples
    --------
    >>> format_duration(9.83), format_duration(169 * 86400), format_duration(0.00042)
    ('9.83 s', '169 days', '420 µs')
    """
    if seconds is None or not math.isfinite(seconds):
        return "-"
    for limit, unit, scale in (
        (1e-3, "µs", 1e-6),
        (1.0, "ms", 1e-3),
        (120.0, "s", 1.0),
        (7200.0, "min", 60.0),
        (2 * 86400.0, "h", 3600.0),
        (2 * 365.25 * 86400.0, "days", 86400.0),
    ):
        if seconds < limit:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / (365.25 * 86400.0):.3g} years"


def format_ratio(ratio: float | None) -> str:
    """A speed-up such as ``"3.2x"`` or ``"1.5e6x"``.

    Examples
    --------
    >>> format_ratio(3.21), format_ratio(1.46e6)
    ('3.2x', '1.5e6x')
    """
    if ratio is None or not math.isfinite(ratio) or ratio <= 0:
        return "-"
    if ratio < 1e4:
        return f"{ratio:.2g}x" if ratio < 10 else f"{ratio:,.0f}x"
    exponent = math.floor(math.log10(ratio))
    mantissa = ratio / 10**exponent
    if round(mantissa, 1) >= 10:  # 9.96e6 rounds to 10.0e6
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.1f}e{exponent}x"


def format_bytes(n: int | None) -> str:
    """A memory size such as ``"350 MiB"`` or ``"2.4 GiB"``.

    Examples
    --------
    >>> format_bytes(350 * 2**20), format_bytes(int(2.4 * 2**30)), format_bytes(None)
    ('350 MiB', '2.4 GiB', '-')
    """
    if n is None:
        return "-"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"


def rows(result: WorkloadResult) -> list[dict[str, Any]]:
    """One row per implementation at the full size, each time labelled.

    Each row has ``implementation``, ``role``, ``status``, ``call_s`` and
    ``call_label`` (one call at the full size: ``"measured"`` or ``"extrapolated"``,
    ``""`` when there is no time), ``time_s`` and ``label`` (the whole task: the same
    as the call unless the task is several repetitions, when it is the call times the
    count and always ``"extrapolated"``), ``speedup_vs_naive``,
    ``speedup_vs_baseline``, ``warmup_s``, ``first_call_s``, ``first_call_size``,
    ``peak_rss_bytes`` and ``extra_rss_bytes`` (this process's peak resident memory
    during the full-size calls, and that peak minus the memory before them; measured,
    Linux only) and ``note``.
    """
    reps = result.repetitions
    naive_s, naive_label = result.naive_full()
    baselines = [impl.full.median_s for impl in result.by_role("baseline") if impl.full]
    baseline_s = baselines[0] if baselines else None
    out = []
    for impl in result.implementations:
        row: dict[str, Any] = {
            "implementation": impl.name,
            "role": impl.role,
            "status": impl.status,
            "call_s": None,
            "call_label": "",
            "time_s": None,
            "label": "",
            "speedup_vs_naive": None,
            "speedup_vs_baseline": None,
            "warmup_s": None,
            "first_call_s": impl.first_call_s,
            "first_call_size": impl.first_call_size,
            "peak_rss_bytes": None,
            "extra_rss_bytes": None,
            "note": impl.reason or "",
        }
        if impl.role == "naive":
            row["call_s"], row["call_label"] = naive_s, naive_label
            if naive_label == EXTRAPOLATED and result.fit is not None:
                row["note"] = row["note"] or (
                    f"fit from sizes {', '.join(f'{s:,}' for s in result.naive_sizes)}"
                )
        elif impl.full is not None:
            t = impl.full.median_s
            row.update(call_s=t, call_label=MEASURED, warmup_s=impl.full.warmup_s)
            peak, before = impl.full.peak_rss_bytes, impl.full.rss_before_bytes
            if peak is not None:
                row["peak_rss_bytes"] = peak
                row["extra_rss_bytes"] = None if before is None else max(0, peak - before)
            # A zero time (a clock coarser than the call) gives no ratio rather than infinity.
            if naive_s and t > 0:
                row["speedup_vs_naive"] = naive_s / t
            if baseline_s and impl.role != "baseline" and t > 0:
                row["speedup_vs_baseline"] = baseline_s / t
        if row["call_s"] is not None:
            row["time_s"] = row["call_s"] * reps
            row["label"] = row["call_label"] if reps == 1 else EXTRAPOLATED
        out.append(row)
    return out


def headline(result: WorkloadResult) -> str:
    """One sentence: the naive time, our best measured time, the ratio, and the baseline.

    Reads like ``naive 169 days (extrapolated) -> 9.8 s (measured), 1.5e6x;
    astropy 31 s (measured), ours 3.2x faster``.
    """
    if result.status == "UNAVAILABLE":
        return f"{result.name}: unavailable ({result.reason})"
    table = rows(result)
    naive = next((r for r in table if r["role"] == "naive"), None)
    ours = [r for r in table if r["role"] in ("ours", "ours-dask") and r["time_s"] is not None]
    base = [r for r in table if r["role"] == "baseline" and r["time_s"] is not None]
    parts = []
    prefix = "FAILED: " if result.status == "FAILED" else ""
    if naive is None or naive["time_s"] is None:
        parts.append("naive: no time (see problems)")
    elif ours:
        best = min(ours, key=lambda r: r["time_s"])
        parts.append(
            f"naive {format_duration(naive['time_s'])} ({naive['label']}) -> "
            f"{format_duration(best['time_s'])} ({best['label']}, {best['implementation']}), "
            f"{format_ratio(best['speedup_vs_naive'])}"
        )
    else:
        parts.append(
            f"naive {format_duration(naive['time_s'])} ({naive['label']}); ours: not measured"
        )
    if base:
        b = base[0]
        text = f"{b['implementation']} {format_duration(b['time_s'])} ({b['label']})"
        if ours:
            best = min(ours, key=lambda r: r["time_s"])
            ratio = b["time_s"] / best["time_s"] if best["time_s"] > 0 else None
            text += f", ours {format_ratio(ratio)} faster"
        parts.append(text)
    if result.repetitions > 1:
        parts.append(
            f"whole task = {result.repetitions:,} {result.repetitions_unit or 'repetitions'} "
            "x the time of one call"
        )
    return prefix + "; ".join(parts)


def size_line(result: WorkloadResult) -> str:
    text = f"{result.full_size:,} {result.size_unit}"
    if result.size_description:
        text += f" ({result.size_description})"
    if result.repetitions > 1:
        text += f"; whole task = {result.repetitions:,} {result.repetitions_unit or 'repetitions'}"
    return text


def terminal_table(results: Sequence[WorkloadResult]) -> str:
    """A plain-text table of every workload's rows, with its headline above it."""
    lines: list[str] = []
    for result in results:
        lines.append(f"== {result.name}: {result.status}")
        lines.append(headline(result))
        if result.status == "UNAVAILABLE":
            lines.append("")
            continue
        if result.full_size:
            lines.append(f"full size: {size_line(result)}")
        split = result.repetitions > 1
        header = (
            "implementation",
            "role",
            *(("one call", "label") if split else ()),
            "whole task" if split else "time",
            "label",
            "vs naive",
            "vs baseline",
            "extra memory",
            "note",
        )
        body = [
            (
                r["implementation"], r["role"],
                *((format_duration(r["call_s"]), r["call_label"]) if split else ()),
                format_duration(r["time_s"]), r["label"],
                format_ratio(r["speedup_vs_naive"]), format_ratio(r["speedup_vs_baseline"]),
                format_bytes(r["extra_rss_bytes"]), r["note"],
            )
            for r in rows(result)
        ]  # fmt: skip
        widths = [max(len(str(c)) for c in col) for col in zip(header, *body, strict=True)]
        for cells in (header, *body):
            lines.append(
                "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
            )
        if fit_warning(result):
            lines.append(f"WARNING: {fit_warning(result)}")
        if busy_warning(result):
            lines.append(f"NOTE: {busy_warning(result)}")
        for problem in result.problems:
            lines.append(f"PROBLEM: {problem}")
        lines.append("")
    return "\n".join(lines)


# Below this R² or above this residual, an extrapolation over decades is a guess.
FIT_R2_WARN = 0.99
FIT_RESIDUAL_WARN = 0.25


# Median wall time above this multiple of the CPU time means the machine was shared.
BUSY_RATIO_WARN = 1.2


def busy_warning(result: WorkloadResult) -> str | None:
    """A sentence when the naive runs' wall time ran well above their CPU time, or ``None``.

    Examples
    --------
    >>> from accel.compress import Timing, WorkloadResult, ImplementationResult
    >>> naive = ImplementationResult("loop", "naive", small=[Timing(10, [2.0, 2.2], cpu_s=[1.0, 1.0])])
    >>> busy_warning(WorkloadResult("demo", "PASSED", implementations=[naive]))[:22]
    'the machine was busy: '
    """
    worst = 0.0
    for impl in result.by_role("naive"):
        for t in impl.small:
            if t.cpu_s and t.own_time_s > 0:
                worst = max(worst, t.median_s / t.own_time_s)
    if worst <= BUSY_RATIO_WARN:
        return None
    return (
        f"the machine was busy: the naive median wall time reached {worst:.2g}x its CPU time "
        "(other processes shared the cores); the fit uses CPU time, and measured wall times "
        "of the other implementations may be inflated"
    )


def fit_warning(result: WorkloadResult) -> str | None:
    """A sentence saying why the naive fit should not be trusted, or ``None``.

    Examples
    --------
    >>> from accel.compress import WorkloadResult
    >>> from accel.compress_fit import fit_power_law
    >>> result = WorkloadResult("demo", "PASSED", fit=fit_power_law([1, 2, 4], [1.0, 5.0, 3.0]))
    >>> fit_warning(result).startswith("poor naive fit")
    True
    """
    fit = result.fit
    if fit is None:
        return None
    reasons = []
    if fit.r2 < FIT_R2_WARN:
        reasons.append(f"R² = {fit.r2:.3f} < {FIT_R2_WARN}")
    if fit.max_rel_residual > FIT_RESIDUAL_WARN:
        reasons.append(
            f"max relative residual {fit.max_rel_residual:.0%} > {FIT_RESIDUAL_WARN:.0%}"
        )
    exp = result.expected_exponent
    if (
        exp is not None
        and math.isfinite(fit.p_stderr)
        and abs(fit.p - exp) > max(0.15, 3 * fit.p_stderr)
    ):
        reasons.append(f"p = {fit.p:.2f} is far from the expected {exp:g}")
    if not reasons:
        return None
    return "poor naive fit (" + "; ".join(reasons) + "): treat the extrapolated time as rough"


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN; null means "not defined"
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def json_report(results: Sequence[WorkloadResult], meta: dict[str, Any]) -> str:
    """The whole report as JSON text (schema ``accel-compress/1``)."""
    workloads = []
    for result in results:
        data = asdict(result)
        data["fit"] = result.fit.to_dict() if result.fit else None
        naive_s, naive_label = result.naive_full()
        data["naive_at_full_size"] = {"time_s": naive_s, "label": naive_label}
        data["rows"] = rows(result)
        data["headline"] = headline(result)
        data["fit_warning"] = fit_warning(result)
        data["busy_warning"] = busy_warning(result)
        alt = naive_with_expected_exponent(result)
        data["naive_at_full_size_with_expected_p"] = (
            None if alt is None else {"time_s": alt * result.repetitions, "label": EXTRAPOLATED}
        )
        workloads.append(data)
    status = "PASSED" if all(r.status != "FAILED" for r in results) else "FAILED"
    doc = {"schema": SCHEMA, "status": status, **meta, "workloads": workloads}
    return json.dumps(_jsonable(doc), indent=2, ensure_ascii=False) + "\n"
