"""Memory bandwidth: a STREAM triad to measure it, and effective bandwidth of a kernel.

The triad ``a = b + s * c`` counts 3 arrays x 8 bytes per element, the convention
of McCalpin's STREAM benchmark.  A write-allocate cache also reads ``a`` before
writing it, so the bus moves 4 x 8 bytes; STREAM (and so this module) does not
count that extra read, which makes the figure comparable with published ones.

Effective bandwidth of a stencil is its *compulsory* bytes (every input read once,
every output written once) divided by its time, as the GridTools benchmarks
report it; comparing it with the triad says how close a kernel is to the memory
limit.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

__all__ = ["TRIAD_BYTES_PER_ELEMENT", "TriadResult", "triad", "stream_triad", "effective_bandwidth"]

TRIAD_BYTES_PER_ELEMENT = 3 * 8


@njit(cache=True, parallel=True)
def _triad_kernel(a, b, c, scalar):
    for i in prange(a.size):
        a[i] = b[i] + scalar * c[i]


@njit(cache=True, parallel=True)
def _fill_kernel(x, value):
    # parallel first touch, so pages land near the threads that will stream them
    for i in prange(x.size):
        x[i] = value


def _check_vector(name: str, x: object, n: int | None = None) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array; got {type(x).__name__}")
    if x.dtype != np.float64 or x.ndim != 1 or not x.flags.c_contiguous:
        raise ValueError(
            f"{name} must be a contiguous 1-D float64 array; got {x.ndim}-D {x.dtype}"
            f"{'' if x.flags.c_contiguous else ' (not contiguous)'}"
        )
    if n is not None and x.size != n:
        raise ValueError(f"{name} must have {n} elements like a; got {x.size}")
    return x


def triad(a: np.ndarray, b: np.ndarray, c: np.ndarray, scalar: float) -> np.ndarray:
    """Compute ``a[:] = b + scalar * c`` in parallel and return ``a``.

    Examples
    --------
    >>> import numpy as np
    >>> from accel.bandwidth import triad
    >>> triad(np.empty(3), np.ones(3), np.arange(3.0), 2.0)
    array([1., 3., 5.])
    """
    a = _check_vector("a", a)
    b = _check_vector("b", b, a.size)
    c = _check_vector("c", c, a.size)
    if np.shares_memory(a, b) or np.shares_memory(a, c):
        raise ValueError("a must not share memory with b or c; got overlapping arrays")
    _triad_kernel(a, b, c, float(scalar))
    return a


@dataclass(frozen=True)
class TriadResult:
    """Measured triad: element count, per-repeat seconds and bandwidths in bytes/s."""

    n: int
    seconds: tuple[float, ...]

    @property
    def bytes_per_run(self) -> int:
        return TRIAD_BYTES_PER_ELEMENT * self.n

    @property
    def median_bytes_per_s(self) -> float:
        return self.bytes_per_run / statistics.median(self.seconds)

    @property
    def best_bytes_per_s(self) -> float:
        return self.bytes_per_run / min(self.seconds)


def stream_triad(n: int = 40_000_000, repeats: int = 10, scalar: float = 3.0) -> TriadResult:
    """Measure the STREAM triad on three arrays of ``n`` float64 elements.

    The first (untimed) call compiles the kernel and faults the pages in.

    Parameters
    ----------
    n
        Elements per array; STREAM asks for arrays much larger than the last-level
        cache (the default is 320 MB per array).
    repeats
        Timed runs; report the median (typical) or the best (STREAM's figure).

    Examples
    --------
    >>> from accel.bandwidth import stream_triad
    >>> r = stream_triad(n=100_000, repeats=3)
    >>> r.median_bytes_per_s > 0 and len(r.seconds) == 3
    True
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"n must be an integer; got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"n must be a positive number of elements; got {n}")
    if isinstance(repeats, bool) or not isinstance(repeats, int | np.integer) or repeats < 1:
        raise ValueError(f"repeats must be a positive integer; got {repeats!r}")
    a, b, c = np.empty(n), np.empty(n), np.empty(n)
    _fill_kernel(a, 0.0)
    _fill_kernel(b, 1.0)
    _fill_kernel(c, 2.0)
    _triad_kernel(a, b, c, scalar)
    seconds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        _triad_kernel(a, b, c, scalar)
        seconds.append(time.perf_counter() - t0)
    if a[0] != 1.0 + scalar * 2.0 or a[-1] != a[0]:
        raise RuntimeError(f"triad produced a wrong value {a[0]}; the measurement is invalid")
    return TriadResult(n=int(n), seconds=tuple(seconds))


def effective_bandwidth(compulsory_bytes: float, seconds: float) -> float:
    """Compulsory bytes moved per second: ``compulsory_bytes / seconds``.

    Examples
    --------
    >>> from accel.bandwidth import effective_bandwidth
    >>> effective_bandwidth(3 * 8 * 1_000_000, 0.002) / 1e9
    12.0
    """
    if not compulsory_bytes >= 0:
        raise ValueError(f"compulsory_bytes must be non-negative; got {compulsory_bytes}")
    if not seconds > 0:
        raise ValueError(f"seconds must be positive; got {seconds}")
    return float(compulsory_bytes) / float(seconds)
