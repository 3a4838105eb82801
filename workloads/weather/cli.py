"""``accel weather``: run a Williamson test case, write the snapshots, print the errors."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

__all__ = ["register", "main"]

EXAMPLE = """example:
  accel weather --case 6 --resolution 1.0 --days 14 --out rh.zarr --plot
  accel weather --case 2 --alpha 0.7853981634 --resolution 2 --days 5 --out tc2.nc
  accel weather --case 6 --resolution 2 --days 14 --out rh.zarr --checkpoint-every 500
  accel weather --case 6 --resolution 2 --days 14 --out rh.zarr --resume
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``weather`` subcommand."""
    from workloads.weather import dask_command

    p = subparsers.add_parser(
        "weather",
        help="shallow-water model on the sphere (Williamson et al. 1992 test cases)",
        description=(
            "Run a Williamson et al. (1992) shallow-water test case (1, 2, 5, 6) on a "
            "latitude-longitude C grid, write the snapshots to Zarr or NetCDF, and print the "
            "height error norms (cases 1 and 2, against the exact solution) and the "
            "conservation errors of mass, total energy and potential enstrophy."
        ),
        epilog=EXAMPLE + dask_command.EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--case", type=int, required=True, choices=(1, 2, 5, 6), help="test case")
    p.add_argument(
        "--resolution", type=float, default=2.0, help="grid spacing, degrees (default 2)"
    )
    p.add_argument("--days", type=float, default=None,
                   help="model days to run (default: the paper's length: 12, 5, 15, 14 days)")  # fmt: skip
    p.add_argument(
        "--out", default=None, help="output path ending in .zarr or .nc (default tcN.zarr)"
    )
    p.add_argument("--alpha", type=float, default=0.0, help="flow angle, radians (cases 1, 2)")
    p.add_argument(
        "--dt", type=float, default=None, help="time step, s (default: from the CFL limit)"
    )
    p.add_argument("--output-every", type=float, default=None, help="days between snapshots")
    p.add_argument("--checkpoint-every", type=int, default=None,
                   help="write <out>.checkpoint.nc every this many steps")  # fmt: skip
    p.add_argument("--resume", action="store_true", help="continue from <out>.checkpoint.nc")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--plot", action="store_true", help="write <out>.png (height, vorticity)")
    p.add_argument("--backend", choices=("numba", "numpy"), default="numba")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    dask_command.add_arguments(p)
    p.set_defaults(func=main)


def checkpoint_path_for(out: str) -> Path:
    """The checkpoint that belongs to an output path: ``rh.zarr`` -> ``rh.checkpoint.nc``."""
    p = Path(out)
    return p.with_name(p.stem + ".checkpoint.nc")


# Williamson et al. (1992): how long each test case is run.
CASE_DAYS = {1: 12.0, 2: 5.0, 5: 15.0, 6: 14.0}


def main(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status (3 when the model blew up)."""
    from workloads.weather import dask_command

    if args.days is None:
        args.days = CASE_DAYS[args.case]
    if args.out is None:
        args.out = f"tc{args.case}{'-ensemble' if getattr(args, 'ensemble', None) else ''}.zarr"

    if dask_command.requested(args):
        return dask_command.main(args)
    from workloads.weather import io
    from workloads.weather.api import initial_state, run, summary
    from workloads.weather.model import BlowUpError
    from workloads.weather.plots import plot_state

    out = Path(args.out)
    io.output_format(out)
    ck_path = checkpoint_path_for(args.out)
    png = out.with_name(out.stem + ".png")
    for target in [out] + ([png] if args.plot else []):
        if target.exists() and not args.overwrite:
            raise FileExistsError(
                f"output {str(target)!r} already exists; pass --overwrite to replace it"
            )
    if args.resume:
        state = io.read_checkpoint(ck_path)
        if (
            int(state.attrs["case"]) != args.case
            or float(state.attrs["resolution_deg"]) != args.resolution
        ):
            raise ValueError(
                f"--resume must use the checkpoint's case and resolution "
                f"({state.attrs['case']}, {state.attrs['resolution_deg']} deg); "
                f"got {args.case}, {args.resolution} deg"
            )
    else:
        if args.checkpoint_every and ck_path.exists() and not args.overwrite:
            raise FileExistsError(
                f"checkpoint {str(ck_path)!r} already exists; pass --resume or --overwrite"
            )
        state = initial_state(args.case, args.resolution, alpha=args.alpha)
    try:
        result = run(
            state, args.days, output_every=args.output_every, dt_s=args.dt, backend=args.backend,
            checkpoint_every=args.checkpoint_every,
            checkpoint_path=str(ck_path) if args.checkpoint_every else None,
            progress=not args.no_progress,
        )  # fmt: skip
    except BlowUpError as exc:
        print(f"accel weather: error: {exc}", file=sys.stderr)
        return 3
    io.write_dataset(result, out, overwrite=args.overwrite)
    print(f"wrote {out} ({result.sizes['time']} snapshots, dt = {result.attrs['dt_s']:.3f} s, "
          f"{result.attrs['steps']} steps)")  # fmt: skip
    if args.plot:
        print(f"wrote {plot_state(result, png, overwrite=args.overwrite)}")
    stats = summary(result)
    print(f"day {stats.pop('days'):g}:")
    for key, value in stats.items():
        shown = "n/a (depth not positive)" if math.isnan(value) else f"{value:.3e}"
        label = (
            f"{key} height error" if key in ("l1", "l2", "linf") else f"{key} conservation error"
        )
        print(f"  {label:<32} {shown}")
    return 0
