"""Compression results as words: headline, terminal table, Markdown and JSON files.

Every time printed here carries its label, *measured* or *extrapolated*, and the
files are written atomically: a temporary file in the same folder, then a rename
(or a hard link when existing reports must not be replaced).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from accel.compress import EXTRAPOLATED, MEASURED, WorkloadResult

__all__ = [
    "REPORT_SUFFIXES",
    "format_duration",
    "format_ratio",
    "fit_warning",
    "headline",
    "markdown_report",
    "json_report",
    "report_paths",
    "refuse_existing",
    "rows",
    "terminal_table",
    "write_atomic",
]

REPORT_SUFFIXES: tuple[str, ...] = (".md", ".json", ".png")
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


def rows(result: WorkloadResult) -> list[dict[str, Any]]:
    """One row per implementation at the full size, each time labelled.

    Each row has ``implementation``, ``role``, ``status``, ``time_s``, ``label``
    (``"measured"``, ``"extrapolated"`` or ``""`` when there is no time),
    ``speedup_vs_naive``, ``speedup_vs_baseline``, ``warmup_s``, ``first_call_s``
    and ``note``.
    """
    naive_s, naive_label = result.naive_full()
    baselines = [impl.full.median_s for impl in result.by_role("baseline") if impl.full]
    baseline_s = baselines[0] if baselines else None
    out = []
    for impl in result.implementations:
        row: dict[str, Any] = {
            "implementation": impl.name,
            "role": impl.role,
            "status": impl.status,
            "time_s": None,
            "label": "",
            "speedup_vs_naive": None,
            "speedup_vs_baseline": None,
            "warmup_s": None,
            "first_call_s": impl.first_call_s,
            "first_call_size": impl.first_call_size,
            "note": impl.reason or "",
        }
        if impl.role == "naive":
            row["time_s"], row["label"] = naive_s, naive_label
            if naive_label == EXTRAPOLATED and result.fit is not None:
                row["note"] = row["note"] or (
                    f"fit from sizes {', '.join(f'{s:,}' for s in result.naive_sizes)}"
                )
        elif impl.full is not None:
            t = impl.full.median_s
            row.update(time_s=t, label=MEASURED, warmup_s=impl.full.warmup_s)
            if naive_s:
                row["speedup_vs_naive"] = naive_s / t
            if baseline_s and impl.role != "baseline":
                row["speedup_vs_baseline"] = baseline_s / t
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
            f"{format_duration(best['time_s'])} (measured, {best['implementation']}), "
            f"{format_ratio(best['speedup_vs_naive'])}"
        )
    else:
        parts.append(
            f"naive {format_duration(naive['time_s'])} ({naive['label']}); ours: not measured"
        )
    if base:
        b = base[0]
        text = f"{b['implementation']} {format_duration(b['time_s'])} (measured)"
        if ours:
            best = min(ours, key=lambda r: r["time_s"])
            text += f", ours {format_ratio(b['time_s'] / best['time_s'])} faster"
        parts.append(text)
    return prefix + "; ".join(parts)


def terminal_table(results: Sequence[WorkloadResult]) -> str:
    """A plain-text table of every workload's rows, with its headline above it."""
    lines: list[str] = []
    header = ("implementation", "role", "time", "label", "vs naive", "vs baseline", "note")
    for result in results:
        lines.append(f"== {result.name}: {result.status}")
        lines.append(headline(result))
        if result.status == "UNAVAILABLE":
            lines.append("")
            continue
        lines.append(
            f"full size: {result.full_size:,} {result.size_unit}" if result.full_size else ""
        )
        body = [
            (
                r["implementation"],
                r["role"],
                format_duration(r["time_s"]),
                r["label"],
                format_ratio(r["speedup_vs_naive"]),
                format_ratio(r["speedup_vs_baseline"]),
                r["note"],
            )
            for r in rows(result)
        ]
        widths = [max(len(str(c)) for c in col) for col in zip(header, *body, strict=True)]
        for cells in (header, *body):
            lines.append(
                "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
            )
        if fit_warning(result):
            lines.append(f"WARNING: {fit_warning(result)}")
        for problem in result.problems:
            lines.append(f"PROBLEM: {problem}")
        lines.append("")
    return "\n".join(lines)


