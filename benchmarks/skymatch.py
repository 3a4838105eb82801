"""Cross-match speed: astropy's search_around_sky and ours, side by side in one process.

Run:  python benchmarks/skymatch.py [--sizes 1e6 1e7] [--repeats 3] [--no-memory]

For each size, two all-sky synthetic catalogs where half the sources have a true
counterpart with 0.3 arcsec scatter are matched at 1 arcsec by both; then
Hipparcos (propagated from J1991.25 to J2016.0) against Gaia DR3 G<10.  Prints
median times (our first call, which includes Numba compilation or cache loading,
is shown separately), the speed ratio, the peak memory of each (in a fresh child
process, since KD-tree and Numba allocations are invisible to tracemalloc), and
checks that the pair sets are identical.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _common import peak_memory, summary, timed, write_json
from astropy.coordinates import SkyCoord

from workloads.skymatch.reference import astropy_pairs, astropy_propagated, compare_pairs

RADIUS_ARCSEC = 1.0


def _pair(n: int):
    from accel_datasets.synthetic import make_pair

    p = make_pair(n, seed=2026, matched_fraction=0.5, scatter_arcsec=0.3)
    return p.left_ra, p.left_dec, p.right_ra, p.right_dec


def run_astropy(data):
    ra1, dec1, ra2, dec2 = data
    return astropy_pairs((ra1, dec1), (ra2, dec2), RADIUS_ARCSEC)


def run_ours(data):
    from workloads.skymatch.api import match_arrays

    return match_arrays(*data, RADIUS_ARCSEC)


def bench_synthetic(n: int, repeats: int, memory: bool) -> dict:
    print(f"\n== synthetic all-sky {n:.0e} x {n:.0e} at {RADIUS_ARCSEC:g} arcsec ==", flush=True)
    data = _pair(n)
    tiny = tuple(a[:1000] for a in data)
    t0 = time.perf_counter()
    run_ours(tiny)
    first_call = time.perf_counter() - t0
    ours_t, ours = timed(lambda: run_ours(data), repeats)
    astro_t, theirs = timed(lambda: run_astropy(data), repeats)
    check = compare_pairs(ours, theirs, RADIUS_ARCSEC)
    row = {
        "size": n,
        "ours": summary(ours_t),
        "ours_first_call_s": first_call,
        "astropy": summary(astro_t),
        "speedup_median": statistics_ratio(astro_t, ours_t),
        "check": check,
    }
    if memory:
        row["memory"] = {
            "ours": peak_memory(data, run_ours),
            "astropy": peak_memory(data, run_astropy),
        }
    _print_row(row)
    return row


def statistics_ratio(baseline: list[float], ours: list[float]) -> float:
    return float(np.median(baseline) / np.median(ours))


def _hip_gaia():
    from accel_datasets import load_gaia_bright, load_hipparcos

    return load_hipparcos(), load_gaia_bright()


def run_ours_real(data):
    from workloads.skymatch.api import crossmatch

    hip, gaia = data
    t = crossmatch(hip, gaia, RADIUS_ARCSEC, epoch=2016.0)
    return (
        np.asarray(t["left_index"]),
        np.asarray(t["right_index"]),
        np.asarray(t["separation_arcsec"]),
    )


def run_astropy_real(data):
    hip, gaia = data
    return astropy_pairs(
        astropy_propagated(hip, 2016.0), SkyCoord(gaia["ra"], gaia["dec"]), RADIUS_ARCSEC
    )


def bench_real(repeats: int) -> dict:
    print("\n== Hipparcos (J1991.25 -> J2016.0) x Gaia DR3 G<10 at 1 arcsec ==", flush=True)
    data = _hip_gaia()
    run_ours_real(data)  # compile / load the cache
    ours_t, ours = timed(lambda: run_ours_real(data), repeats)
    astro_t, theirs = timed(lambda: run_astropy_real(data), repeats)
    matched = np.unique(ours[0]).size / len(data[0])
    row = {
        "size": [len(data[0]), len(data[1])],
        "ours": summary(ours_t),
        "astropy": summary(astro_t),
        "speedup_median": statistics_ratio(astro_t, ours_t),
        "hipparcos_fraction_matched": matched,
        "check": compare_pairs(ours, theirs, RADIUS_ARCSEC),
    }
    _print_row(row)
    return row


def _print_row(row: dict) -> None:
    c = row["check"]
    print(
        f"  ours     median {row['ours']['median_s']:.3f} s  (min {row['ours']['min_s']:.3f}, "
        f"{row['ours']['runs']} runs)"
    )
    if "ours_first_call_s" in row:
        print(
            f"  ours     first call on 1000 rows (compile or cache load) {row['ours_first_call_s']:.2f} s"
        )
    print(
        f"  astropy  median {row['astropy']['median_s']:.3f} s  (min {row['astropy']['min_s']:.3f}, "
        f"{row['astropy']['runs']} runs)"
    )
    print(f"  ratio    astropy / ours = {row['speedup_median']:.1f}x")
    if "memory" in row:
        m = row["memory"]
        print(
            f"  memory   peak extra RSS: ours {m['ours']['extra_peak_bytes'] / 2**20:.0f} MiB, "
            f"astropy {m['astropy']['extra_peak_bytes'] / 2**20:.0f} MiB"
        )
    if "hipparcos_fraction_matched" in row:
        print(f"  matched  {row['hipparcos_fraction_matched']:.1%} of Hipparcos stars")
    print(
        f"  pairs    ours {c['pairs_ours']}, astropy {c['pairs_theirs']}, only-ours {c['only_ours']}, "
        f"only-astropy {c['only_theirs']}, unexplained {c['unexplained_differences']} -> "
        f"{'IDENTICAL' if c['identical'] else 'DIFFERENT'}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e6, 1e7])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--no-real", action="store_true")
    args = parser.parse_args(argv)
    rows = [bench_synthetic(int(n), args.repeats, not args.no_memory) for n in args.sizes]
    real = None if args.no_real else bench_real(args.repeats)
    path = write_json("skymatch", {"radius_arcsec": RADIUS_ARCSEC, "synthetic": rows, "real": real})
    print(f"\nwrote {path}")
    identical = all(r["check"]["identical"] for r in rows) and (
        real is None or real["check"]["identical"]
    )
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
