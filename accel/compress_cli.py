"""``accel compress``: how much faster, measured and extrapolated honestly.

The engine command; workloads join through the ``accel.compressions``
entry-point group (see :mod:`accel.compress_spec`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Any

from accel import __version__
from accel.compress import WorkloadResult, run_compression, unavailable_result
from accel.compress_chart import chart_png
from accel.compress_files import refuse_existing, report_paths, write_atomic
from accel.compress_markdown import markdown_report
from accel.compress_report import json_report, terminal_table
from accel.compress_spec import ENTRY_POINT_GROUP, CompressionSpec, load_specs
from accel.machine import describe_machine, peak_rss_bytes

__all__ = ["register", "run", "compress_command"]

DESCRIPTION = """\
Time each workload's naive code (as first written) at a few small sizes, fit
time = c * size^p, extrapolate it to a large size, then measure the baseline and
our implementations at that size and check every implementation gives the same
answer. Prints a table and writes Markdown, JSON and PNG reports; every figure is
labelled measured or extrapolated. Exit status 1 when any check fails."""

EPILOG = """\
examples:
  accel compress                                # every workload at default sizes (a few minutes)
  accel compress skymatch --target-days 169     # size picked so naive would take 169 days
  accel compress weather --out reports/ --overwrite
  accel compress skymatch --naive-sizes 300,1000,3000 --size 1000000 --repeats 5"""


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--naive-sizes must be comma-separated integers like 300,1000,3000; got {text!r}"
        ) from None
    if len(set(sizes)) < 3 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"--naive-sizes must hold at least three distinct positive sizes; got {text!r}"
        )
    return sizes


def _positive(kind: type, name: str):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number; got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{name} must be positive; got {text!r}")
        return value

    return parse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``compress`` subcommand to the ``accel`` command line."""
    # Names only: listing the group imports no workload code.
    known = sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})
    parser = subparsers.add_parser(
        "compress",
        help="measure naive vs baseline vs ours, extrapolate honestly, verify outputs",
        description=DESCRIPTION,
        epilog=f"registered workloads: {', '.join(known) or 'none'}\n\n{EPILOG}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "workloads",
        nargs="*",
        metavar="WORKLOAD",
        help="workloads to run (default: every registered one)",
    )
    parser.add_argument(
        "--target-days",
        type=_positive(float, "--target-days"),
        default=None,
        help="pick the size at which the naive code would run this many days",
    )
    parser.add_argument(
        "--size",
        type=_positive(int, "--size"),
        default=None,
        help="full size for the baseline and ours (one workload only)",
    )
    parser.add_argument(
        "--naive-sizes",
        type=_sizes,
        default=None,
        help="comma-separated sizes for timing the naive code (one workload only)",
    )
    parser.add_argument(
        "--repeats",
        type=_positive(int, "--repeats"),
        default=3,
        help="timed calls per measurement; the median is reported (default 3)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for the generated inputs (default 0)"
    )
    parser.add_argument(
        "--out", default="compress-report", help="folder for the reports (default compress-report/)"
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace existing report files instead of refusing"
    )
    parser.set_defaults(func=run)


def _command_line(args: argparse.Namespace) -> str:
    parts = ["accel", "compress", *args.workloads]
    for flag, value in (
        ("--target-days", args.target_days),
        ("--size", args.size),
        ("--repeats", args.repeats),
        ("--seed", args.seed),
        ("--out", args.out),
    ):
        if value is not None:
            parts += [flag, str(value)]
    if args.naive_sizes:
        parts += ["--naive-sizes", ",".join(map(str, args.naive_sizes))]
    return " ".join(parts)


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):  # not available on this platform
        return None


def compress_command(
    workloads: Sequence[str] | None,
    *,
    target_days: float | None = None,
    size: int | None = None,
    naive_sizes: Sequence[int] | None = None,
    repeats: int = 3,
    seed: int = 0,
    out: str = "compress-report",
    overwrite: bool = False,
    command: str = "accel compress",
    extra_specs: dict[str, Any] | None = None,
) -> tuple[int, list[WorkloadResult], dict]:
    """Run the compressions, print the table and write the reports.

    Parameters
    ----------
    workloads
        Names to run; every registered workload when empty or ``None``.
    target_days, size, naive_sizes, repeats, seed, out, overwrite
        As the command-line options of the same names.
    command
        The command line recorded in the reports.
    extra_specs
        Name -> spec added to the registered ones (tests use small fake workloads).

    Returns
    -------
    (exit_status, results, paths)
        ``exit_status`` is 1 when a check failed or a named workload is unavailable.

    Raises
    ------
    ValueError
        When ``size`` or ``naive_sizes`` is given for more than one workload, or a
        name is unknown.
    FileExistsError
        When report files exist and ``overwrite`` is false (checked before running).
    """
    named = list(workloads or [])
    loaded = load_specs(named or None, extra=extra_specs)
    if (size is not None or naive_sizes is not None) and len(loaded) != 1:
        raise ValueError(
            f"--size and --naive-sizes need exactly one workload; got {len(loaded)} "
            f"({', '.join(item.name for item in loaded)})"
        )
    stem = "compress-" + ("-".join(named) if named else "all")
    paths = report_paths(out, stem)
    refuse_existing(list(paths.values()), overwrite)  # before hours of work, not after

    load_start = _load_average()
    results: list[WorkloadResult] = []
    for item in loaded:
        if item.spec is None:
            results.append(unavailable_result(item.name, item.error or "failed to load"))
            continue
        spec: CompressionSpec = item.spec
        results.append(
            run_compression(
                spec,
                naive_sizes=naive_sizes,
                full_size=size,
                target_s=None if target_days is None else target_days * 86400.0,
                repeats=repeats,
                seed=seed,
            )
        )
    meta = {
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "accel_version": __version__,
        "repeats": repeats,
        "seed": seed,
        "machine": describe_machine(),
        # Other work on the machine inflates wall times: say how busy it was.
        "load_average_start": load_start,
        "load_average_end": _load_average(),
        # Whole process, all workloads together: an upper bound for any one implementation.
        "peak_rss_bytes": peak_rss_bytes(),
    }
    print(terminal_table(results))
    write_atomic(paths[".json"], json_report(results, meta).encode(), overwrite=overwrite)
    write_atomic(paths[".md"], markdown_report(results, meta).encode(), overwrite=overwrite)
    write_atomic(paths[".png"], chart_png(results), overwrite=overwrite)
    for path in paths.values():
        print(f"wrote {path}", file=sys.stderr)
    failed = any(r.status == "FAILED" for r in results)
    missing = any(r.status == "UNAVAILABLE" for r in results if r.name in named)
    return (1 if failed or missing else 0), results, paths


def run(args: argparse.Namespace) -> int:
    """Entry for ``accel compress``; returns the exit status."""
    status, _, _ = compress_command(
        args.workloads,
        target_days=args.target_days,
        size=args.size,
        naive_sizes=args.naive_sizes,
        repeats=args.repeats,
        seed=args.seed,
        out=args.out,
        overwrite=args.overwrite,
        command=_command_line(args),
    )
    return status