# Below this R² or above this residual, an extrapolation over decades is a guess.
FIT_R2_WARN = 0.99
FIT_RESIDUAL_WARN = 0.25


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
        f"| size ({result.size_unit}) | naive median (measured) | fit | residual |",
        "|---:|---:|---:|---:|",
    ]
    for size, t in zip(fit.sizes, fit.times_s, strict=True):
        pred = fit.predict(size)
        lines.append(
            f"| {size:,.0f} | {format_duration(t)} | {format_duration(pred)} | {t / pred - 1:+.1%} |"
        )
    if result.full_size:
        factor = result.full_size / max(fit.sizes)
        lines.append("")
        lines.append(
            f"The full size is {factor:,.3g} times the largest measured size; a p error of "
            f"±{fit.p_stderr:.3f} moves the extrapolation by a factor of "
            f"{factor**fit.p_stderr if math.isfinite(fit.p_stderr) else float('nan'):.3g}."
        )
    return [*lines, ""]


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
            how = "given size"
            if result.target_s is not None:
                how = f"picked so that the naive time reaches the target of {format_duration(result.target_s)}"
            out += [f"Full size: {result.full_size:,} {result.size_unit} ({how}).", ""]
        if result.capped_reason:
            out += [f"Note: {result.capped_reason}.", ""]
        out += [
            "| implementation | role | time at full size | label | vs naive | vs baseline | warm-up | first call | note |",
            "|---|---|---:|---|---:|---:|---:|---:|---|",
        ]
        for r in rows(result):
            first = (
                f"{format_duration(r['first_call_s'])} at {r['first_call_size']:,}"
                if r["first_call_s"] is not None
                else "-"
            )
            out.append(
                f"| {r['implementation']} | {r['role']} | {format_duration(r['time_s'])} | "
                f"{r['label'] or '-'} | {format_ratio(r['speedup_vs_naive'])} | "
                f"{format_ratio(r['speedup_vs_baseline'])} | {format_duration(r['warmup_s'])} | "
                f"{first} | {r['note']} |"
            )
        out += [
            "",
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
    for key, value in machine.items():
        if key == "libraries":
            value = ", ".join(f"{k} {v or 'not installed'}" for k, v in value.items())
        out.append(f"- {key}: {value}")
    return "\n".join(out) + "\n"


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
        workloads.append(data)
    status = "PASSED" if all(r.status != "FAILED" for r in results) else "FAILED"
    doc = {"schema": SCHEMA, "status": status, **meta, "workloads": workloads}
    return json.dumps(_jsonable(doc), indent=2, ensure_ascii=False) + "\n"


def report_paths(out_dir: str | os.PathLike, stem: str) -> dict[str, Path]:
    """Suffix -> path of each report file, e.g. ``{".md": out_dir/"skymatch.md", ...}``."""
    return {suffix: Path(out_dir) / f"{stem}{suffix}" for suffix in REPORT_SUFFIXES}


def refuse_existing(paths: Sequence[Path], overwrite: bool) -> None:
    """Raise ``FileExistsError`` naming the report files that exist, unless ``overwrite``."""
    existing = [str(p) for p in paths if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(
            f"report files already exist and overwrite is off: {', '.join(existing)}; "
            "pass --overwrite or choose another --out"
        )


def write_atomic(path: str | os.PathLike, data: bytes, *, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` all at once: readers see the old file or the new one.

    Raises ``FileExistsError`` when ``path`` exists and ``overwrite`` is false.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> write_atomic(target, b"hello")
    >>> target.read_bytes()
    b'hello'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                # link() refuses an existing target atomically, unlike replace().
                os.link(tmp, path)
            except FileExistsError:
                raise FileExistsError(
                    f"{path} already exists and overwrite is off; pass --overwrite or choose another --out"
                ) from None
            except OSError:  # a filesystem without hard links
                if path.exists():
                    raise FileExistsError(f"{path} already exists and overwrite is off") from None
                os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
