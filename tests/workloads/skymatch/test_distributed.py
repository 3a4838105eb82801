"""The Dask matcher gives exactly the single-process answer, whatever the partitioning."""

import os
import signal
import threading
import time

import numpy as np
import pytest
from accel_datasets.sky_strips import make_strip_pair
from astropy.table import Table

from workloads.skymatch.api import crossmatch
from workloads.skymatch.distributed import crossmatch_dask, tile_edges
from workloads.skymatch.sources import StripSource, SyntheticSource

pytestmark = pytest.mark.cluster
N = 40_000


def _concat(src):
    parts = [src.load(k) for k in range(src.n_partitions)]
    return (np.concatenate([p.ra_deg for p in parts]), np.concatenate([p.dec_deg for p in parts]))


@pytest.fixture(scope="module")
def catalogs():
    left = _concat(SyntheticSource(N, "left", seed=3, rows_per_partition=7_000))
    right = _concat(SyntheticSource(N, "right", seed=3, rows_per_partition=7_000))
    return left, right


def _same(a, b):
    np.testing.assert_array_equal(a["left_index"], b["left_index"])
    np.testing.assert_array_equal(a["right_index"], b["right_index"])
    np.testing.assert_array_equal(
        np.asarray(a["separation_arcsec"]), np.asarray(b["separation_arcsec"])
    )


@pytest.mark.parametrize("mode", ["all", "best", "best-left", "best-right", "nearest"])
def test_identical_to_single_process(catalogs, dask_client, mode):
    left, right = catalogs
    ours = crossmatch_dask(left, right, 2.0, mode=mode, client=dask_client, n_tiles=5,
                           rows_per_partition=9_000, progress=False)  # fmt: skip
    single = crossmatch(left, right, 2.0, mode=mode)
    assert len(single) > 0
    _same(ours, single)


@pytest.mark.parametrize("n_tiles", [1, 3, 16])
@pytest.mark.parametrize("rows_per_partition", [5_000, 40_000])
def test_tiles_and_partitions_do_not_change_the_answer(
    catalogs, dask_client, n_tiles, rows_per_partition
):
    left, right = catalogs
    ours = crossmatch_dask(left, right, 30.0, client=dask_client, n_tiles=n_tiles,
                           rows_per_partition=rows_per_partition, progress=False)  # fmt: skip
    _same(ours, crossmatch(left, right, 30.0))


@pytest.mark.parametrize("n_workers", [1, 4])
def test_worker_count_does_not_change_the_answer(n_workers):
    from accel.cluster import get_client

    pair = make_strip_pair(20_000)
    left = _concat(SyntheticSource(20_000, "left", rows_per_partition=3_000))
    right = _concat(SyntheticSource(20_000, "right", rows_per_partition=3_000))
    with get_client(n_workers=n_workers, dashboard=False, quiet=True) as client:
        # synthetic:N on both sides: strips generated inside the match tasks
        stats = {}
        ours = crossmatch_dask("synthetic:20000", "synthetic:20000", 1.0, client=client,
                               n_tiles=6, progress=False, stats=stats)  # fmt: skip
        assert stats["path"] == "strips"
        _same(ours, crossmatch((pair.left_ra, pair.left_dec), (pair.right_ra, pair.right_dec), 1.0))
        # row-partitioned sources: the general split path
        ours = crossmatch_dask(SyntheticSource(20_000, rows_per_partition=3_000),
                               SyntheticSource(20_000, rows_per_partition=3_000), 1.0,
                               client=client, n_tiles=6, progress=False, stats=stats)  # fmt: skip
        assert stats["path"] == "split"
        _same(ours, crossmatch(left, right, 1.0))


@pytest.fixture(scope="module")
def strip_pair():
    pair = make_strip_pair(N, seed=5)
    return (pair.left_ra, pair.left_dec), (pair.right_ra, pair.right_dec)


