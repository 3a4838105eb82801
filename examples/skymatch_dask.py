"""Cross-match two Parquet catalogs on a Dask cluster.

Connects to the scheduler given as --scheduler (or ACCEL_SCHEDULER); without one it
starts an embedded LocalCluster on 127.0.0.1.  Each catalog may be a Parquet file or
a directory of them; they are read partition by partition, tiled on the sky with
margins, matched tile by tile, and written as a directory of Parquet parts.

example:
  python examples/skymatch_dask.py survey_a/ survey_b/ --radius 1arcsec --out pairs/
  python examples/skymatch_dask.py a.parquet b.parquet --scheduler tcp://scheduler:8786 --out pairs/
  python examples/skymatch_dask.py --demo 2e6 --out pairs/     # writes two synthetic catalogs first

On a multi-machine cluster, --scratch must be a directory every worker can reach.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from accel.cluster import get_client
from workloads.skymatch.distributed import crossmatch_dask


def write_demo_catalogs(n: int, folder: Path) -> tuple[Path, Path]:
    """Two synthetic catalogs as directories of Parquet parts (so the example runs anywhere)."""
    from astropy.table import Table

    from workloads.skymatch.sources import SyntheticSource

    paths = []
    for side in ("left", "right"):
        src = SyntheticSource(n, side, rows_per_partition=500_000)
        out = folder / side
        out.mkdir(parents=True)
        for k in range(src.n_partitions):
            part = src.load(k)
            Table({"ra": part.ra_deg, "dec": part.dec_deg}).write(out / f"part-{k:04d}.parquet")
        paths.append(out)
    return paths[0], paths[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("left", nargs="?", help="left catalog: Parquet file or directory")
    parser.add_argument("right", nargs="?", help="right catalog: Parquet file or directory")
    parser.add_argument("--radius", default="1arcsec")
    parser.add_argument(
        "--mode", default="all", choices=["all", "nearest", "best", "best-left", "best-right"]
    )
    parser.add_argument(
        "--scheduler", default=None, help="tcp://host:port (default: ACCEL_SCHEDULER or embedded)"
    )
    parser.add_argument("--workers", type=int, default=None, help="workers of the embedded cluster")
    parser.add_argument("--out", required=True, help="output directory of Parquet parts")
    parser.add_argument("--scratch", default=None, help="shared scratch directory for tile files")
    parser.add_argument(
        "--demo", type=float, default=None, help="write two synthetic catalogs of N rows first"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.demo:
            left, right = write_demo_catalogs(int(args.demo), Path(tmp))
        elif args.left and args.right:
            left, right = args.left, args.right
        else:
            parser.error("give LEFT and RIGHT, or --demo N")
        with get_client(args.scheduler, args.workers) as client:
            out = crossmatch_dask(left, right, args.radius, mode=args.mode, client=client,
                                  out=args.out, scratch_dir=args.scratch)  # fmt: skip
    print(f"wrote {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
