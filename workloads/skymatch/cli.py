"""``accel skymatch``: cross-match two catalogs from the command line."""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

EXAMPLES = """\
examples:
  accel skymatch hipparcos gaia-bright --radius 1arcsec --epoch 2016.0 --plot sep.png
  accel skymatch synthetic:1e6 synthetic:1e6 --radius 1arcsec --mode best --out pairs.parquet
  accel skymatch left.parquet right.fits --radius 0.5arcsec --columns RA_deg,DEC_deg
  accel skymatch synthetic:1e7 synthetic:1e7 --workers 2 --out pairs/   # Dask, partitioned output
  accel skymatch survey_a/ survey_b/ --scheduler tcp://10.0.0.5:8786 --out pairs/

LEFT and RIGHT are Parquet, FITS or CSV files, or built-in catalogs: hipparcos,
gaia-bright, sample:<name> (small real patches), synthetic:N (N all-sky sources;
the right side holds perturbed counterparts of half the left one).  On Dask
(--workers/--scheduler) synthetic:N is generated in declination strips
(accel_datasets.sky_strips: the same kind of sky, a different draw), each tile
inside its own match task, so 1e8 rows never exist in one place.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "skymatch",
        help="cross-match two catalogs on the sky",
        description="Cross-match two catalogs on the sky (Numba, both cores).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("left", help="left catalog: file or built-in name")
    p.add_argument("right", help="right catalog: file or built-in name")
    p.add_argument(
        "--radius",
        default="1arcsec",
        help="match radius, e.g. 1arcsec, 0.5arcmin (default 1arcsec)",
    )
    p.add_argument(
        "--mode", default="all", choices=["all", "nearest", "best", "best-left", "best-right"]
    )
    p.add_argument(
        "--nth", type=int, default=1, help="n-th neighbour for --mode nearest (default 1)"
    )
    p.add_argument("--join", default="inner", choices=["inner", "left", "left-anti"])
    p.add_argument(
        "--epoch",
        type=float,
        default=None,
        help="propagate both catalogs to this Julian epoch first",
    )
    p.add_argument(
        "--left-epoch",
        type=float,
        default=None,
        help="epoch of the left catalog if not in its metadata",
    )
    p.add_argument(
        "--right-epoch",
        type=float,
        default=None,
        help="epoch of the right catalog if not in its metadata",
    )
    p.add_argument(
        "--columns", default="ra,dec", help="RA,Dec column names of file inputs (default ra,dec)"
    )
    p.add_argument(
        "--skip-invalid", action="store_true", help="drop rows with NaN/out-of-range coordinates"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of synthetic:N catalogs (default 0)")
    p.add_argument("--out", default=None, help="write the matches here (.parquet, .csv, .fits)")
    p.add_argument("--plot", default=None, metavar="PNG", help="write a separation histogram here")
    p.add_argument("--overwrite", action="store_true", help="replace existing --out / --plot files")
    dask = p.add_argument_group(
        "Dask", "partitioned, out-of-core matching; --out is then a directory of Parquet parts"
    )
    dask.add_argument(
        "--workers", type=int, default=None, help="start an embedded LocalCluster with N workers"
    )
    dask.add_argument(
        "--scheduler", default=None, help="address of an existing scheduler (or ACCEL_SCHEDULER)"
    )
    dask.add_argument(
        "--tiles", type=int, default=None, help="number of declination tiles (default: by size)"
    )
    dask.add_argument(
        "--partition-rows",
        type=int,
        default=None,
        help="rows per input partition of in-memory tables (synthetic:N comes in fixed strips)",
    )
    p.set_defaults(func=run)


def _load(name: str, side: str, seed: int):
    from accel_datasets.registry import load_named

    if os.path.exists(name):
        return name
    if name.startswith(("hipparcos", "gaia-", "sample:", "synthetic:")):
        return load_named(name, side=side, seed=seed)
    raise FileNotFoundError(
        f"{side} catalog {name!r} is neither a file nor a built-in name "
        "(hipparcos, gaia-bright, sample:<name>, synthetic:N)"
    )


def _run_dask(args: argparse.Namespace, radius_arcsec: float, columns) -> int:
    from workloads.skymatch.distributed import crossmatch_dask

    def source(name, side):
        return (
            name
            if os.path.exists(name) or name.startswith("synthetic:")
            else _load(name, side, args.seed)
        )

    t0 = time.perf_counter()
    result = crossmatch_dask(
        source(args.left, "left"),
        source(args.right, "right"),
        radius_arcsec,
        mode=args.mode,
        epoch=args.epoch,
        n_tiles=args.tiles,
        rows_per_partition=args.partition_rows,
        scheduler=args.scheduler,
        n_workers=args.workers,
        out=args.out,
        overwrite=args.overwrite,
        columns=columns,
        seed=args.seed,
    )
    elapsed = time.perf_counter() - t0
    print(f"mode {args.mode}, radius {radius_arcsec:g} arcsec, Dask")
    if args.out:
        print(f"wrote {result}/ ({len(list(result.glob('part-*.parquet')))} parts)")
    else:
        sep = np.asarray(result["separation_arcsec"])
        print(f"pairs:              {len(result)}")
        if sep.size:
            print(f"median separation:  {np.median(sep):.4f} arcsec")
    print(f"wall time:          {elapsed:.2f} s")
    return 0


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from accel.atomic import check_writable
    from workloads.skymatch.api import crossmatch, parse_radius
    from workloads.skymatch.output import plot_separations, table_format, write_matches

    radius_arcsec = parse_radius(args.radius)
    columns = tuple(c.strip() for c in args.columns.split(","))
    if len(columns) != 2:
        raise ValueError(f"--columns must name two columns like 'ra,dec'; got {args.columns!r}")
    if args.workers or args.scheduler or os.environ.get("ACCEL_SCHEDULER"):
        if args.join != "inner" or args.plot:
            raise ValueError("--join and --plot are not available with --workers/--scheduler")
        return _run_dask(args, radius_arcsec, columns)
    # Refuse bad output paths before any expensive work.
    for path in (args.out, args.plot):
        if path:
            check_writable(path, overwrite=args.overwrite)
    if args.out:
        table_format(args.out)
    bar = tqdm(total=4, desc="skymatch", unit="step", file=sys.stderr, disable=None)
    bar.set_postfix_str("loading")
    left = _load(args.left, "left", args.seed)
    right = _load(args.right, "right", args.seed)
    bar.update(1)
    bar.set_postfix_str("matching")
    t0 = time.perf_counter()
    table = crossmatch(
        left,
        right,
        radius_arcsec,
        mode=args.mode,
        nthneighbor=args.nth,
        join=args.join,
        columns=columns,
        epoch=args.epoch,
        left_epoch=args.left_epoch,
        right_epoch=args.right_epoch,
        skip_invalid=args.skip_invalid,
    )
    elapsed = time.perf_counter() - t0
    bar.update(1)
    if args.out:
        bar.set_postfix_str("writing")
        write_matches(table, args.out, overwrite=args.overwrite)
    bar.update(1)
    sep = np.asarray(table["separation_arcsec"]) if "separation_arcsec" in table.colnames else None
    if args.plot and sep is not None:
        plot_separations(
            sep,
            args.plot,
            radius_arcsec=radius_arcsec,
            overwrite=args.overwrite,
            title=f"{args.left} x {args.right}",
        )
    bar.update(1)
    bar.close()
    n_left = len(left) if not isinstance(left, str) else None
    matched_left = (
        int(np.unique(np.asarray(table["left_index"])[np.asarray(table["right_index"]) >= 0]).size)
        if "right_index" in table.colnames
        else 0
    )
    print(
        f"mode {args.mode}, join {args.join}, radius {radius_arcsec:g} arcsec"
        + (f", epoch J{args.epoch:g}" if args.epoch is not None else "")
    )
    print(f"rows out:           {len(table)}")
    if n_left:
        print(f"left rows matched:  {matched_left} of {n_left} ({matched_left / n_left:.1%})")
    if sep is not None and np.isfinite(sep).any():
        print(f"median separation:  {np.nanmedian(sep):.4f} arcsec")
    print(f"match time:         {elapsed:.2f} s")
    if args.out:
        print(f"wrote {args.out}")
    if args.plot:
        print(f"wrote {args.plot}")
    return 0
