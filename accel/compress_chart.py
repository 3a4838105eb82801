"""A log-scale bar chart of compression results, as PNG bytes.

Extrapolated bars are hatched and pale, measured bars solid, and every bar says
which it is in its label, so the picture cannot be read without the caveat.
Matplotlib's Agg canvas is used directly, leaving the global backend alone.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from accel.compress_report import format_duration, format_ratio, headline, rows
from accel.compress_result import EXTRAPOLATED, MEASURED, WorkloadResult

__all__ = ["chart_png"]

_NOTE_CHARS = 70
_COLOURS = {"naive": "#b2182b", "baseline": "#4d4d4d", "ours": "#2166ac", "ours-dask": "#5aae61"}


def chart_png(results: Sequence[WorkloadResult], *, dpi: int = 110) -> bytes:
    """Draw one horizontal log-scale bar panel per workload and return the PNG.

    Parameters
    ----------
    results
        Workload results; unavailable workloads get a panel that says so.
    dpi
        Resolution of the image.

    Returns
    -------
    bytes
        A PNG image.

    Examples
    --------
    >>> from accel.compress import unavailable_result
    >>> chart_png([unavailable_result("demo", "not installed")])[:4]
    b'\\x89PNG'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    heights = [max(1.6, 0.55 * len(r.implementations) + 1.2) for r in results] or [1.6]
    fig = Figure(figsize=(10, sum(heights) + 0.4), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(heights), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, result in zip(axes, results, strict=False):
        title = headline(result) if result.status != "UNAVAILABLE" else "unavailable"
        ax.set_title(f"{result.name}: {title}", fontsize=8.5, loc="left", wrap=True)
        table = rows(result) if result.status != "UNAVAILABLE" else []
        if not table:
            ax.text(
                0.5,
                0.5,
                f"unavailable: {result.reason}",
                ha="center",
                va="center",
                transform=ax.transAxes,
                fontsize=9,
            )
            ax.set_axis_off()
            continue
        labels, times = [], []
        for i, row in enumerate(table):
            labels.append(f"{row['implementation']}\n({row['role']})")
            t = row["time_s"]
            times.append(t)
            if t is None:
                continue
            extrapolated = row["label"] == EXTRAPOLATED
            ax.barh(
                i,
                t,
                color=_COLOURS.get(row["role"], "#888888"),
                alpha=0.45 if extrapolated else 0.95,
                hatch="//" if extrapolated else None,
                edgecolor="black",
                linewidth=0.6,
            )
        measured = [t for t in times if t is not None]
        if measured:
            lo, hi = min(measured), max(measured)
            ax.set_xscale("log")
            ax.set_xlim(lo / 20, hi * 60)
        for i, row in enumerate(table):
            t = row["time_s"]
            if t is None:
                text = row["note"] or row["status"]
                if len(text) > _NOTE_CHARS:  # the full reason is in the Markdown report
                    text = text[: _NOTE_CHARS - 3] + "..."
                x = ax.get_xlim()[0] * 1.2 if measured else 0
            else:
                how = row["label"]
                if result.repetitions > 1 and row["call_label"] == MEASURED:
                    how += f": measured {format_duration(row['call_s'])} x {result.repetitions:,}"
                text, x = f"{format_duration(t)} ({how})", t * 1.15
                if row["speedup_vs_naive"]:
                    text += f", {format_ratio(row['speedup_vs_naive'])} vs naive"
            ax.text(x, i, text, va="center", fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_ylim(len(labels) - 0.4, -0.6)  # first row on top, room for text-only rows
        ax.set_xlabel(
            f"{'whole-task time' if result.repetitions > 1 else 'time'} at "
            f"{result.full_size:,} {result.size_unit} (seconds, log scale)"
            if result.full_size
            else "seconds (log scale)",
            fontsize=8,
        )
        ax.tick_params(axis="x", labelsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
