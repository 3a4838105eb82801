"""A description of the machine a measurement ran on.

Timings mean little without the hardware and the library versions behind them:
NumPy picks SIMD paths per CPU and Numba may use Intel SVML when it is installed,
so every report carries this record next to its figures.
"""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any

__all__ = [
    "LIBRARIES",
    "cpu_model",
    "describe_machine",
    "peak_rss_bytes",
    "rss_bytes",
    "reset_peak_rss",
    "peak_rss_since_reset_bytes",
]

# The libraries whose versions change what the measured code does.
LIBRARIES: tuple[str, ...] = (
    "numpy",
    "numba",
    "astropy",
    "scipy",
    "dask",
    "distributed",
    "xarray",
    "matplotlib",
)


def cpu_model(cpuinfo_path: str = "/proc/cpuinfo") -> str:
    """Return the CPU model name, or the best description the platform gives.

    Parameters
    ----------
    cpuinfo_path
        Where to read the Linux CPU description from.

    Returns
    -------
    str
        For example ``"AMD EPYC 7763 64-Core Processor"``; ``"unknown"`` when
        nothing is known.

    Examples
    --------
    >>> isinstance(cpu_model(), str)
    True
    """
    try:
        with open(cpuinfo_path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                # x86 says "model name"; some ARM kernels only say "Hardware" or "Processor".
                if key.strip().lower() in ("model name", "hardware", "processor") and not (
                    value.strip().isdigit()
                ):
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _numba_details() -> dict[str, Any]:
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a hard dependency
        return {}
    details: dict[str, Any] = {
        "numba_threads": numba.get_num_threads(),
        "numba_svml": bool(getattr(numba.config, "USING_SVML", False)),
    }
    try:
        # Only known once a parallel kernel has run; before that Numba raises.
        details["numba_threading_layer"] = numba.threading_layer()
    except ValueError:
        details["numba_threading_layer"] = "not yet chosen"
    return details


def _memory_bytes() -> int | None:
    try:
        import psutil

        return int(psutil.virtual_memory().total)
    except Exception:  # psutil missing or unsupported platform
        return None


def peak_rss_bytes() -> int | None:
    """Peak resident memory of this process so far, in bytes (``None`` where unknown).

    Examples
    --------
    >>> peak_rss_bytes() is None or peak_rss_bytes() > 0
    True
    """
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    peak = int(peak) if sys.platform == "darwin" else int(peak) * 1024
    return max(peak, _PEAK_BEFORE_RESETS)


# The largest high-water mark seen before a reset, so the whole-run peak survives resets.
_PEAK_BEFORE_RESETS = 0


def _status_bytes(key: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024  # reported in kB
    except (OSError, ValueError, IndexError):
        pass
    return None


def rss_bytes() -> int | None:
    """Resident memory of this process now, in bytes (``None`` off Linux).

    Examples
    --------
    >>> rss_bytes() is None or rss_bytes() > 0
    True
    """
    return _status_bytes("VmRSS")


def reset_peak_rss() -> bool:
    """Reset this process's resident-memory high-water mark; ``False`` where unsupported.

    Linux resets it when ``5`` is written to ``/proc/self/clear_refs``; after that
    :func:`peak_rss_since_reset_bytes` tells the peak of what ran in between.  The
    whole-run peak of :func:`peak_rss_bytes` is reset with it, so callers that need
    both keep the larger of what they read.

    Examples
    --------
    >>> isinstance(reset_peak_rss(), bool)
    True
    """
    global _PEAK_BEFORE_RESETS
    _PEAK_BEFORE_RESETS = max(_PEAK_BEFORE_RESETS, _status_bytes("VmHWM") or 0)
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_rss_since_reset_bytes() -> int | None:
    """Resident-memory high-water mark since the last :func:`reset_peak_rss` (bytes)."""
    return _status_bytes("VmHWM")


def describe_machine() -> dict[str, Any]:
    """Describe this machine: CPU, cores, threads, memory, Python and library versions.

    Returns
    -------
    dict
        JSON-ready mapping with the keys ``cpu_model``, ``logical_cores``,
        ``usable_cores`` (the CPU affinity of this process), ``physical_cores``,
        ``memory_bytes``, ``numba_threads``, ``numba_threading_layer``,
        ``numba_svml``, ``platform``, ``python`` and ``libraries`` (name ->
        version, ``None`` when not installed).

    Examples
    --------
    >>> info = describe_machine()
    >>> info["libraries"]["numpy"] is not None
    True
    """
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    try:
        import psutil

        physical = psutil.cpu_count(logical=False)
    except Exception:
        physical = None
    info: dict[str, Any] = {
        "cpu_model": cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "physical_cores": physical,
        "memory_bytes": _memory_bytes(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numba_num_threads_env": os.environ.get("NUMBA_NUM_THREADS"),
    }
    info.update(_numba_details())
    info["libraries"] = {name: _version(name) for name in LIBRARIES}
    return info
