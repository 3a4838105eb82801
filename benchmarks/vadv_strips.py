"""vadv strip lengths and store modes, side by side in one process.

The strip length sets how many columns vadv solves together: how long the runs
the hardware prefetcher sees are (one run per input and level) and how large the
per-thread Thomas scratch is (``(3 * nlev + 1) * 8`` bytes a point).  Variants
are timed in turns, round after round, so a slow spell of this shared machine
hits them all alike; the table gives each one's median and its ratio to the
first variant.  Every variant's result is compared with the first one's (they
must agree bit for bit: the strip only changes which columns go together).

    flock /tmp/accel-bench.lock python benchmarks/vadv_strips.py
    flock /tmp/accel-bench.lock python benchmarks/vadv_strips.py --resolution 1 --variants 1024:stream 4072:stream 4072:cache

Writes ``benchmarks/results/<name>.json``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_json  # noqa: E402

from workloads.weather import canonical  # noqa: E402

STORES = ("stream", "cache")


def parse_variant(text: str) -> tuple[int, str]:
    strip, _, store = text.partition(":")
    if not strip.isdigit() or int(strip) < 1 or store not in STORES:
        raise argparse.ArgumentTypeError(
            f"a variant is STRIP:STORE with STORE one of {STORES}; got {text!r}"
        )
    return int(strip), store


def run_variant(fields, out, strip, store):
    canonical.VADV_STRIP = strip
    canonical.STREAM_MIN_BYTES = None if store == "stream" else out.nbytes
    try:
        canonical.vadv(*fields, out=out, check_values=False)
    finally:
        canonical.VADV_STRIP = None
        canonical.STREAM_MIN_BYTES = None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="example:\n  flock /tmp/accel-bench.lock python benchmarks/vadv_strips.py "
        "--resolution 0.25 --variants 1024:stream 4072:stream",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--resolution", type=float, default=0.25, help="grid spacing, degrees")
    parser.add_argument("--levels", type=int, default=64)
    parser.add_argument("--variants", type=parse_variant, nargs="+",
                        default=[(1024, "stream"), (2048, "stream"), (4072, "stream"),
                                 (4072, "cache"), (8144, "stream")],
                        help="STRIP:STORE, STORE 'stream' (non-temporal) or 'cache'")  # fmt: skip
    parser.add_argument(
        "--rounds", type=int, default=None, help="default 20 at 1 deg and up, else 6"
    )
    parser.add_argument("--name", default="vadv_strips", help="results/<name>.json")
    args = parser.parse_args(argv)
    if args.resolution <= 0 or args.levels < 2:
        parser.error("--resolution must be positive and --levels at least 2")

    shape = (args.levels, round(180 / args.resolution), round(360 / args.resolution))
    rng = np.random.default_rng(1)
    fields = [rng.random(shape) - 0.5 for _ in range(5)]
    out = np.empty(shape)
    run_variant(fields, out, *args.variants[0])
    expected = out.copy()
    for v in args.variants[1:]:
        run_variant(fields, out, *v)
        if not np.array_equal(out, expected):
            raise SystemExit(f"variant {v} does not reproduce {args.variants[0]} bit for bit")
    rounds = args.rounds or (20 if args.resolution >= 1 else 6)
    times: dict[tuple[int, str], list[float]] = {v: [] for v in args.variants}
    for _ in range(rounds):
        for v in args.variants:
            run_variant(fields, out, *v)  # scratch sized and cached for this strip
            t0 = time.perf_counter()
            run_variant(fields, out, *v)
            run_variant(fields, out, *v)
            times[v].append((time.perf_counter() - t0) / 2)
    nbytes = 6 * 8 * out.size
    base = statistics.median(times[args.variants[0]])
    print(
        f"vadv {shape}, {numba.get_num_threads()} threads, {rounds} rounds "
        "(scratch: all threads together)"
    )
    print(
        f"{'strip':>7}{'stores':>8}{'scratch MiB':>13}{'median ms':>11}{'GB/s':>7}{'vs first':>10}"
    )
    rows = []
    for (strip, store), ts in times.items():
        med = statistics.median(ts)
        scratch = (3 * args.levels + 1) * 8 * strip * numba.get_num_threads() / 2**20
        print(f"{strip:>7}{store:>8}{scratch:>13.2f}{1e3 * med:>11.2f}{nbytes / med / 1e9:>7.1f}"
              f"{base / med:>9.2f}x")  # fmt: skip
        rows.append({"strip": strip, "stores": store, "median_s": med, "runs": len(ts),
                     "effective_bandwidth_Bps": nbytes / med})  # fmt: skip
    write_json(args.name, {"measured": True, "shape": list(shape),
                           "numba_threads": numba.get_num_threads(), "variants": rows})  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
