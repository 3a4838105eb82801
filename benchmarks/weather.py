"""Weather stencils against the memory limit: STREAM triad, NumPy references, Numba kernels.

Run under the shared lock so no two benchmarks overlap on the 2-core machine:

    flock /tmp/accel-bench.lock python benchmarks/weather.py
    flock /tmp/accel-bench.lock python benchmarks/weather.py --resolutions 1.0 --levels 80

For hdiff, vadv and the shallow-water step, at each resolution, it reports median
times, effective bandwidth (compulsory bytes of one step / median time), grid
points per second, the share of the STREAM triad measured in the same run, and
the speedup over the NumPy reference.  Numba times use preallocated outputs and
skip the value checks (``check_values=False``, one extra pass over the data);
compile time is measured separately, on a fresh uncached copy of each kernel.
Every Numba result is compared with its NumPy reference before it is timed.
Outputs are written with non-temporal stores (``streaming_stores`` in the
JSON) by vadv when larger than 1 MiB, never by hdiff (see
:mod:`workloads.weather.canonical`); the compulsory bytes are
the same either way (STREAM convention, no write-allocate read counted).
The NumPy references are called as a NumPy user would, without ``out=`` (they
allocate their result and temporaries; passing ``out`` would only add a copy).

Protocol for hdiff and vadv, the same for the NumPy reference and the Numba
kernel: what a user who runs the step over and over sees.  Each repeat runs one
triad (on preallocated arrays; its bandwidth is the "adjacent" triad, which sees
the same load as the calls beside it), then calls the step three times on the
same inputs and output.  The second and third calls are the step as it runs
when repeated: the headline columns and the targets use their median.  The
first, right after the triad has swept 1.4 GB through the caches and left them
full of its modified lines, is reported as "% cold" / "x cold" (and
``*_after_triad`` in the JSON).  Where a step's fields fit in the last-level
cache (this machine reports a 480 MiB L3; the 64-level 1 deg fields take 100 MB
for hdiff and 200 MB for vadv), repeated calls can read part of their inputs
from that cache, so at 1 deg the headline can include cache-served reads and
its share of the triad (a DRAM figure) can be higher than the cold one; at
0.25 deg (1.6 and 3.2 GB) both read memory.  The targets are judged on
the whole-run triad; "% adj" is the share of the adjacent one.
The shallow-water step is timed as repeated back-to-back calls; then, alternating
with calls of the same step on a grid where no row is filtered (a diagnostic only:
it needs a far shorter time step to stay stable), to show what share of the step
the polar filter takes.
A last section times the shallow-water step's polar filter alone on one thread:
NumPy's pocketfft (batched over all polar rows) against the Numba transform the
kernel calls.  Writes ``benchmarks/results/weather.json``.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, summary, timed, write_json  # noqa: E402

from accel.bandwidth import TRIAD_BYTES_PER_ELEMENT, effective_bandwidth, stream_triad, triad  # noqa: E402
from workloads.weather import canonical, canonical_reference, hdiff_kernels, vadv_kernels  # noqa: E402

TARGET_TRIAD_SHARE = 0.70
TARGET_SPEEDUP = 10.0


def fresh_compile_s(dispatcher) -> float:
    """Seconds to compile ``dispatcher``'s signature from scratch (no on-disk cache)."""
    sig = dispatcher.signatures[0]
    fresh = numba.njit(parallel=True)(dispatcher.py_func)
    t0 = time.perf_counter()
    fresh.compile(sig)
    return time.perf_counter() - t0


def row(name, res, points, nbytes, t_numpy, t_numba, triad_bps, compile_s, **extra):
    bw = effective_bandwidth(nbytes, t_numba["median_s"])
    return {
        "kernel": name,
        "resolution_deg": res,
        "points": int(points),
        "compulsory_bytes": int(nbytes),
        "numpy": t_numpy,
        "numba": t_numba,
        "numba_compile_s": compile_s,
        "effective_bandwidth_Bps": bw,
        "points_per_s": points / t_numba["median_s"],
        "triad_share": bw / triad_bps,
        "speedup_vs_numpy": t_numpy["median_s"] / t_numba["median_s"],
        "numpy_effective_bandwidth_Bps": effective_bandwidth(nbytes, t_numpy["median_s"]),
        **extra,
    }


_TRIAD_ARRAYS: list[np.ndarray] = []


