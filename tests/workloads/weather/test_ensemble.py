"""Ensembles across workers equal their members run one by one; seeded perturbations;
streamed ensembles restart after a crash; the CLI's Dask options."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from accel.cli import main as accel_main
from workloads.weather import io
from workloads.weather.api import initial_state, run
from workloads.weather.ensemble import (
    PERTURBATION,
    member_dataset,
    perturbation,
    perturbed_state,
    run_ensemble,
)
from workloads.weather.stream import partial_path, read_ensemble_checkpoint

pytestmark = pytest.mark.cluster


class Crash(RuntimeError):
    """Stands in for the machine going down."""


def test_members_equal_their_one_by_one_runs(dask_client):
    state = initial_state(5, 10.0)
    ens = run_ensemble(state, 0.5, members=3, perturb=1e-3, seed=11, output_every=0.25,
                       chunks=2, halo_steps=3, client=dask_client, progress=False)  # fmt: skip
    assert ens.h.dims == ("member", "time", "lat", "lon") and ens.sizes["member"] == 3
    assert ens.attrs["seed"] == 11 and ens.attrs["perturb"] == 1e-3
    assert ens.attrs["perturbation"] == PERTURBATION and ens.attrs["members"] == 3
    for m in range(3):
        one = run(perturbed_state(state, m, 1e-3, 11), 0.5, output_every=0.25,
                  dt_s=ens.attrs["dt_s"], progress=False)  # fmt: skip
        xr.testing.assert_identical(member_dataset(ens, m), one)
    # The members differ from each other and the perturbation is what was asked for.
    assert not np.array_equal(ens.h[0, -1], ens.h[1, -1])
    rel = (ens.h[:, 0] - state.h) / (state.h - state.hs)
    assert 0.9e-3 < float(abs(rel).max()) <= 1e-3


def test_perturbations_are_seeded_per_member():
    a = perturbation((4, 8), 2, seed=5)
    assert np.array_equal(a, perturbation((4, 8), 2, seed=5))
    assert not np.array_equal(a, perturbation((4, 8), 3, seed=5))
    assert not np.array_equal(a, perturbation((4, 8), 2, seed=6))
    want = np.random.default_rng(np.random.SeedSequence(5, spawn_key=(2,))).uniform(-1, 1, (4, 8))
    assert np.array_equal(a, want)
    state = initial_state(6, 10.0)
    before = state.h.values.copy()
    perturbed_state(state, 0, 1e-2, seed=1)
    assert np.array_equal(state.h.values, before)  # the input is left alone


def test_streamed_ensemble_restarts_after_a_crash(dask_client, tmp_path, monkeypatch):
    state = initial_state(6, 10.0)
    kw = dict(output_every=0.25, chunks=1, client=dask_client, progress=False)
    want = run_ensemble(state, 0.75, members=2, perturb=1e-3, seed=3, **kw)
    out, ck = tmp_path / "ens.zarr", tmp_path / "ens.checkpoint.nc"
    real_write = io.write_dataset

    def crash_on_second_checkpoint(ds, path, **options):
        if ds.attrs["step"] == 2 * want.attrs["steps"] // 3:
            raise Crash("simulated crash")
        return real_write(ds, path, **options)

    monkeypatch.setattr(io, "write_dataset", crash_on_second_checkpoint)
    with pytest.raises(Crash):
        run_ensemble(
            state, 0.75, members=2, perturb=1e-3, seed=3, out=out, checkpoint_path=ck, **kw
        )
    monkeypatch.setattr(io, "write_dataset", real_write)
    saved = read_ensemble_checkpoint(ck)
    assert saved.sizes["member"] == 2 and saved.attrs["step"] == want.attrs["steps"] // 3
    with pytest.raises(ValueError, match="members, perturb and seed must be None when resuming"):
        run_ensemble(saved, 0.75, members=2, perturb=1e-3, **kw)
    got = run_ensemble(saved, 0.75, out=out, checkpoint_path=ck, **kw)
    assert not partial_path(out).exists()
    assert got.attrs.pop("last_completed_step") == want.attrs["steps"]
    xr.testing.assert_identical(got.load(), want)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"members": 0, "perturb": 1e-3}, ValueError, "members must be at least 1 members; got 0"),
        ({"members": 2, "perturb": -0.1}, ValueError, r"perturb must be a relative amplitude in \[0, 1\); got -0.1"),
        ({"members": 2, "perturb": "big"}, TypeError, "perturb must be a relative amplitude .a float.; got str"),
        ({"members": 2, "perturb": 1e-3, "seed": -4}, ValueError, "seed must be a non-negative integer; got -4"),
        ({"members": 2, "perturb": 1e-3, "seed": 1.5}, TypeError, "seed must be a non-negative integer; got float"),
        ({"members": 2}, ValueError, "members and perturb must be given; got 2, None"),
    ],
)  # fmt: skip
def test_bad_ensemble_arguments_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        run_ensemble(initial_state(6, 10.0), 0.5, client=object(), progress=False, **kwargs)


def test_cli_runs_an_ensemble_on_a_scheduler(dask_client, tmp_path, capsys):
    out = tmp_path / "tc5.zarr"
    argv = ["weather", "--case", "5", "--resolution", "10", "--days", "0.5", "--out", str(out),
            "--ensemble", "2", "--perturb", "1e-3", "--seed", "4", "--halo-steps", "3",
            "--scheduler", dask_client.scheduler.address, "--no-progress"]  # fmt: skip
    assert accel_main(argv) == 0
    text = capsys.readouterr().out
    assert "2 members" in text and "member 1, day 0.5:" in text and "ensemble spread" in text
    ens = xr.open_zarr(out, consolidated=False)
    assert ens.sizes["member"] == 2 and ens.attrs["seed"] == 4
    assert read_ensemble_checkpoint(tmp_path / "tc5.checkpoint.nc").attrs["members"] == 2
    assert accel_main(argv) == 2  # refuses to overwrite
    assert "already exists" in capsys.readouterr().err


def test_cli_single_run_in_bands_writes_netcdf(dask_client, tmp_path, capsys):
    out = tmp_path / "tc2.nc"
    argv = ["weather", "--case", "2", "--resolution", "10", "--days", "0.5", "--out", str(out),
            "--chunks", "3", "--scheduler", dask_client.scheduler.address, "--no-progress"]  # fmt: skip
    assert accel_main(argv) == 0
    assert "l2 height error" in capsys.readouterr().out
    got = xr.open_dataset(out).load()
    want = run(initial_state(2, 10.0), 0.5, progress=False)
    assert np.array_equal(got.h.values, want.h.values)


def test_cli_help_shows_the_dask_options_with_an_example(capsys):
    with pytest.raises(SystemExit):
        accel_main(["weather", "--help"])
    text = capsys.readouterr().out
    assert "example" in text and "--ensemble 16 --perturb 1e-3 --workers 2" in text
    assert "--halo-steps" in text and "--scheduler" in text


def test_example_script_runs_an_ensemble_on_a_scheduler(dask_client, tmp_path, capsys):
    import runpy
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[3] / "examples" / "weather_ensemble.py"
    out = tmp_path / "ens.zarr"
    argv = sys.argv
    sys.argv = [str(script), "--scheduler", dask_client.scheduler.address, "--resolution", "10",
                "--days", "0.5", "--members", "2", "--out", str(out), "--no-progress"]  # fmt: skip
    try:
        with pytest.raises(SystemExit) as done:
            runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = argv
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "2 members of case 5" in text and "height spread rms" in text
    assert xr.open_zarr(out, consolidated=False).sizes["member"] == 2


def test_example_script_help_has_an_example(capsys):
    import runpy
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[3] / "examples" / "weather_ensemble.py"
    argv = sys.argv
    sys.argv = [str(script), "--help"]
    try:
        with pytest.raises(SystemExit):
            runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = argv
    assert "example:" in capsys.readouterr().out
