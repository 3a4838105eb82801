"""The model on Dask equals the one-process model bit for bit: any bands, any k, resumed,
streamed to Zarr, restarted after a crash, and after a worker is killed mid-run."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest
import xarray as xr
from dask.base import tokenize
from distributed.diagnostics.plugin import SchedulerPlugin

from workloads.weather import io
from workloads.weather.api import initial_state, run
from workloads.weather.band_tasks import Embedded, advance_task, current_task, embed, rows_task
from workloads.weather.blocks import advance_block, block_statics, stack_levels
from workloads.weather.cases import case_fields
from workloads.weather.distributed import _direct, run_dask
from workloads.weather.grid import make_grid
from workloads.weather.layout import boundaries, make_layout
from workloads.weather.model import BlowUpError
from workloads.weather.stream import partial_path

pytestmark = pytest.mark.cluster


class Crash(RuntimeError):
    """Stands in for the machine going down."""


@pytest.fixture(scope="module")
def tc6():
    state = initial_state(6, 10.0)
    return state, run(state, 0.5, output_every=0.25, progress=False)


@pytest.mark.parametrize("chunks,k", [(1, 1), (2, 1), (3, 2), (4, 5), (5, 2), (6, 5)])
def test_any_bands_and_k_give_the_one_process_run(dask_client, tc6, chunks, k):
    state, want = tc6
    stats = {}
    got = run_dask(state, 0.5, output_every=0.25, chunks=chunks, halo_steps=k,
                   client=dask_client, progress=False, stats=stats)  # fmt: skip
    xr.testing.assert_identical(got, want)
    steps = want.attrs["steps"]
    # One task per band per exchange: the graph grows per exchange, not per step.
    assert stats["exchange_tasks"] == chunks * sum(
        -(-n // k) for n in np.diff([0, *boundaries(0, steps, [steps // 2], 10**9)])
    )


def test_resuming_a_checkpoint_gives_the_one_process_resume(dask_client, tmp_path):
    state = initial_state(5, 10.0)
    ck = tmp_path / "ck.nc"
    run(state, 0.5, output_every=0.25, checkpoint_every=25, checkpoint_path=str(ck), progress=False)
    saved = io.read_checkpoint(ck)
    want = run(saved, 1.0, progress=False)
    got = run_dask(saved, 1.0, chunks=3, halo_steps=4, client=dask_client, progress=False)
    xr.testing.assert_identical(got, want)


def test_stream_crash_and_restart_give_the_same_store(dask_client, tmp_path, monkeypatch):
    state = initial_state(2, 10.0, alpha=0.3)
    want = run(state, 1.0, output_every=0.25, progress=False)
    out, ck = tmp_path / "tc2.zarr", tmp_path / "tc2.checkpoint.nc"
    real_write = io.write_dataset
    calls = []

    def crash_on_second_checkpoint(ds, path, **kw):
        calls.append(path)
        if len(calls) == 2:
            raise Crash("simulated crash")
        return real_write(ds, path, **kw)

    monkeypatch.setattr(io, "write_dataset", crash_on_second_checkpoint)
    with pytest.raises(Crash):
        run_dask(state, 1.0, output_every=0.25, chunks=2, halo_steps=3, client=dask_client,
                 out=out, checkpoint_path=ck, progress=False)  # fmt: skip
    monkeypatch.setattr(io, "write_dataset", real_write)
    assert not out.exists()
    part = xr.open_zarr(partial_path(out), consolidated=False)
    # Snapshots at days 0, 0.25, 0.5 reached the store; the checkpoint is still at 0.25.
    assert (
        part.sizes["time"] == 3
        and part.attrs["last_completed_step"] == 2 * want.attrs["steps"] // 4
    )
    saved = io.read_checkpoint(ck)
    assert saved.attrs["step"] == want.attrs["steps"] // 4
    with pytest.raises(FileExistsError, match="partial output .* exists; resume it"):
        run_dask(state, 1.0, client=dask_client, out=out, progress=False)
    got = run_dask(saved, 1.0, chunks=3, halo_steps=2, client=dask_client, out=out,
                   checkpoint_path=ck, progress=False)  # fmt: skip
    assert not partial_path(out).exists()
    assert got.attrs.pop("last_completed_step") == want.attrs["steps"]
    xr.testing.assert_identical(got.load(), want)
    with pytest.raises(FileExistsError, match="already exists; pass overwrite=True"):
        run_dask(state, 1.0, client=dask_client, out=out, progress=False)


def test_blow_up_names_what_the_one_process_run_names(dask_client, tmp_path):
    state = initial_state(6, 10.0)
    ck = tmp_path / "ck.nc"
    run(state, 0.25, checkpoint_every=5, checkpoint_path=str(ck), progress=False)
    bad = io.read_checkpoint(ck)
    bad["h_prev"][11, 7] = np.nan  # the leapfrog's old level: not checked on input
    with pytest.raises(BlowUpError) as one:
        run(bad, 0.5, progress=False)
    with pytest.raises(BlowUpError) as many:
        run_dask(bad, 0.5, chunks=4, halo_steps=3, client=dask_client, progress=False)
    assert str(many.value) == str(one.value)
    assert "(row 11, column 7)" in str(one.value)


def test_the_scheduler_forgets_each_stretch(dask_client):
    def weather_keys():
        return set(
            dask_client.run_on_scheduler(
                lambda dask_scheduler: [str(k) for k in dask_scheduler.tasks if "weather" in str(k)]
            )
        )

    before = weather_keys()  # earlier tests' failures may still hold futures
    stats = {}
    run_dask(initial_state(6, 10.0), 0.5, chunks=2, halo_steps=2, cut_every=3,
             client=dask_client, progress=False, stats=stats)  # fmt: skip
    assert stats["stretches"] >= 10
    deadline = time.monotonic() + 10
    while weather_keys() - before and time.monotonic() < deadline:
        time.sleep(0.05)  # releases reach the scheduler asynchronously
    assert weather_keys() - before == set()


class _BandsInMemory(SchedulerPlugin):
    """Counts the weather bands held in the workers' memory, and the most at once."""

    name = "test-bands-in-memory"

    def __init__(self):
        self.now = self.peak = 0

    def transition(self, key, start, finish, *args, **kwargs):
        if "weather-band" not in str(key):
            return
        self.now += (finish == "memory") - (start == "memory")
        self.peak = max(self.peak, self.now)