def timed_beside_triad(fn, repeats, args) -> tuple[dict, dict, float]:
    """Time ``fn`` as the module docstring says: per repeat a triad, then three calls.

    Returns the summaries of the first calls (after the triad) and of the others
    (repeated calls), and the median bandwidth of the triad runs in between.
    """
    if not _TRIAD_ARRAYS:
        _TRIAD_ARRAYS.extend(np.full(args.triad_n, v) for v in (0.0, 1.0, 2.0))
    a, b, c = _TRIAD_ARRAYS
    triad(a, b, c, 3.0)  # compiled and paged in before timing
    t_cold, t_warm, t_triad = [], [], []
    for _ in range(repeats):
        t_triad.extend(timed(lambda: triad(a, b, c, 3.0), 1)[0])
        t_cold.extend(timed(fn, 1)[0])
        t_warm.extend(timed(fn, 2)[0])
    adj_bps = TRIAD_BYTES_PER_ELEMENT * args.triad_n / summary(t_triad)["median_s"]
    return summary(t_cold), summary(t_warm), adj_bps


def protocol_extras(t_numpy_cold, t_numba_cold, t_numba, nbytes, triad_bps, adj_bps):
    cold_bw = effective_bandwidth(nbytes, t_numba_cold["median_s"])
    return {
        "numpy_after_triad": t_numpy_cold,
        "numba_after_triad": t_numba_cold,
        "triad_share_after_triad": cold_bw / triad_bps,
        "speedup_vs_numpy_after_triad": t_numpy_cold["median_s"] / t_numba_cold["median_s"],
        "triad_adjacent_Bps": adj_bps,
        "triad_share_adjacent": effective_bandwidth(nbytes, t_numba["median_s"]) / adj_bps,
    }


def bench_hdiff(shape, res, args, triad_bps, rng):
    field = rng.random(shape)
    coeff = 0.1 * rng.random(shape)
    out = np.empty(shape)
    canonical.hdiff(field, coeff, out=out)
    expected = canonical_reference.hdiff(field, coeff)
    same = bool(np.array_equal(out, expected))
    del expected
    gc.collect()
    np_cold, t_numpy, _ = timed_beside_triad(
        lambda: canonical_reference.hdiff(field, coeff), args.numpy_repeats, args
    )
    gc.collect()
    nb_cold, t_numba, adj_bps = timed_beside_triad(
        lambda: canonical.hdiff(field, coeff, out=out, check_values=False), args.repeats, args
    )
    nbytes = 3 * 8 * field.size  # field read, coeff read, result written
    stream = canonical._hdiff_streams(out)
    kernel = hdiff_kernels.hdiff_stream_kernel if stream else hdiff_kernels.hdiff_kernel
    return row("hdiff", res, field.size, nbytes, t_numpy, t_numba, triad_bps,
               fresh_compile_s(kernel), bitwise_equal_numpy=same, streaming_stores=stream,
               **protocol_extras(np_cold, nb_cold, t_numba, nbytes, triad_bps, adj_bps))  # fmt: skip


def bench_vadv(shape, res, args, triad_bps, rng):
    fields = [rng.random(shape) - 0.5 for _ in range(5)]
    out = np.empty(shape)
    canonical.vadv(*fields, out=out)
    expected = canonical_reference.vadv(*fields)
    same = bool(np.array_equal(out, expected))
    del expected
    gc.collect()
    np_cold, t_numpy, _ = timed_beside_triad(
        lambda: canonical_reference.vadv(*fields), args.numpy_repeats, args
    )
    gc.collect()
    nb_cold, t_numba, adj_bps = timed_beside_triad(
        lambda: canonical.vadv(*fields, out=out, check_values=False), args.repeats, args
    )
    nbytes = 6 * 8 * out.size  # 5 fields read (wcon periodic, nlon columns), 1 written
    return row("vadv", res, out.size, nbytes, t_numpy, t_numba, triad_bps,
               fresh_compile_s(vadv_kernels.vadv_kernel), bitwise_equal_numpy=same,
               streaming_stores=canonical._vadv_streams(out),
               **protocol_extras(np_cold, nb_cold, t_numba, nbytes, triad_bps, adj_bps))  # fmt: skip


def bench_shallow_water(res, args, triad_bps):
    try:
        from workloads.weather.model import benchmark_callables
    except ImportError as exc:
        print(f"shallow-water step not available ({exc}); skipping it", file=sys.stderr)
        return None
    t0 = time.perf_counter()
    calls = benchmark_callables(res)
    setup_s = time.perf_counter() - t0
    t_numpy = summary(timed(calls["numpy"], args.numpy_repeats)[0])
    t_numba = summary(timed(calls["numba"], args.repeats)[0])
    unfiltered = benchmark_callables(res, polar_filter=False)["numba"]
    t_with, t_without = alternated(calls["numba"], unfiltered, 3 * args.repeats)
    share = {
        "with_filter": t_with,
        "without_filter": t_without,
        "filter_share_of_step": 1.0 - t_without["median_s"] / t_with["median_s"],
        "triad_share_without_filter": effective_bandwidth(
            calls["compulsory_bytes"], t_without["median_s"]) / triad_bps,
    }  # fmt: skip
    return row("shallow-water step", res, calls["points"], calls["compulsory_bytes"], t_numpy,
               t_numba, triad_bps, None, setup_including_compile_or_cache_load_s=setup_s,
               polar_filter_cost=share)  # fmt: skip


