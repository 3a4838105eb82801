"""The Dask side of ``accel weather``: bands, ensembles, a cluster, streamed output, resume.

``accel weather`` hands over to :func:`main` when any of ``--ensemble``, ``--workers``,
``--scheduler``, ``--chunks`` or ``--halo-steps`` is given.  Outputs ending in ``.zarr``
are streamed (``<name>.partial.zarr`` until the run ends); a checkpoint
``<name>.checkpoint.nc`` is written at every output (or every ``--checkpoint-every``
steps), and ``--resume`` continues from it, for single runs and ensembles alike.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

__all__ = ["EXAMPLE", "add_arguments", "requested", "main"]

EXAMPLE = """  accel weather --case 5 --resolution 2 --days 15 --out tc5.zarr --ensemble 16 --perturb 1e-3 --workers 2
  accel weather --case 6 --resolution 0.5 --days 14 --out rh.zarr --chunks 4 --halo-steps 20 --scheduler tcp://10.0.0.5:8786"""

_TRIGGERS = ("ensemble", "workers", "scheduler", "chunks", "halo_steps")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the Dask options to the ``weather`` subcommand."""
    g = p.add_argument_group("Dask (any of these runs the model on a Dask cluster)")
    g.add_argument(
        "--ensemble",
        type=int,
        default=None,
        metavar="N",
        help="run N members with perturbed heights, stacked along 'member'",
    )
    g.add_argument(
        "--perturb",
        type=float,
        default=1e-3,
        metavar="EPS",
        help="relative amplitude of the height perturbation (default 1e-3)",
    )
    g.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="S",
        help="seed of the perturbations (default: fresh, recorded in the output)",
    )
    g.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="workers of the embedded LocalCluster (default: one per core)",
    )
    g.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDR",
        help="address of an existing scheduler (or set ACCEL_SCHEDULER)",
    )
    g.add_argument(
        "--chunks",
        type=int,
        default=None,
        metavar="N",
        help="latitude bands per member (default 2, ensembles 1)",
    )
    g.add_argument("--halo-steps", type=int, default=None, metavar="K",
                   help="model steps per halo exchange (default: up to 20)")  # fmt: skip


def requested(args: argparse.Namespace) -> bool:
    """Whether the command line asks for the Dask path."""
    return any(getattr(args, name, None) is not None for name in _TRIGGERS)


def _print_summary(result, ensemble: bool) -> None:
    from workloads.weather.api import summary
    from workloads.weather.ensemble import member_dataset

    runs = (
        [member_dataset(result, m) for m in range(result.sizes["member"])] if ensemble else [result]
    )
    for m, ds in enumerate(runs):
        stats = summary(ds)
        head = (
            f"member {m}, day {stats.pop('days'):g}:" if ensemble else f"day {stats.pop('days'):g}:"
        )
        print(head)
        for key, value in stats.items():
            shown = "n/a (depth not positive)" if math.isnan(value) else f"{value:.3e}"
            label = (
                f"{key} height error"
                if key in ("l1", "l2", "linf")
                else f"{key} conservation error"
            )
            print(f"  {label:<32} {shown}")
    if ensemble:
        h = result.h.isel(time=-1).values
        print(f"ensemble spread of h at the end: rms {float(h.std(axis=0).mean()):.3e} m, "
              f"max {float(h.std(axis=0).max()):.3e} m")  # fmt: skip


def main(args: argparse.Namespace) -> int:
    """Run the Dask path of ``accel weather``; returns the exit status (3: blow-up)."""
    from accel.cluster import get_client
    from workloads.weather import io
    from workloads.weather.api import initial_state
    from workloads.weather.cli import checkpoint_path_for
    from workloads.weather.distributed import run_dask
    from workloads.weather.ensemble import member_dataset, run_ensemble
    from workloads.weather.model import BlowUpError
    from workloads.weather.plots import plot_state
    from workloads.weather.stream import read_ensemble_checkpoint

    if args.backend != "numba":
        raise ValueError(f"--backend must be numba on Dask; got {args.backend}")
    out = Path(args.out)
    fmt = io.output_format(out)
    ck = checkpoint_path_for(args.out)
    png = out.with_name(out.stem + ".png")
    for target in [out] + ([png] if args.plot else []):
        if target.exists() and not args.overwrite:
            raise FileExistsError(
                f"output {str(target)!r} already exists; pass --overwrite to replace it"
            )
    ensemble = args.ensemble is not None
    if args.resume:
        state = read_ensemble_checkpoint(ck) if ensemble else io.read_checkpoint(ck)
        if (
            int(state.attrs["case"]) != args.case
            or float(state.attrs["resolution_deg"]) != args.resolution
        ):
            raise ValueError(
                f"--resume must use the checkpoint's case and resolution ({state.attrs['case']}, "
                f"{state.attrs['resolution_deg']} deg); got {args.case}, {args.resolution} deg"
            )
        if ensemble and int(state.attrs["members"]) != args.ensemble:
            raise ValueError(
                f"--ensemble must match the checkpoint's {state.attrs['members']} members to "
                f"resume; got {args.ensemble}"
            )
    else:
        if ck.exists() and not args.overwrite:
            raise FileExistsError(
                f"checkpoint {str(ck)!r} already exists; pass --resume or --overwrite"
            )
        state = initial_state(args.case, args.resolution, alpha=args.alpha)
    options = dict(
        output_every=args.output_every, dt_s=args.dt, halo_steps=args.halo_steps,
        out=out if fmt == "zarr" else None, overwrite=args.overwrite, checkpoint_path=ck,
        checkpoint_every=args.checkpoint_every, progress=not args.no_progress,
    )  # fmt: skip
    with get_client(args.scheduler, args.workers, quiet=args.no_progress) as client:
        if (args.scheduler or os.environ.get("ACCEL_SCHEDULER")) and not args.no_progress:
            print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
        try:
            if ensemble:
                # A resumed ensemble keeps the members, amplitude and seed it recorded.
                given = (
                    {}
                    if args.resume
                    else {"members": args.ensemble, "perturb": args.perturb, "seed": args.seed}
                )
                result = run_ensemble(state, args.days, chunks=args.chunks or 1, client=client,
                                      **given, **options)  # fmt: skip
            else:
                result = run_dask(
                    state, args.days, chunks=args.chunks or 2, client=client, **options
                )
        except BlowUpError as exc:
            print(f"accel weather: error: {exc}", file=sys.stderr)
            return 3
    if fmt != "zarr":
        io.write_dataset(result, out, overwrite=args.overwrite)
    members = f", {result.sizes['member']} members" if ensemble else ""
    print(f"wrote {out} ({result.sizes['time']} snapshots{members}, dt = {result.attrs['dt_s']:.3f} s, "
          f"{result.attrs['steps']} steps)")  # fmt: skip
    if args.plot:
        shown = member_dataset(result, 0) if ensemble else result
        print(
            f"wrote {plot_state(shown, png, overwrite=args.overwrite)}"
            + (" (member 0)" if ensemble else "")
        )
    _print_summary(result, ensemble)
    return 0