def test_workers_hold_only_the_bands_still_needed(dask_client):
    # A stretch of many exchanges: were every band of it kept until its end (its futures
    # held by the client), the workers would hold one band per band per exchange.
    dask_client.register_plugin(_BandsInMemory())
    try:
        stats = {}
        run_dask(initial_state(6, 10.0), 0.5, chunks=2, halo_steps=1, client=dask_client,
                 progress=False, stats=stats)  # fmt: skip
        peak = dask_client.run_on_scheduler(
            lambda dask_scheduler: dask_scheduler.plugins[_BandsInMemory.name].peak
        )
    finally:
        dask_client.unregister_scheduler_plugin(_BandsInMemory.name)
    assert stats["stretches"] == 1 and stats["exchange_tasks"] >= 40
    assert 2 <= peak <= 3 * 2  # a few per band: the current one, the next, the strips' source


def test_the_last_gather_takes_the_current_level_unless_a_checkpoint_needs_both(
    dask_client, tc6, tmp_path
):
    state, want = tc6
    stats = {}
    got = run_dask(state, 0.5, output_every=0.25, chunks=3, halo_steps=2, client=dask_client,
                   progress=False, stats=stats)  # fmt: skip
    xr.testing.assert_identical(got, want)
    assert stats["level_tasks"] == 3  # one per band, at the last boundary only
    ck = tmp_path / "ck.nc"
    stats = {}
    got = run_dask(state, 0.5, output_every=0.25, chunks=3, halo_steps=2, client=dask_client,
                   checkpoint_path=ck, progress=False, stats=stats)  # fmt: skip
    xr.testing.assert_identical(got, want)
    assert stats["level_tasks"] == 0
    saved = io.read_checkpoint(ck)
    steps = want.attrs["steps"]
    assert saved.attrs["step"] == steps
    ck1 = tmp_path / "one.nc"
    run(state, 0.5, output_every=0.25, checkpoint_every=steps, checkpoint_path=str(ck1),
        progress=False)  # fmt: skip
    one = io.read_checkpoint(ck1)
    for name in ("h_prev", "u_prev", "v_prev", "h", "u", "v"):
        np.testing.assert_array_equal(saved[name].values, one[name].values)