def alternated(first, second, pairs) -> tuple[dict, dict]:
    """Summaries of ``pairs`` calls of each, alternating (the order swaps every pair), so
    that both see the same moments of a noisy machine."""
    times = ([], [])
    for k in range(pairs):
        for which in (0, 1) if k % 2 == 0 else (1, 0):
            times[which].extend(timed((first, second)[which], 1)[0])
    return summary(times[0]), summary(times[1])


def bench_polar_filter(res, args):
    """The polar filter alone, one thread each, on the polar rows of one step's three
    tendency fields: NumPy's pocketfft (batched rfft / irfft over all rows of a field at
    once, what a split kernel would call between two Numba passes) against the Numba
    transform the kernel uses (batches of ``3 * ROWS_PER_BLOCK`` rows, as in a block)."""
    from workloads.weather.fourier import filter_rows, make_plan, scratch_shape
    from workloads.weather.grid import make_grid
    from workloads.weather.kernels import ROWS_PER_BLOCK

    grid = make_grid(res)
    n = grid.nlon
    gain_row = np.concatenate([grid.filter_row_h[grid.filter_row_h >= 0]] * 2
                              + [grid.filter_row_v[grid.filter_row_v >= 0]])  # fmt: skip
    rows = np.random.default_rng(7).standard_normal((gain_row.size, n))
    half_gain = grid.filter_gain[:, : n // 2 + 1]

    def numpy_filter():
        # one batched call per field (th, tu share gains; tv has its own rows)
        nh = np.count_nonzero(grid.filter_row_h >= 0)
        out = []
        for lo, hi in ((0, nh), (nh, 2 * nh), (2 * nh, gain_row.size)):
            spec = np.fft.rfft(rows[lo:hi], axis=-1) * half_gain[gain_row[lo:hi]]
            out.append(np.fft.irfft(spec, n, axis=-1))
        return np.concatenate(out)

    plan = make_plan(n)
    lanes = 3 * ROWS_PER_BLOCK
    scratch = np.empty(scratch_shape(n, lanes))
    work = rows.copy()

    def numba_filter():
        work[:] = rows
        for lo in range(0, gain_row.size, lanes):
            filter_rows(work[lo : lo + lanes], gain_row[lo : lo + lanes], grid.filter_gain,
                        plan.factors, plan.twiddle, scratch)  # fmt: skip
        return work

    expected = numpy_filter()
    got = numba_filter()
    rel = float(np.abs(got - expected).max() / np.abs(expected).max())
    t_numpy = summary(timed(numpy_filter, args.repeats)[0])
    t_numba = summary(timed(numba_filter, args.repeats)[0])
    return {
        "resolution_deg": res,
        "rows": int(gain_row.size),
        "nlon": int(n),
        "numpy_pocketfft": t_numpy,
        "numba_batched": t_numba,
        "max_relative_difference": rel,
        "threads": 1,
    }


def print_table(rows, triad_bps):
    print(f"\nSTREAM triad (median): {triad_bps / 1e9:.1f} GB/s  [3 arrays x 8 B per element]")
    head = (f"{'kernel':<19}{'grid':>6}{'points':>11}{'numpy ms':>10}{'numba ms':>10}"
            f"{'speedup':>9}{'GB/s':>7}{'% triad':>8}{'% adj':>6}{'% cold':>7}{'x cold':>7}"
            f"{'Gpt/s':>7}{'compile s':>10}")  # fmt: skip
    print(head)
    print("-" * len(head))
    for r in rows:
        comp = "-" if r["numba_compile_s"] is None else f"{r['numba_compile_s']:.1f}"
        adj = r.get("triad_share_adjacent")
        adj = "-" if adj is None else f"{100 * adj:.0f}%"
        cold = r.get("triad_share_after_triad")
        cold = "-" if cold is None else f"{100 * cold:.0f}%"
        xcold = r.get("speedup_vs_numpy_after_triad")
        xcold = "-" if xcold is None else f"{xcold:.1f}x"
        print(
            f"{r['kernel']:<19}{r['resolution_deg']:>6g}{r['points']:>11,}"
            f"{1e3 * r['numpy']['median_s']:>10.1f}{1e3 * r['numba']['median_s']:>10.2f}"
            f"{r['speedup_vs_numpy']:>8.1f}x{r['effective_bandwidth_Bps'] / 1e9:>7.1f}"
            f"{100 * r['triad_share']:>7.0f}%{adj:>6}{cold:>7}{xcold:>7}"
            f"{r['points_per_s'] / 1e9:>7.2f}{comp:>10}"
        )

    def verdict(share_key, speedup_key):
        misses = [
            f"{r['kernel']} @ {r['resolution_deg']:g} deg"
            for r in rows
            if share_key in r
            and (r[share_key] < TARGET_TRIAD_SHARE or r[speedup_key] < TARGET_SPEEDUP)
        ]
        return "all met" if not misses else "missed by " + ", ".join(misses)

    print(
        f"targets (>= {TARGET_TRIAD_SHARE:.0%} of triad and >= {TARGET_SPEEDUP:g}x NumPy), "
        f"repeated calls: {verdict('triad_share', 'speedup_vs_numpy')}"
    )
    if any("triad_share_after_triad" in r for r in rows):
        print(
            "the same for hdiff/vadv right after a triad (cold caches): "
            f"{verdict('triad_share_after_triad', 'speedup_vs_numpy_after_triad')}"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="example:\n  flock /tmp/accel-bench.lock python benchmarks/weather.py --levels 64",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--resolutions", type=float, nargs="+", default=[1.0, 0.25])
    parser.add_argument("--levels", type=int, default=64, help="levels for hdiff and vadv")
    parser.add_argument("--repeats", type=int, default=10, help="timed Numba runs")
    parser.add_argument("--numpy-repeats", type=int, default=3, help="timed NumPy runs")
    parser.add_argument("--triad-n", type=int, default=60_000_000, help="triad elements per array")
    parser.add_argument("--kernels", nargs="+", default=["hdiff", "vadv", "sw", "filter"],
                        help="any of hdiff, vadv, sw (shallow-water step), filter (polar "
                        "filter alone: NumPy pocketfft vs the Numba transform)")  # fmt: skip
    parser.add_argument("--name", default="weather", help="results/<name>.json")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    triad = stream_triad(n=args.triad_n, repeats=10)
    triad_bps = triad.median_bytes_per_s
    print(f"triad: median {triad_bps / 1e9:.1f} GB/s, best {triad.best_bytes_per_s / 1e9:.1f} GB/s"
          f" ({args.triad_n:,} elements, {numba.get_num_threads()} threads)", file=sys.stderr)  # fmt: skip
    rng = np.random.default_rng(2024)
    rows = []
    for res in args.resolutions:
        shape = (args.levels, round(180 / res), round(360 / res))
        for name, bench in (("hdiff", bench_hdiff), ("vadv", bench_vadv)):
            if name in args.kernels:
                print(f"{name} at {res:g} deg {shape} ...", file=sys.stderr)
                rows.append(bench(shape, res, args, triad_bps, rng))
                gc.collect()
        if "sw" in args.kernels:
            print(f"shallow-water step at {res:g} deg ...", file=sys.stderr)
            r = bench_shallow_water(res, args, triad_bps)
            if r is not None:
                rows.append(r)
            gc.collect()
    print_table(rows, triad_bps)
    costs = [r for r in rows if "polar_filter_cost" in r]
    if costs:
        print("\nshallow-water step with and without the polar filter (no row filtered, shorter"
              " time step; a diagnostic), alternating calls:")  # fmt: skip
    for r in costs:
        c = r["polar_filter_cost"]
        print(
            f"  {r['resolution_deg']:g} deg: {1e3 * c['with_filter']['median_s']:.2f} ms with, "
            f"{1e3 * c['without_filter']['median_s']:.2f} ms without; the filter takes "
            f"{100 * c['filter_share_of_step']:.0f} % of the step, which without it would "
            f"reach {100 * c['triad_share_without_filter']:.0f} % of the triad"
        )
    filters = []
    if "filter" in args.kernels:
        print("\npolar filter alone, one thread (rows: th, tu and tv rows poleward of 60 deg)")
        for res in args.resolutions:
            f = bench_polar_filter(res, args)
            filters.append(f)
            print(
                f"  {res:g} deg, {f['rows']} rows of {f['nlon']}: NumPy pocketfft "
                f"{1e3 * f['numpy_pocketfft']['median_s']:.2f} ms, Numba batched "
                f"{1e3 * f['numba_batched']['median_s']:.2f} ms (medians; max rel. diff "
                f"{f['max_relative_difference']:.1e})"
            )
    path = RESULTS / f"{args.name}.json"
    if path.exists():
        print(f"replacing the previous results in {path}", file=sys.stderr)
    write_json(args.name, {
        "measured": True,
        "numba_threads": numba.get_num_threads(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "levels": args.levels,
        "triad": {"n": triad.n, "seconds": list(triad.seconds), "median_Bps": triad_bps,
                  "best_Bps": triad.best_bytes_per_s, "bytes_per_element": 24},
        "targets": {"triad_share": TARGET_TRIAD_SHARE, "speedup_vs_numpy": TARGET_SPEEDUP},
        "rows": rows,
        "polar_filter": filters,
    })  # fmt: skip
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
