import pytest

from accel.cluster import _numba_threads_per_worker, get_client


def test_threads_never_oversubscribe():
    assert _numba_threads_per_worker(2, cores=2) == 1
    assert _numba_threads_per_worker(1, cores=2) == 2
    assert _numba_threads_per_worker(4, cores=2) == 1


@pytest.mark.cluster
def test_embedded_cluster_is_on_loopback_and_sets_numba_threads():
    import os

    before = os.environ.get("NUMBA_NUM_THREADS")
    with get_client(n_workers=2, dashboard=False, quiet=True) as client:
        # The workers get the variable; this process (which may run Numba too) does not.
        assert os.environ.get("NUMBA_NUM_THREADS") == before
        workers = client.scheduler_info()["workers"]
        assert len(workers) == 2
        assert all(addr.startswith("tcp://127.0.0.1:") for addr in workers)
        import os

        envs = client.run(lambda: os.environ.get("NUMBA_NUM_THREADS"))
        assert set(envs.values()) == {"1"}


@pytest.mark.cluster
def test_unreachable_scheduler_times_out():
    with pytest.raises(TimeoutError, match="could not be reached"):
        with get_client("tcp://127.0.0.1:1", timeout_s=1):
            pass


@pytest.mark.cluster
def test_dashboard_listens_on_loopback_only():
    with get_client(n_workers=1, dashboard=False, quiet=True) as client:
        link = client.dashboard_link
        assert "127.0.0.1" in link and ":8787" not in link


@pytest.mark.cluster
def test_workers_keep_glibc_malloc_defaults():
    import os

    with get_client(n_workers=1, dashboard=False, quiet=True) as client:
        # Setting MALLOC_TRIM_THRESHOLD_ at all switches off glibc's dynamic mmap threshold.
        envs = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
        assert set(envs.values()) == {None}


_SCRIPT_IMPORTING_NUMBA_FIRST = """
import numba  # at the top: spawned workers re-import this before the nanny sets variables
import numpy as np

from accel.cluster import get_client


def threads_used():
    @numba.njit(parallel=True)
    def thread_ids(n):
        out = np.zeros(n, dtype=np.int64)
        for i in numba.prange(n):
            out[i] = numba.get_thread_id()
        return out

    return len(set(thread_ids(10_000).tolist()))


if __name__ == "__main__":
    with get_client(n_workers=2, numba_threads=1, dashboard=False, quiet=True) as client:
        used = [client.submit(threads_used, pure=False, workers=[w]).result()
                for w in client.scheduler_info()["workers"]]
    print("THREADS", used)
"""


@pytest.mark.cluster
def test_workers_use_their_numba_threads_when_the_script_imported_numba_first(tmp_path):
    # Found by a benchmark: a script importing Numba at the top gave every worker
    # one Numba thread per core, whatever NUMBA_NUM_THREADS said.
    import subprocess
    import sys

    script = tmp_path / "script_importing_numba.py"
    script.write_text(_SCRIPT_IMPORTING_NUMBA_FIRST)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "THREADS [1, 1]" in done.stdout, done.stdout + done.stderr[-3000:]


@pytest.mark.cluster
def test_embedded_workers_get_the_numba_and_malloc_plugins():
    with get_client(n_workers=1, dashboard=False, quiet=True) as client:
        names = client.run(lambda dask_worker: sorted(dask_worker.plugins))
    (plugins,) = names.values()
    assert {"accel-malloc", "accel-numba-threads"} <= set(plugins)


@pytest.mark.cluster
def test_embedded_workers_get_quiet_housekeeping_and_the_caller_config_is_kept():
    import dask

    keys = (
        "distributed.worker.profile.enabled",
        "distributed.worker.memory.monitor-interval",
        "distributed.admin.tick.interval",
    )
    # the caller's own values, set here so the test does not depend on the user's config
    caller = dict(zip(keys, (True, "100ms", "20ms"), strict=True))
    with dask.config.set(caller):
        with get_client(n_workers=1, dashboard=False, quiet=True) as client:
            seen = client.run(lambda: [dask.config.get(k) for k in keys])
        after = {k: dask.config.get(k) for k in keys}
    (values,) = seen.values()
    assert values == [False, "500ms", "1s"]
    assert after == caller