def test_embedded_band_data_is_named_by_its_token_and_unwrapped_by_the_tasks():
    state = initial_state(6, 10.0)
    x0 = stack_levels(None, tuple(state[k].values for k in "huv"))
    one = Embedded(x0, "band-a")
    assert (
        tokenize(one) == tokenize(Embedded(x0 + 1.0, "band-a")) != tokenize(Embedded(x0, "band-b"))
    )
    f = case_fields(make_grid(10.0), 6)
    st = block_statics(make_grid(10.0), f.hs, f.coriolis, f.advect_only, 0, 18)
    plain = advance_block(x0[:, :12], 0, 0, 6, st, dt_s=600.0, steps=3, first_step=0)
    wrapped = advance_task([Embedded(x0[:, :12], "b")], 0, 0, 6, Embedded(st, "s"), 600.0, 3, 0)
    np.testing.assert_array_equal(wrapped, plain)
    np.testing.assert_array_equal(rows_task(one, 2, 5), x0[:, 2:5])


@pytest.mark.parametrize("checkpoint_every,level_tasks", [(40, 3), (38, 0)])
def test_a_checkpoint_every_that_misses_the_end_keeps_the_last_gather_to_one_level(
    dask_client, tc6, tmp_path, checkpoint_every, level_tasks
):
    state, want = tc6
    steps = want.attrs["steps"]
    # 40 does not divide the steps: the last checkpoint falls before the end, so the
    # last gather needs the current level only; 38 does, and the end needs both.
    assert (steps % checkpoint_every == 0) == (level_tasks == 0)
    ck, ck1 = tmp_path / "dask.nc", tmp_path / "one.nc"
    stats = {}
    got = run_dask(state, 0.5, output_every=0.25, chunks=3, halo_steps=2, client=dask_client,
                   checkpoint_path=ck, checkpoint_every=checkpoint_every, progress=False,
                   stats=stats)  # fmt: skip
    xr.testing.assert_identical(got, want)
    assert stats["level_tasks"] == level_tasks
    run(state, 0.5, output_every=0.25, checkpoint_every=checkpoint_every,
        checkpoint_path=str(ck1), progress=False)  # fmt: skip
    saved, one = io.read_checkpoint(ck), io.read_checkpoint(ck1)
    assert saved.attrs["step"] == one.attrs["step"] == steps - steps % checkpoint_every
    for name in ("h_prev", "u_prev", "v_prev", "h", "u", "v"):
        np.testing.assert_array_equal(saved[name].values, one[name].values)


def test_embedded_data_is_weighed_by_its_value_not_its_wrapper():
    from dask.sizeof import sizeof

    a = np.zeros((6, 20, 36))
    assert sizeof(Embedded(a, "t")) >= a.nbytes
    f = case_fields(make_grid(10.0), 6)
    st = block_statics(make_grid(10.0), f.hs, f.coriolis, f.advect_only, 0, 18)
    arrays = [v for v in vars(st).values() if isinstance(v, np.ndarray)]
    assert len(arrays) >= 10
    assert sizeof(st) == sum(v.nbytes for v in arrays) > 1000
    assert sizeof(embed("statics", st)) == sizeof(st)


