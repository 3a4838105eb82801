"""Dask cross-match end to end: LSDB's crossmatch and ours on the same Parquet inputs.

Run:  python benchmarks/skymatch_dask.py [--sizes 1e6 1e7] [--workers 2] [--repeats 3]
      python benchmarks/skymatch_dask.py --scale 1e8      # ours alone, rows/s and peak memory

The scale run matches ``synthetic:N`` against itself: a pair generated in
declination strips (``accel_datasets.sky_strips``), so each match task generates
its own tile and margin and there is no split phase (no tile files).  That is
the path of synthetic inputs only; Parquet and tables go through the split phase,
as in the LSDB comparison.  ``--scale-split`` runs the scale test on the split
path instead (row-partitioned synthetic sources, cut into tile files).

Two synthetic all-sky catalogs (half the sources with a true counterpart at 0.3 arcsec
scatter) are written as directories of Parquet parts with an ``id`` column (not
timed).  Then, on one embedded LocalCluster with N workers, each tool goes from the
Parquet files to matched pairs in memory, partitioning included:

* LSDB: ``pd.read_parquet`` -> ``lsdb.from_dataframe`` (HEALPix partitions, margin
  cache of 1 arcsec on the right) -> ``crossmatch(radius_arcsec=1, n_neighbors=1)``.
* ours: ``crossmatch_dask(..., mode="best-left")`` — the same semantics: for each
  left row, its nearest right row within the radius.

The pair sets are compared by ``id``.  Needs the ``bench`` extra (lsdb).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import summary, write_json

RADIUS_ARCSEC = 1.0


def write_parquet_catalogs(
    n: int, folder: Path, rows_per_part: int = 1_000_000
) -> tuple[Path, Path]:
    from astropy.table import Table

    from workloads.skymatch.sources import SyntheticSource

    paths = []
    for side in ("left", "right"):
        src = SyntheticSource(n, side, seed=11, rows_per_partition=rows_per_part)
        out = folder / side
        out.mkdir(parents=True)
        for k in range(src.n_partitions):
            part = src.load(k)
            Table({"id": part.index, "ra": part.ra_deg, "dec": part.dec_deg}).write(
                out / f"part-{k:05d}.parquet"
            )
        paths.append(out)
    return paths[0], paths[1]


def run_lsdb(left_dir: Path, right_dir: Path):
    import lsdb
    import pandas as pd

    left = lsdb.from_dataframe(pd.read_parquet(left_dir), ra_column="ra", dec_column="dec",
                               margin_threshold=None)  # fmt: skip
    right = lsdb.from_dataframe(pd.read_parquet(right_dir), ra_column="ra", dec_column="dec",
                                margin_threshold=RADIUS_ARCSEC)  # fmt: skip
    pairs = left.crossmatch(
        right, radius_arcsec=RADIUS_ARCSEC, n_neighbors=1, suffixes=("_l", "_r")
    ).compute()
    return (pairs["id_l"].to_numpy(np.int64), pairs["id_r"].to_numpy(np.int64),
            pairs["_dist_arcsec"].to_numpy(float))  # fmt: skip


def run_ours(left_dir: Path, right_dir: Path, client):
    from workloads.skymatch.distributed import crossmatch_dask

    t = crossmatch_dask(
        left_dir, right_dir, RADIUS_ARCSEC, mode="best-left", client=client, progress=False
    )
    return (
        np.asarray(t["left_index"]),
        np.asarray(t["right_index"]),
        np.asarray(t["separation_arcsec"]),
    )


def compare(ours, theirs) -> dict:
    ok = set(zip(ours[0].tolist(), ours[1].tolist(), strict=True))
    tk = set(zip(theirs[0].tolist(), theirs[1].tolist(), strict=True))
    return {"pairs_ours": len(ok), "pairs_lsdb": len(tk), "only_ours": len(ok - tk),
            "only_lsdb": len(tk - ok), "identical": ok == tk}  # fmt: skip


def bench(n: int, workers: int, repeats: int, client) -> dict:
    print(
        f"\n== {n:.0e} x {n:.0e} at {RADIUS_ARCSEC:g} arcsec, {workers} workers, from Parquet ==",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        left, right = write_parquet_catalogs(n, Path(tmp))
        run_ours(left, right, client)  # warm the workers' Numba caches
        ours_t, theirs_t, ours, theirs = [], [], None, None
        for _ in range(repeats):
            t0 = time.perf_counter()
            ours = run_ours(left, right, client)
            ours_t.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            theirs = run_lsdb(left, right)
            theirs_t.append(time.perf_counter() - t0)
    row = {"size": n, "workers": workers, "ours": summary(ours_t), "lsdb": summary(theirs_t),
           "speedup_median": float(np.median(theirs_t) / np.median(ours_t)), "check": compare(ours, theirs)}  # fmt: skip
    c = row["check"]
    print(f"  ours  median {row['ours']['median_s']:.2f} s   LSDB median {row['lsdb']['median_s']:.2f} s   "
          f"ratio {row['speedup_median']:.1f}x")  # fmt: skip
    print(f"  pairs ours {c['pairs_ours']}, LSDB {c['pairs_lsdb']}, only-ours {c['only_ours']}, "
          f"only-LSDB {c['only_lsdb']} -> {'IDENTICAL' if c['identical'] else 'DIFFERENT'}")  # fmt: skip
    return row


def scale(n: int, workers: int, split: bool = False) -> dict:
    """Ours alone on synthetic catalogs generated per tile or partition (never whole in memory)."""
    import psutil

    from accel.cluster import get_client
    from workloads.skymatch.distributed import crossmatch_dask
    from workloads.skymatch.sources import SyntheticSource

    print(
        f"\n== scale run: {n:.0e} x {n:.0e} at {RADIUS_ARCSEC:g} arcsec, {workers} workers ==",
        flush=True,
    )
    peak = {"bytes": 0}
    stop = {"flag": False}

    def sample():  # whole process tree: client + scheduler + workers
        while not stop["flag"]:
            procs = [psutil.Process()] + psutil.Process().children(recursive=True)
            total = 0
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            peak["bytes"] = max(peak["bytes"], total)
            time.sleep(0.2)

    import threading

    with get_client(n_workers=workers) as client:
        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        t0 = time.perf_counter()
        if split:
            inputs = [
                SyntheticSource(n, side, rows_per_partition=2_000_000) for side in ("left", "right")
            ]
        else:
            inputs = [f"synthetic:{n}", f"synthetic:{n}"]
        stats: dict = {}
        with tempfile.TemporaryDirectory() as tmp:
            out = crossmatch_dask(*inputs, RADIUS_ARCSEC, client=client, out=Path(tmp) / "pairs",
                                  stats=stats)  # fmt: skip
            parts = len(list(out.glob("part-*.parquet")))
        wall = time.perf_counter() - t0
        stop["flag"] = True
        thread.join()
    rows_per_s = 2 * n / wall
    phases = ", ".join(f"{k[:-2]} {v:.1f} s" for k, v in stats["timings"].items())
    tasks = ", ".join(f"{k} {v:.1f} s" for k, v in stats["task_seconds"].items())
    print(f"  path: {stats['path']} ({'tile files written by a split phase' if stats['path'] == 'split' else 'tiles generated inside the match tasks, no split phase'})")  # fmt: skip
    print(f"  phases (wall): {phases}; inside the {stats['n_tiles']} match tasks (summed): {tasks}")
    print(f"  wall {wall:.1f} s, {rows_per_s / 1e6:.2f} million rows/s, peak RSS of all processes "
          f"{peak['bytes'] / 2**30:.2f} GiB, {parts} output parts, load average "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    return {"size": n, "workers": workers, "wall_s": wall, "rows_per_s": rows_per_s,
            "path": stats["path"], "timings": stats["timings"], "task_seconds": stats["task_seconds"],
            "n_tiles": stats["n_tiles"], "load_average_1min": os.getloadavg()[0],
            "peak_rss_all_processes_bytes": peak["bytes"],
            "client_maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e6, 1e7])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--scale", type=float, default=None, help="run only the scale test at this size"
    )
    parser.add_argument(
        "--scale-split", action="store_true", help="scale test on the split path (tile files)"
    )
    args = parser.parse_args(argv)
    if args.scale:
        result = scale(int(args.scale), args.workers, split=args.scale_split)
        write_json("skymatch_dask_scale", {"scale": result})
        return 0
    from accel.cluster import get_client

    with get_client(n_workers=args.workers) as client:
        rows = [bench(int(n), args.workers, args.repeats, client) for n in args.sizes]
    path = write_json(
        "skymatch_dask", {"radius_arcsec": RADIUS_ARCSEC, "rows": rows, "pid": os.getpid()}
    )
    print(f"\nwrote {path}")
    return 0 if all(r["check"]["identical"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