@pytest.mark.parametrize("n_tiles", [1, 5, 32, 100])
def test_strip_tiles_identical_to_single_process(strip_pair, dask_client, n_tiles):
    # 32 is the strip count at this size: one strip per tile; 100 is capped to it.
    left, right = strip_pair
    stats = {}
    ours = crossmatch_dask(f"synthetic:{N}", f"synthetic:{N}", 2.0, seed=5, client=dask_client,
                           n_tiles=n_tiles, progress=False, stats=stats)  # fmt: skip
    assert stats["path"] == "strips" and stats["n_tiles"] == min(n_tiles, 32)
    assert stats["timings"]["split_s"] == 0.0
    single = crossmatch(left, right, 2.0)
    assert len(single) > 0.4 * N
    _same(ours, single)


@pytest.mark.parametrize("mode", ["best", "best-left", "best-right", "nearest"])
def test_strip_tiles_every_mode(strip_pair, dask_client, mode):
    left, right = strip_pair
    # A wide radius (many pairs cross strip and tile borders) and a wider margin.
    ours = crossmatch_dask(f"synthetic:{N}", f"synthetic:{N}", 60.0, margin=90.0, seed=5,
                           mode=mode, client=dask_client, n_tiles=7, progress=False)  # fmt: skip
    _same(ours, crossmatch(left, right, 60.0, mode=mode))


def test_strip_tiles_written_to_a_directory(strip_pair, dask_client, tmp_path):
    from astropy.table import vstack

    left, right = strip_pair
    out = crossmatch_dask(f"synthetic:{N}", f"synthetic:{N}", 1.0, seed=5, client=dask_client,
                          n_tiles=4, out=tmp_path / "pairs", progress=False)  # fmt: skip
    pairs = vstack([Table.read(p) for p in sorted(out.glob("part-*.parquet"))])
    assert pairs["separation_arcsec"].unit == "arcsec"
    pairs.sort(["left_index", "right_index"])
    _same(pairs, crossmatch(left, right, 1.0))


def test_pairs_across_tile_borders_are_found_once(dask_client):
    edges = np.rad2deg(tile_edges(4))
    dec = np.repeat(edges[1:-1], 3) + np.tile([-1e-5, 0.0, 1e-5], 3)
    ra = np.full(dec.size, 42.0)
    ours = crossmatch_dask((ra, dec), (ra, dec), 0.1, client=dask_client, n_tiles=4, progress=False)
    _same(ours, crossmatch((ra, dec), (ra, dec), 0.1))
    assert len(ours) == 3 * 9


def test_parquet_directory_in_and_out(tmp_path, catalogs, dask_client):
    (left, right) = catalogs
    for name, (ra, dec) in (("l", left), ("r", right)):
        folder = tmp_path / name
        folder.mkdir()
        for k, s in enumerate(range(0, N, 12_000)):
            Table({"ra": ra[s : s + 12_000], "dec": dec[s : s + 12_000]}).write(
                folder / f"p{k:02d}.parquet"
            )
    out = crossmatch_dask(tmp_path / "l", tmp_path / "r", 1.0, client=dask_client, out=tmp_path / "pairs",
                          progress=False)  # fmt: skip
    parts = sorted(out.glob("part-*.parquet"))
    assert parts
    from astropy.table import vstack

    pairs = vstack([Table.read(p) for p in parts])
    pairs.sort(["left_index", "right_index"])  # parts are tiles: bands of the sky, not of rows
    _same(pairs, crossmatch(left, right, 1.0))
    with pytest.raises(FileExistsError, match="already exists"):
        crossmatch_dask(
            tmp_path / "l", tmp_path / "r", 1.0, client=dask_client, out=out, progress=False
        )


