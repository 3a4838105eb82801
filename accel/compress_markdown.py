"""The Markdown report of ``accel compress``: headline, tables, fit, checks, machine."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from accel.compress_report import (
    busy_warning,
    fit_warning,
    format_bytes,
    format_duration,
    format_ratio,
    headline,
    rows,
    size_line,
)
from accel.compress_result import WorkloadResult, naive_with_expected_exponent

__all__ = ["markdown_report"]


def _fit_section(result: WorkloadResult) -> list[str]:
    fit = result.fit
    if fit is None:
        return ["No fit: the naive implementation has no timings.", ""]
    expected = (
        f" (a {result.expected_exponent:g} is expected from the algorithm)"
        if result.expected_exponent is not None
        else ""
    )
    lines = [
        f"time = c * size^p fitted by least squares on log(time) vs log(size) over "
        f"{len(fit.sizes)} sizes: **p = {fit.p:.3f} ± {fit.p_stderr:.3f}**{expected}, "
        f"c = {fit.c:.3e} s, R² = {fit.r2:.5f}, max relative residual = {fit.max_rel_residual:.1%}.",
        "",
        *([f"**Warning: {fit_warning(result)}.**", ""] if fit_warning(result) else []),
        "Fitted to the CPU time of the fastest call at each size: the naive code is "
        "single-threaded computation, so on an idle machine its CPU time equals its wall "
        "time, and on a shared one waiting for a core adds wall time but not CPU time. CPU "
        "time is not fully immune (shared caches and a hypervisor can still inflate it): on a "
        "busy machine the naive estimate, and every speed-up over it, may lean high. Wall "
        "times are shown beside it.",
        "",
        *([f"**Note: {busy_warning(result)}.**", ""] if busy_warning(result) else []),
        f"| size ({result.size_unit}) | CPU time, fastest call (measured) | wall, fastest | "
        "wall, median | calls | fit | residual |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    naive = result.by_role("naive")
    timings = {t.size: t for t in naive[0].small} if naive else {}
    for size, t in zip(fit.sizes, fit.times_s, strict=True):
        pred = fit.predict(size)
        timing = timings.get(int(size))
        if timing is None:
            walls = "- | - | -"
        else:
            walls = (
                f"{format_duration(timing.min_s)} | {format_duration(timing.median_s)} | "
                f"{len(timing.times_s)}"
            )
        lines.append(
            f"| {size:,.0f} | {format_duration(t)} | {walls} | {format_duration(pred)} "
            f"| {t / pred - 1:+.1%} |"
        )
    if result.full_size:
        factor = result.full_size / max(fit.sizes)
        times = f"{factor:,.0f}" if factor >= 10 else f"{factor:.3g}"
        spread = factor**fit.p_stderr if math.isfinite(fit.p_stderr) else math.nan
        lines += [
            "",
            f"The full size is {times} times the largest measured size; a p error of "
            f"±{fit.p_stderr:.3f} moves the extrapolation by a factor of {spread:.3g}.",
        ]
        alt = naive_with_expected_exponent(result)
        if alt is not None:
            whole = alt * result.repetitions
            lines.append(
                f"With p exactly {result.expected_exponent:g} (the line through the largest "
                f"measured size), the naive time at the full size would be "
                f"{format_duration(whole)} instead of {format_duration(fit.predict(result.full_size) * result.repetitions)} "
                "(extrapolated either way)."
            )
    return [*lines, ""]


def _memory(row: dict) -> str:
    if row["peak_rss_bytes"] is None:
        return "-"
    extra = row["extra_rss_bytes"]
    return format_bytes(row["peak_rss_bytes"]) + (
        "" if extra is None else f" (+{format_bytes(extra)})"
    )


def _md_table(result: WorkloadResult) -> list[str]:
    split = result.repetitions > 1
    head = "| implementation | role | "
    head += "one call | label | whole task | label |" if split else "time at full size | label |"
    head += " vs naive | vs baseline | warm-up | first call | peak memory (extra) | note |"
    lines = [
        head,
        "|---|---|" + ("---:|---|" * (2 if split else 1)) + "---:|---:|---:|---:|---:|---|",
    ]
    for r in rows(result):
        first = (
            f"{format_duration(r['first_call_s'])} at {r['first_call_size']:,}"
            if r["first_call_s"] is not None
            else "-"
        )
        cells = [r["implementation"], r["role"]]
        if split:
            cells += [format_duration(r["call_s"]), r["call_label"] or "-"]
        cells += [
            format_duration(r["time_s"]), r["label"] or "-", format_ratio(r["speedup_vs_naive"]),
            format_ratio(r["speedup_vs_baseline"]), format_duration(r["warmup_s"]), first,
            _memory(r), r["note"],
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    if split:
        lines += [
            "",
            f"One call runs one of the {result.repetitions:,} {result.repetitions_unit or 'repetitions'}; "
            "the whole-task time is the one-call time times that count, so it is labelled "
            "extrapolated even where the call was measured.",
        ]
    return lines


def markdown_report(results: Sequence[WorkloadResult], meta: dict[str, Any]) -> str:
    """The whole report as Markdown: status, per-workload tables, fit, checks, machine."""
    status = "PASSED" if all(r.status != "FAILED" for r in results) else "FAILED"
    out = [
        "# accel compress report",
        "",
        f"**Status: {status}**. Created {meta.get('created_utc', '?')} by `{meta.get('command', '?')}`; "
        f"{meta.get('repeats', '?')} timed repeats per measurement (median shown).",
        "",
        "Every time is labelled *measured* (run here) or *extrapolated* (from the naive power-law fit).",
        "",
    ]
    for result in results:
        out += [f"## {result.name}: {result.status}", "", f"**{headline(result)}**", ""]
        if result.status == "UNAVAILABLE":
            continue
        out += [f"Task: {result.task}.", ""]
        if result.full_size:
            how = {"given": "size given", "default": "the workload's default size"}.get(
                result.size_source, ""
            )
            if result.target_s is not None:
                how = (
                    "picked so that the naive time reaches the target of "
                    f"{format_duration(result.target_s)}"
                    + (
                        f" with both the fitted p and p = {result.expected_exponent:g}"
                        if result.expected_exponent is not None
                        else ""
                    )
                )
            out += [f"Full size: {size_line(result)} ({how}).", ""]
        if result.capped_reason:
            out += [f"Note: {result.capped_reason}.", ""]
        out += _md_table(result)
        out += [
            "",
            "Peak memory: resident memory of this process during the full-size calls (measured; "
            "in brackets, the rise over what it held before them; a Dask path's workers are "
            "not included). "
            "Warm-up: one call before the timed repeats at the full size, not counted. First call: the "
            "first call in this process (smallest size), which includes JIT compilation unless it was "
            "cached on disk.",
            "",
            "### Naive fit",
            "",
            *_fit_section(result),
            "### Equality checks",
            "",
            f"Rule: {result.equality_rule}.",
            "",
            "| size | reference | compared | result |",
            "|---:|---|---|---|",
        ]
        out += [
            f"| {c.size:,} | {c.reference} | {c.other} | {'equal' if c.equal else '**DIFFERENT**'} |"
            for c in result.checks
        ]
        out.append("")
        if result.problems:
            out += ["### Problems", "", *[f"- {p}" for p in result.problems], ""]
    machine = meta.get("machine", {})
    out += ["## Machine", ""]
    if meta.get("peak_rss_bytes"):
        out.append(
            f"- peak memory of the whole run (RSS): {meta['peak_rss_bytes'] / 2**30:.2f} GiB"
        )
    if meta.get("load_average_start") is not None:
        out.append(
            f"- load average (1, 5, 15 min) at start: {meta['load_average_start']}, "
            f"at end: {meta.get('load_average_end')} (on {machine.get('usable_cores', '?')} cores)"
        )
    for key, value in machine.items():
        if key == "libraries":
            value = ", ".join(f"{k} {v or 'not installed'}" for k, v in value.items())
        out.append(f"- {key}: {value}")
    return "\n".join(out) + "\n"
