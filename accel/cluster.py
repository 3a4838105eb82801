"""One way to get a Dask client: an embedded LocalCluster or any scheduler address.

The same script runs on a laptop (embedded ``LocalCluster`` bound to 127.0.0.1)
and on a real cluster (``--scheduler tcp://host:8786`` or ``ACCEL_SCHEDULER``).
Numba's thread count per worker is set so that workers x threads never exceeds
the cores: Numba would otherwise start one thread per core in every worker.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

from distributed.diagnostics.plugin import WorkerPlugin

SCHEDULER_ENV = "ACCEL_SCHEDULER"


class NumbaThreadsPlugin(WorkerPlugin):
    """Worker plugin: make Numba's thread pool use the worker's ``NUMBA_NUM_THREADS``.

    The variable reaches a worker through ``distributed.nanny.environ``, applied after
    the worker process has started.  A worker started from a script re-imports that
    script's top-level imports first (multiprocessing's spawn), so Numba may already
    have read its configuration, without the variable: its pool would then start one
    thread per core in every worker.  Numba reloads its configuration only when it
    compiles, and a kernel loaded from the on-disk cache does not compile.  This plugin
    reloads it, and the pool size Numba captured at import, when the worker starts,
    before any task can start the pool.
    """

    name = "accel-numba-threads"

    def __init__(self, threads: int) -> None:
        self.threads = int(threads)

    def setup(self, worker) -> None:
        os.environ["NUMBA_NUM_THREADS"] = str(self.threads)
        if "numba" not in sys.modules:
            return  # Numba will read the variable when it is first imported
        from numba.core import config
        from numba.np.ufunc import parallel

        if parallel._is_initialized:
            if config.NUMBA_NUM_THREADS != self.threads:
                raise RuntimeError(
                    f"Numba's thread pool was started with {config.NUMBA_NUM_THREADS} threads "
                    f"before the worker could set {self.threads}: set NUMBA_NUM_THREADS="
                    f"{self.threads} before starting Python, or do not run parallel Numba "
                    "code when the script is imported"
                )
            return
        config.reload_config()
        # The pool size is captured when numba.np.ufunc.parallel is imported.
        parallel.NUM_THREADS = config.NUMBA_NUM_THREADS


class MallocPlugin(WorkerPlugin):
    """Worker plugin: let glibc reuse freed arrays below 32 MiB instead of unmapping them.

    Tasks that allocate the same arrays again and again (a weather band per halo
    exchange) otherwise pay fresh page faults each time: when both workers fault at
    once, filling a 30 MB band took 40-70 ms instead of 4-8 ms (measured at 0.25 deg).
    Arrays of 32 MiB and more are still mapped and returned to the system when freed;
    smaller ones stay in the worker's heap, up to ``trim_bytes`` of free memory.
    No-op where the C library is not glibc.
    """

    name = "accel-malloc"

    def __init__(self, trim_bytes: int = 512 * 2**20) -> None:
        self.trim_bytes = int(trim_bytes)

    def setup(self, worker) -> None:
        import ctypes
        import platform

        if platform.libc_ver()[0] != "glibc":
            return
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold, m_arena_max = -1, -3, -8  # glibc's malloc.h
        libc.mallopt(m_mmap_threshold, 32 * 2**20)  # glibc's largest allowed value
        libc.mallopt(m_trim_threshold, self.trim_bytes)
        # One arena: a task thread otherwise gets an arena of its own, made of 64 MiB
        # heaps that glibc unmaps as soon as they empty, whatever the trim threshold.
        # Measured in a thread allocating and freeing 28 + 14 MB arrays (a 0.25-deg
        # band's buffers) 40 times: 20-22 thousand page faults, none with one arena.
        # Threads that already have an arena keep it; the tasks' thread starts later.
        libc.mallopt(m_arena_max, 1)


def _numba_threads_per_worker(n_workers: int, cores: int | None = None) -> int:
    cores = cores or os.cpu_count() or 1
    return max(1, cores // max(1, n_workers))


@contextlib.contextmanager
def get_client(
    scheduler: str | None = None,
    n_workers: int | None = None,
    *,
    threads_per_worker: int = 1,
    numba_threads: int | None = None,
    timeout_s: float = 10.0,
    host: str = "127.0.0.1",
    dashboard: bool = True,
    quiet: bool = False,
) -> Iterator[object]:
    """Yield a ``dask.distributed.Client``, closing what was started on exit.

    Parameters
    ----------
    scheduler
        Address of an existing scheduler (``tcp://host:port``).  Falls back to the
        ``ACCEL_SCHEDULER`` environment variable; when neither is set an embedded
        ``LocalCluster`` is started.
    n_workers
        Workers of the embedded cluster (default: one per core).
    threads_per_worker
        Task threads per worker.  One keeps Numba's ``workqueue`` layer safe, which
        aborts when two task threads run ``parallel=True`` code at once.
    numba_threads
        ``NUMBA_NUM_THREADS`` for each embedded worker (default: cores // workers).
    timeout_s
        How long to wait for an external scheduler before raising ``TimeoutError``.
    host
        Interface the embedded cluster binds to; loopback unless told otherwise.
    dashboard
        Print the dashboard link to stderr.  The dashboard is always served on
        ``host`` at a free port, never on every interface.
    quiet
        Do not print the dashboard link.

    Notes
    -----
    An embedded cluster runs with quieter housekeeping than Dask's defaults, so that
    its timers pre-empt the compute threads less often: the workers' statistical
    profiler is off (the dashboard's Profile page stays empty), the event-loop tick
    is 1 s, the system monitor samples every 2 s and the memory monitor every 0.5 s
    (the memory limit is checked twice a second instead of ten times).  These
    settings apply only inside the cluster; the caller's ``dask.config`` is unchanged.
    A client of an external ``scheduler`` gets the cluster's own settings.

    Examples
    --------
    >>> from accel.cluster import get_client
    >>> with get_client(n_workers=1, dashboard=False, quiet=True) as client:
    ...     client.submit(sum, [1, 2, 3]).result()
    6
    """
    import dask
    from dask.distributed import Client, LocalCluster

    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address:
        try:
            client = Client(address, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError) as exc:
            raise TimeoutError(
                f"scheduler {address!r} could not be reached within {timeout_s:g} s: {exc}"
            ) from exc
        try:
            yield client
        finally:
            client.close()
        return

    n_workers = n_workers or os.cpu_count() or 1
    if n_workers < 1:
        raise ValueError(f"n_workers must be at least 1; got {n_workers}")
    nthreads = numba_threads or _numba_threads_per_worker(n_workers)
    # numba.set_num_threads is thread-local, so the variable must be in the worker's
    # environment before Numba is imported there.  "nanny.environ" is applied inside
    # the new worker process; "pre-spawn-environ" would also be written, for good,
    # into this process's os.environ, and Numba here would then refuse to compile
    # ("Cannot set NUMBA_NUM_THREADS to a different value once the threads have
    # been launched").
    settings = {
        "distributed.nanny.environ.NUMBA_NUM_THREADS": str(nthreads),
        # Dask sets MALLOC_TRIM_THRESHOLD_=65536 in workers; setting it at all turns off
        # glibc's dynamic mmap threshold, so every array above 128 KiB is a fresh mmap
        # with fresh page faults.  Kernels that allocate per step ran 1.5x slower under
        # it (a 0.25-deg shallow-water run, one thread, measured).  None removes it;
        # MallocPlugin then sets both thresholds inside each worker.
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
        # Housekeeping timers wake the scheduler, nannies and workers ~300 times a second
        # (statistical profiler every 10 ms, event-loop tick every 20 ms, memory and
        # system monitors); each wake-up pre-empts a compute thread, and a halo exchange
        # then waits for it.  A few tens a second with these.  Measured on 2 cores, 0.25
        # deg weather on 2 workers (with the memory monitor then at 1 s): 6.0-6.3 s ->
        # 5.4-5.7 s; an idle cluster slowed a 2-thread Numba run beside it by 6.5 %
        # before, 3.5 % after.
        "distributed.worker.profile.enabled": False,
        "distributed.admin.tick.interval": "1s",
        "distributed.admin.system-monitor.interval": "2s",
        # 500 ms, not 1 s: the nanny's pause and terminate thresholds react within half
        # a second, still ~5x fewer wake-ups than the 100 ms default.
        "distributed.worker.memory.monitor-interval": "500ms",
    }
    with dask.config.set(settings):
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            host=host,
            # Always bound to `host`: with None the scheduler's HTTP server (health,
            # metrics) would listen on every interface at port 8787.
            dashboard_address=f"{host}:0",
            processes=True,
            plugins=(NumbaThreadsPlugin(nthreads), MallocPlugin()),
        )
    try:
        client = Client(cluster)
        try:
            if dashboard and not quiet:
                print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
            yield client
        finally:
            client.close()
    finally:
        cluster.close()