def test_worker_memory_is_bounded_by_a_tile(catalogs, dask_client):
    import tracemalloc

    left, right = catalogs
    dask_client.run(tracemalloc.start)
    try:
        ours = crossmatch_dask(left, right, 1.0, client=dask_client, n_tiles=8, progress=False)
    finally:
        dask_client.run(tracemalloc.stop)
    rows = np.array(ours.meta["tile_rows"])
    peaks = np.array(ours.meta["tile_peak_bytes"], dtype=float)
    assert rows.max() < 0.25 * 2 * N  # a tile holds ~1/8 of the rows, plus its margin
    catalog_bytes = 2 * N * 24
    assert (
        np.nanmax(peaks) < 0.5 * catalog_bytes * 8 / 8 + 2e6
    )  # bounded by one tile, not the catalog


def test_strip_tile_memory_is_bounded_by_a_tile(dask_client):
    import tracemalloc

    n = 200_000
    kw = {"client": dask_client, "n_tiles": 16, "progress": False}
    crossmatch_dask("synthetic:1000", "synthetic:1000", 1.0, **kw)  # imports done before tracing
    dask_client.run(tracemalloc.start)
    try:
        stats = {}
        crossmatch_dask(f"synthetic:{n}", f"synthetic:{n}", 1.0, stats=stats, **kw)
    finally:
        dask_client.run(tracemalloc.stop)
    rows = np.array(stats["tile_rows"])
    peaks = np.array(stats["tile_peak_bytes"], dtype=float)
    assert stats["path"] == "strips" and rows.max() < 0.1 * 2 * n  # ~1/16 of the rows, plus margin
    catalog_bytes = 2 * n * 24
    # A tile needs ~100 bytes a row (positions, unit vectors, cells, pairs): ~2.5 MB here;
    # the whole catalog would need 16 times as much.
    assert np.nanmax(peaks) < 0.5 * catalog_bytes


def test_inconsistent_parquet_schemas_are_refused(tmp_path, dask_client):
    folder = tmp_path / "cat"
    folder.mkdir()
    Table({"ra": [1.0], "dec": [2.0]}).write(folder / "a.parquet")
    Table({"ra": [1.0], "dec": [2.0], "mag": [3.0]}).write(folder / "b.parquet")
    with pytest.raises(ValueError, match="Parquet partitions have inconsistent schemas"):
        crossmatch_dask(folder, folder, 1.0, client=dask_client, progress=False)


def test_radius_larger_than_margin_is_refused():
    with pytest.raises(
        ValueError, match=r"radius \(2 arcsec\) is larger than the tile margin \(1 arcsec\)"
    ):
        crossmatch_dask("synthetic:10", "synthetic:10", 2.0, margin=1.0)


def test_unreachable_scheduler_is_reported():
    with pytest.raises(TimeoutError, match="could not be reached"):
        crossmatch_dask(
            "synthetic:10", "synthetic:10", 1.0, scheduler="tcp://127.0.0.1:1", progress=False
        )


def test_killed_worker_does_not_change_the_answer(catalogs):
    from accel.cluster import get_client

    left, right = catalogs
    single = crossmatch(left, right, 1.0)
    with get_client(n_workers=2, dashboard=False, quiet=True) as client:
        pids = client.run(os.getpid)
        killed = []

        def kill_a_busy_worker():
            deadline = time.time() + 60
            while time.time() < deadline and not killed:
                busy = [w for w, tasks in client.processing().items() if tasks]
                if busy:
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    killed.append(busy[0])
                time.sleep(0.005)

        thread = threading.Thread(target=kill_a_busy_worker)
        thread.start()
        ours = crossmatch_dask(left, right, 1.0, client=client, n_tiles=24, rows_per_partition=2_000,
                               progress=False)  # fmt: skip
        thread.join()
    assert killed, "no worker was busy long enough to be killed"
    _same(ours, single)


def test_strip_source_beside_a_table_takes_the_split_path(strip_pair, dask_client):
    left, right = strip_pair
    stats = {}
    ours = crossmatch_dask(StripSource(N, seed=5), right, 2.0, client=dask_client, n_tiles=5,
                           progress=False, stats=stats)  # fmt: skip
    assert stats["path"] == "split"
    _same(ours, crossmatch(left, right, 2.0))
