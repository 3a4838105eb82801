"""Accuracy of the shallow-water model on the Williamson et al. (1992) test cases.

Not a speed benchmark: it runs the cases at several resolutions with the Numba backend and
prints, per run, the height error norms (l1, l2, linf: cases 1 and 2 against the exact
solution; cases 5 and 6 against a run of the same model at twice the resolution, averaged
onto the coarse cell centres) and the conservation errors of mass, total energy and
potential enstrophy.  Writes ``benchmarks/results/weather_accuracy.json``.

example:
  flock /tmp/accel-bench.lock python benchmarks/weather_accuracy.py --resolutions 4 2 1
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_json  # noqa: E402

from workloads.weather.api import initial_state, run, summary  # noqa: E402
from workloads.weather.diagnostics import height_errors  # noqa: E402
from workloads.weather.grid import make_grid  # noqa: E402

DAYS = {1: 12.0, 2: 5.0, 5: 15.0, 6: 14.0}


def _run(case: int, res: float, alpha: float = 0.0):
    t = time.perf_counter()
    out = run(initial_state(case, res, alpha=alpha), days=DAYS[case], progress=False)
    return out, time.perf_counter() - t


def _on_coarse(fine_h, coarse_res: float):
    """Fine-grid (half spacing) height at the coarse cell centres: coarse longitudes are
    every other fine longitude, coarse latitudes lie midway between two fine rows."""
    return 0.5 * (fine_h[0::2, 0::2] + fine_h[1::2, 0::2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolutions", type=float, nargs="+", default=[4.0, 2.0, 1.0])
    parser.add_argument("--cases", type=int, nargs="+", default=[2, 1, 5, 6])
    args = parser.parse_args()
    rows = []
    for case in args.cases:
        alphas = (
            [0.0, math.pi / 4] if case == 2 else [0.0, math.pi / 2 - 0.05] if case == 1 else [0.0]
        )
        for alpha in alphas:
            fine = None
            for res in sorted(args.resolutions):  # finest first, the reference of the next
                out, secs = _run(case, res, alpha)
                stats = summary(out)
                row = {"case": case, "alpha": alpha, "resolution_deg": res, "days": DAYS[case],
                       "dt_s": out.attrs["dt_s"], "steps": out.attrs["steps"], "seconds": secs}  # fmt: skip
                if case in (5, 6):
                    for k in ("l1", "l2", "linf"):
                        stats.pop(k, None)
                    if fine is not None and abs(fine[0] - res / 2) < 1e-12:
                        ref = _on_coarse(fine[1], res)
                        stats.update({f"{k}_vs_{fine[0]:g}deg": v for k, v in
                                      height_errors(make_grid(res), out.h[-1].values, ref).items()})  # fmt: skip
                    fine = (res, out.h[-1].values)
                row.update(stats)
                rows.append(row)
                shown = ", ".join(f"{k}={v:.3e}" for k, v in stats.items() if k != "days")
                print(f"case {case} alpha={alpha:.4f} {res:g} deg, {DAYS[case]:g} d, dt={row['dt_s']:.1f} s "
                      f"({secs:.1f} s wall): {shown}", flush=True)  # fmt: skip
    for case in (1, 2):
        for alpha in sorted({r["alpha"] for r in rows if r["case"] == case}):
            l2 = [
                (r["resolution_deg"], r["l2"])
                for r in rows
                if r["case"] == case and r["alpha"] == alpha
            ]
            l2.sort(reverse=True)
            ratios = [
                f"{a:g}->{b:g} deg: {ea / eb:.2f}"
                for (a, ea), (b, eb) in zip(l2, l2[1:], strict=False)
            ]
            print(f"case {case} alpha={alpha:.4f} l2 ratio per halving: {'; '.join(ratios)}")
    print(f"wrote {write_json('weather_accuracy', {'runs': rows})}")


if __name__ == "__main__":
    main()
