"""The shallow-water model on Dask against the one-process model, at 0.25 deg (1440 x 720).

Run under the shared lock so no two benchmarks overlap on the 2-core machine:

    flock /tmp/accel-bench.lock python benchmarks/weather_dask.py
    flock /tmp/accel-bench.lock python benchmarks/weather_dask.py --days 0.1 --ks 1 5 10 20 40

Every configuration integrates test case 5 from the same initial state for ``--days``
model days (one snapshot at the start and one at the end) and is timed ``--repeats``
times after one untimed warm-up run (Numba compilation and cluster start-up are not in
the figures).  Time per simulated day = median wall time / days: a measured rate over
a partial day, scaled, not a measured whole day.  Tasks per simulated day counts every
task of the run's graphs: one per band per halo exchange that advances the band, and
the small tasks that cut out the halo strips its neighbours read, or the current level
of a band to gather at the end.  Configurations:

* one process, 2 Numba threads (``api.run``);
* Dask, 2 workers x 1 Numba thread, 2 latitude bands, each k of ``--ks``, then the
  alternating pairs with the best of them;
* the same with k = 1, on a fresh cluster (it would slow what ran after it);
* Dask, 1 worker x 2 Numba threads, 2 bands, the best k.

(``--threads`` changes the 2 above; the workers get half each.)

Every Dask result is compared with the one-process result bit for bit.  The headline
ratio comes from ``--pairs`` (default ``--repeats``) alternating pairs (one process,
then the best Dask configuration), the median of the per-pair ratios, so that load
drifting on a shared machine hits both sides alike.  The cluster's worker processes are
suspended while the one-process run of a pair is timed, so that it runs as if no
cluster were there (their idle housekeeping slowed it by 3.5-6.5 %, flattering the
ratio).  Targets: the 2-worker run within 15 % of the one-process run; the best k cuts
tasks per simulated day at least 10x against k = 1.  Writes
``benchmarks/results/<--name>.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_json  # noqa: E402

from accel.cluster import get_client  # noqa: E402
from workloads.weather.api import initial_state, run  # noqa: E402
from workloads.weather.distributed import run_dask  # noqa: E402

TARGET_DASK_OVERHEAD = 0.15
TARGET_TASK_CUT = 10.0
TASK_KINDS = ("exchange_tasks", "strip_tasks", "level_tasks")


def timed_runs(fn, repeats: int) -> tuple[list[float], object]:
    fn()  # warm-up: compilation in every process, caches
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


@contextlib.contextmanager
def workers_suspended(client):
    """Stop the worker processes (SIGSTOP, or its Windows equivalent) for a while.

    A one-process run timed beside a live, idle cluster is slowed by the workers'
    housekeeping (3.5-6.5 % measured here at 0.25 deg), which would flatter the Dask
    ratio; suspended, they take no CPU, as if no cluster were running.
    """
    procs = [psutil.Process(pid) for pid in client.run(os.getpid).values()]
    for p in procs:
        p.suspend()
    try:
        yield
    finally:
        for p in procs:
            p.resume()


def same_bits(a, b) -> bool:
    return all(np.array_equal(a[k].values, b[k].values) for k in ("h", "u", "v", "zeta"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="example:\n  flock /tmp/accel-bench.lock python benchmarks/weather_dask.py --days 0.05",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--resolution", type=float, default=0.25, help="degrees")
    parser.add_argument("--case", type=int, default=5)
    parser.add_argument("--days", type=float, default=0.05, help="model days per timed run")
    parser.add_argument("--ks", type=int, nargs="+", default=[2, 5, 10, 20, 40])
    parser.add_argument("--chunks", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=None,
                        help="alternating one-process/Dask pairs for the headline ratio "
                             "(default: --repeats)")  # fmt: skip
    parser.add_argument("--threads", type=int, default=2, help="cores given to each configuration")
    parser.add_argument("--name", default="weather_dask", help="results file name")
    args = parser.parse_args(argv)

    import numba

    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    state = initial_state(args.case, args.resolution)
    days = args.days
    rows = []

    def record(label, workers, threads, k, times, stats, result, reference):
        med = statistics.median(times)
        row = {
            "config": label, "workers": workers, "numba_threads_per_worker": threads,
            "chunks": stats.get("chunks"), "halo_steps": k, "days": days,
            "steps": int(result.attrs["steps"]), "seconds": times, "median_s": med,
            "s_per_simulated_day": med / days,
            "tasks_per_simulated_day": sum(stats.get(k, 0) for k in TASK_KINDS) / days,
            "exchange_tasks_per_simulated_day": stats.get("exchange_tasks", 0) / days,
            "bitwise_equal_one_process": None if reference is None else same_bits(result, reference),
        }  # fmt: skip
        rows.append(row)
        print(f"{label:<34} {med / days:9.1f} s/day  {row['tasks_per_simulated_day']:9.0f} "
              f"tasks/day  bitwise={row['bitwise_equal_one_process']}", flush=True)  # fmt: skip
        return row

    print(f"case {args.case}, {args.resolution} deg, {days} days per run, "
          f"median of {args.repeats}", flush=True)  # fmt: skip
    times, single = timed_runs(lambda: run(state, days, progress=False), args.repeats)
    base = record(f"one process, {numba.get_num_threads()} threads", 1, numba.get_num_threads(),
                  None, times, {}, single, None)  # fmt: skip

    def dask_case(client, workers, threads, k):
        stats = {}

        def go():
            stats.clear()
            return run_dask(state, days, chunks=args.chunks, halo_steps=k, client=client,
                            progress=False, stats=stats)  # fmt: skip

        times, result = timed_runs(go, args.repeats)
        label = f"dask {workers} worker{'s' if workers > 1 else ''} x {threads} thr, k={k}"
        return record(label, workers, threads, k, times, stats, result, single)

    half = max(1, args.threads // 2)
    with get_client(n_workers=2, numba_threads=half, dashboard=False, quiet=True) as client:
        by_k = [dask_case(client, 2, half, k) for k in args.ks]
        best = min(by_k, key=lambda r: r["median_s"])
        # The machine is shared: the load drifts between configurations measured one
        # after the other.  Alternate the one-process run and the best Dask run so each
        # pair sees the same load, and take the median of the per-pair ratios.
        pairs = []
        for _ in range(args.pairs or args.repeats):
            with workers_suspended(client):
                t0 = time.perf_counter()
                run(state, days, progress=False)
                t_one = time.perf_counter() - t0
            t0 = time.perf_counter()
            run_dask(state, days, chunks=args.chunks, halo_steps=best["halo_steps"],
                     client=client, progress=False)  # fmt: skip
            pairs.append((t_one, time.perf_counter() - t0))
    paired = statistics.median(d / o for o, d in pairs)
    print(f"alternating pairs (one process, dask k={best['halo_steps']}): "
          + ", ".join(f"{o:.2f}/{d:.2f} s" for o, d in pairs)
          + f"; median ratio {paired:.3f}", flush=True)  # fmt: skip
    # k = 1 on a cluster of its own, measured last: its thousands of exchanges leave the
    # workers' heaps bloated (~770 MB), and k = 40 run after it on the same workers took
    # 8.6-11 s instead of 5.8-6.2 s.
    with get_client(n_workers=2, numba_threads=half, dashboard=False, quiet=True) as client:
        k1 = dask_case(client, 2, half, 1)
    if k1["median_s"] < best["median_s"]:
        print(f"note: k = 1 was faster than every k of --ks {args.ks}", flush=True)
    with get_client(n_workers=1, numba_threads=args.threads, dashboard=False, quiet=True) as client:
        one_worker = dask_case(client, 1, args.threads, best["halo_steps"])

    overhead = paired - 1.0
    task_cut = k1["tasks_per_simulated_day"] / best["tasks_per_simulated_day"]
    print(f"best k = {best['halo_steps']}: 2-worker Dask / one process = "
          f"{paired:.3f} (alternating pairs; target <= {1 + TARGET_DASK_OVERHEAD:.2f}); "
          f"tasks per day cut {task_cut:.1f}x vs k = 1 (target >= {TARGET_TASK_CUT:g}x); "
          f"1 worker / 2 workers = {one_worker['median_s'] / best['median_s']:.3f}")  # fmt: skip
    path = write_json(args.name, {
        "measured": True,
        "note": "s_per_simulated_day = median wall time of a run of `days` model days / days "
                "(a measured rate, scaled); excludes compilation and cluster start-up",
        "load_average_after": list(os.getloadavg()),
        "resolution_deg": args.resolution, "case": args.case, "rows": rows,
        "best_halo_steps": best["halo_steps"], "dask_over_one_process": 1.0 + overhead,
        "alternating_pairs_s": pairs,
        "dask_over_one_process_unpaired": best["median_s"] / base["median_s"],
        "task_cut_vs_k1": task_cut,
        "one_worker_over_two": one_worker["median_s"] / best["median_s"],
        "targets": {"dask_over_one_process_max": 1 + TARGET_DASK_OVERHEAD,
                    "task_cut_min": TARGET_TASK_CUT},
    })  # fmt: skip
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
