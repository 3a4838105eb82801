"""Helpers shared by the benchmark scripts: timing, peak memory, JSON output."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from accel.machine import describe_machine

RESULTS = Path(__file__).parent / "results"


def timed(fn: Callable[[], object], repeats: int) -> tuple[list[float], object]:
    """Wall times of ``repeats`` calls and the last result."""
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def summary(times: list[float]) -> dict[str, float]:
    return {"median_s": statistics.median(times), "min_s": min(times), "runs": len(times)}


def _child(conn, paths, run):
    import numpy as np

    from accel.machine import peak_rss_since_reset_bytes, reset_peak_rss, rss_bytes

    data = tuple(np.load(p, allow_pickle=False) for p in paths)
    # ru_maxrss would carry the parent's high-water mark across fork + exec, so the
    # peak is reset here (Linux /proc/self/clear_refs) once the inputs are loaded.
    before = rss_bytes()
    if not reset_peak_rss():
        conn.send((None, None))
        return
    run(data)
    conn.send((before, peak_rss_since_reset_bytes()))
    conn.close()


def peak_memory(arrays: tuple, run: Callable[[tuple], object]) -> dict[str, int]:
    """Peak resident memory of ``run(arrays)`` in a fresh process.

    Allocations made inside C++ (KD-trees) or Numba are invisible to tracemalloc, so
    the peak RSS of a fresh child is the honest figure.  The child loads ``arrays``
    from ``.npy`` files (no pickles, no temporaries), so ``extra_peak_bytes`` is what
    ``run`` itself added on top of its inputs.
    """
    import tempfile

    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for k, arr in enumerate(arrays):
            paths.append(os.path.join(tmp, f"a{k}.npy"))
            np.save(paths[-1], arr, allow_pickle=False)
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_child, args=(child, paths, run))
        proc.start()
        before, after = parent.recv()
        proc.join()
    if before is None:
        return {"peak_rss_bytes": None, "extra_peak_bytes": None}
    return {"peak_rss_bytes": after, "extra_peak_bytes": max(0, after - before)}


def write_json(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"machine": describe_machine(), **payload}
    path = RESULTS / f"{name}.json"
    tmp = path.with_suffix(f".json.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(payload, indent=2, default=float))
    os.replace(tmp, path)
    return path
