"""Williamson test cases through the public API, checkpoint/resume, output files, CLI."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from accel.cli import main as accel_main
from workloads.weather import io
from workloads.weather.api import initial_state, run, summary
from workloads.weather.plots import plot_state


def test_initial_state_has_cf_attributes_and_records_the_case():
    ds = initial_state(2, 10.0, alpha=math.pi / 4)
    assert dict(ds.h.sizes) == {"lat": 18, "lon": 36}
    assert ds.v.dims == ("lat_v", "lon") and ds.sizes["lat_v"] == 19
    for name in ("h", "u", "v", "hs", "lat", "lon"):
        assert {"units", "standard_name", "long_name"} <= set(ds[name].attrs)
    assert ds.attrs["case"] == 2 and ds.attrs["alpha"] == math.pi / 4
    assert "Sadourny" in ds.attrs["scheme"]
    assert float(ds.lat[0]) == -85.0 and float(ds.lon[-1]) == 350.0


@pytest.mark.slow
@pytest.mark.parametrize("alpha", [0.0, math.pi / 4])
def test_case2_is_second_order(alpha):
    l2 = []
    for res in (4.0, 2.0):
        out = run(initial_state(2, res, alpha=alpha), days=5.0, progress=False)
        stats = summary(out)
        assert abs(stats["mass"]) < 1e-12
        l2.append(stats["l2"])
    assert l2[1] < 1e-3  # the target at 2 degrees
    assert 3.0 < l2[0] / l2[1] < 5.5  # about 4 per halving


@pytest.mark.slow
def test_case1_errors_fall_with_resolution():
    alpha = math.pi / 2 - 0.05
    errs = [
        summary(run(initial_state(1, r, alpha=alpha), days=12.0, progress=False))
        for r in (4.0, 2.0)
    ]
    for key in ("l1", "l2", "linf"):
        assert errs[1][key] < errs[0][key]
    assert abs(errs[1]["mass"]) < 1e-12


def test_run_returns_snapshots_with_time_and_vorticity():
    out = run(initial_state(6, 10.0), days=1.0, output_every=0.25, progress=False)
    assert out.h.dims == ("time", "lat", "lon")
    np.testing.assert_allclose(out.time.values, [0, 0.25, 0.5, 0.75, 1.0])
    assert out.zeta.dims == ("time", "lat_v", "lon_u")
    assert out.attrs["steps"] * out.attrs["dt_s"] == pytest.approx(86400.0)
    assert not np.array_equal(out.h[0], out.h[-1])


def test_numpy_backend_gives_the_same_run():
    state = initial_state(2, 10.0, alpha=0.4)
    a = run(state, days=0.5, progress=False)
    b = run(state, days=0.5, backend="numpy", progress=False)
    np.testing.assert_allclose(a.h[-1], b.h[-1], rtol=1e-12, atol=0)


def test_too_large_step_is_refused_with_the_limit():
    with pytest.raises(
        ValueError, match=r"dt_s must be at most the largest stable time step, [\d.]+ s.*got 5000 s"
    ):
        run(initial_state(6, 10.0), days=1.0, dt_s=5000.0, progress=False)


def test_bad_arguments_are_refused():
    state = initial_state(6, 10.0)
    with pytest.raises(
        ValueError, match="days must be a positive, finite number of days; got -1.0 days"
    ):
        run(state, days=-1, progress=False)
    with pytest.raises(TypeError, match="days must be a number of days; got str"):
        run(state, days="1", progress=False)
    with pytest.raises(TypeError, match="state must be an xarray.Dataset"):
        run({"h": 1}, days=1, progress=False)
    with pytest.raises(ValueError, match="output_every must be at most days"):
        run(state, days=1, output_every=2, progress=False)
    with pytest.raises(ValueError, match=r"dt_s must divide the output interval .* got 307 s"):
        run(state, days=1, dt_s=307.0, progress=False)
    with pytest.raises(ValueError, match=r"case must be one of \[1, 2, 5, 6\]; got 3"):
        initial_state(3, 10.0)
    with pytest.raises(ValueError, match="alpha must be 0 for case 6"):
        initial_state(6, 10.0, alpha=0.1)
    broken = state.copy()
    broken["h"] = broken.h.where(broken.lat < 80)
    with pytest.raises(ValueError, match="state\\['h'\\] must be finite everywhere"):
        run(broken, days=1, progress=False)


def test_resume_from_checkpoint_is_bitwise_identical(tmp_path):
    state = initial_state(5, 10.0)
    ck = tmp_path / "ck.nc"
    full = run(
        state,
        days=1.0,
        output_every=0.5,
        checkpoint_every=40,
        checkpoint_path=str(ck),
        progress=False,
    )
    saved = io.read_checkpoint(ck)
    assert 0 < saved.attrs["step"] < full.attrs["steps"]
    resumed = run(saved, days=1.0, progress=False)
    for name in ("h", "u", "v"):
        assert np.array_equal(resumed[name][-1].values, full[name][-1].values)
    assert float(resumed.time[-1]) == 1.0
    with pytest.raises(ValueError, match="dt_s must equal the checkpoint's"):
        run(saved, days=1.0, dt_s=1.0, progress=False)


def test_outputs_are_atomic_and_never_overwritten_silently(tmp_path):
    out = run(initial_state(2, 10.0), days=0.25, progress=False)
    for name in ("a.zarr", "a.nc"):
        path = tmp_path / name
        io.write_dataset(out, path)
        with pytest.raises(FileExistsError, match="already exists; pass overwrite=True"):
            io.write_dataset(out, path)
        io.write_dataset(out.isel(time=[-1]), path, overwrite=True)
        back = xr.open_dataset(path, engine="zarr" if name.endswith("zarr") else None)
        assert back.sizes["time"] == 1
        back.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.nc", "a.zarr"]  # no temp left
    with pytest.raises(
        ValueError, match=r"path must end in one of \['.nc', '.nc4', '.zarr'\]; got"
    ):
        io.write_dataset(out, tmp_path / "a.txt")
    png = plot_state(out, tmp_path / "p.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(FileExistsError, match="already exists"):
        plot_state(out, png)


def test_cli_runs_writes_plots_and_prints_errors(tmp_path, capsys):
    out = tmp_path / "tc2.zarr"
    argv = ["weather", "--case", "2", "--resolution", "10", "--days", "0.5", "--out", str(out),
            "--plot", "--no-progress", "--checkpoint-every", "10"]  # fmt: skip
    assert accel_main(argv) == 0
    text = capsys.readouterr().out
    assert "l2 height error" in text and "mass conservation error" in text
    assert out.exists() and (tmp_path / "tc2.png").exists()
    assert (tmp_path / "tc2.checkpoint.nc").exists()
    assert accel_main(argv) == 2  # refuses to overwrite
    assert "already exists" in capsys.readouterr().err
    assert accel_main([*argv, "--resume", "--overwrite"]) == 0


def test_cli_help_has_an_example(capsys):
    with pytest.raises(SystemExit):
        accel_main(["weather", "--help"])
    assert "example" in capsys.readouterr().out