def test_embed_derives_the_token_from_the_key():
    x = np.arange(4.0)
    one, same, other = embed(("band", 0), x), embed(("band", 0), x + 1), embed(("band", 1), x)
    assert one.value is x
    assert tokenize(one) == tokenize(same) != tokenize(other)
    band = np.arange(36.0).reshape(6, 2, 3)
    np.testing.assert_array_equal(current_task(embed("b", band)), band[3:])
    np.testing.assert_array_equal(current_task(band), band[3:])


def test_gathers_go_straight_to_the_workers_only_of_a_local_cluster_left_to_choose(
    dask_client,
):
    from types import SimpleNamespace

    from distributed import Client

    assert _direct(dask_client) is True
    told = Client(dask_client.cluster, direct_to_workers=False, set_as_default=False)
    try:
        assert _direct(told) is None
    finally:
        told.close()
    # A cluster object of another kind (Kubernetes, a gateway) may start workers this
    # process cannot reach: Dask's own setting decides.
    assert _direct(SimpleNamespace(cluster=object(), direct_to_workers=None)) is None
    assert _direct(SimpleNamespace(direct_to_workers=None)) is None


def test_bad_layouts_are_refused():
    with pytest.raises(ValueError, match="chunks must be at most the 18 latitude rows; got 19"):
        make_layout(18, 19)
    with pytest.raises(ValueError, match="chunks must be at least 1 latitude bands; got 0"):
        make_layout(18, 0)
    with pytest.raises(TypeError, match="halo_steps must be an integer number of steps; got str"):
        make_layout(18, 2, "3")
    with pytest.raises(ValueError, match="halo_steps must be at least 1 steps; got 0"):
        make_layout(18, 2, 0)
    with pytest.raises(ValueError, match=r"must be zero on the polar faces"):
        state = initial_state(2, 10.0)
        state["v"][-1, 3] = 1.0
        run_dask(state, 0.5, client=object(), progress=False)
    with pytest.raises(ValueError, match="path must end in .zarr to stream outputs"):
        run_dask(initial_state(2, 10.0), 0.5, client=object(), out="x.nc", progress=False)


@pytest.mark.slow
def test_a_worker_killed_mid_run_changes_nothing(tmp_path):
    from accel.cluster import get_client

    state = initial_state(5, 5.0)
    want = run(state, 2.0, output_every=0.5, progress=False)
    with get_client(n_workers=2, dashboard=False, quiet=True) as client:
        client.run(lambda: None)  # workers are up
        result: dict = {}

        def target():
            try:
                result["out"] = run_dask(state, 2.0, output_every=0.5, chunks=3, halo_steps=1,
                                         client=client, progress=False)  # fmt: skip
            except BaseException as exc:  # reported by the assertion below
                result["error"] = exc

        thread = threading.Thread(target=target)
        thread.start()
        victim, deadline = None, time.monotonic() + 120
        while victim is None and time.monotonic() < deadline and thread.is_alive():
            busy = [
                w for w, keys in client.processing().items()
                if any("weather-band" in str(k) for k in keys)
            ]  # fmt: skip
            victim = busy[0] if busy else None
            time.sleep(0.02)
        assert victim is not None and thread.is_alive(), "the run ended before a kill"
        os.kill(client.run(os.getpid, workers=[victim])[victim], signal.SIGKILL)
        thread.join(timeout=300)
        assert not thread.is_alive()
        assert victim not in client.scheduler_info()["workers"]  # it really died
    assert "error" not in result, result.get("error")
    xr.testing.assert_identical(result["out"], want)


def test_api_run_hands_chunks_and_client_to_dask(dask_client, tc6):
    state, want = tc6
    got = run(state, 0.5, output_every=0.25, chunks=3, client=dask_client, progress=False)
    xr.testing.assert_identical(got, want)
    with pytest.raises(
        ValueError, match="backend must be 'numba' with chunks or client; got 'numpy'"
    ):
        run(state, 0.5, chunks=2, backend="numpy", progress=False)
