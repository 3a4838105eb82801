"""The weather command's defaults, and its --workers path on an embedded cluster."""

import pytest
import xarray as xr

from accel.cli import main


@pytest.mark.cluster
def test_ensemble_on_embedded_workers_with_default_paths(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(["weather", "--case", "5", "--resolution", "10", "--days", "0.5", "--ensemble", "2",
                 "--perturb", "1e-3", "--seed", "4", "--workers", "1", "--no-progress"])  # fmt: skip
    assert code == 0
    out = xr.open_zarr(tmp_path / "tc5-ensemble.zarr", consolidated=False)
    assert out.sizes["member"] == 2
    assert int(out.attrs["seed"]) == 4
    assert "ensemble spread" in capsys.readouterr().out


def test_days_default_to_the_papers_length(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["weather", "--case", "2", "--resolution", "15", "--no-progress"]) == 0
    out = xr.open_zarr(tmp_path / "tc2.zarr", consolidated=False)
    assert out["time"].attrs["units"] == "days"
    assert float(out["time"][-1]) == pytest.approx(5.0)
