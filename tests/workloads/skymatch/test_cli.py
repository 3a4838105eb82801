import pytest
from astropy.table import Table

from accel.cli import main


def test_cli_matches_samples_and_writes_outputs(tmp_path, capsys):
    out = tmp_path / "pairs.parquet"
    png = tmp_path / "sep.png"
    code = main(
        [
            "skymatch",
            "sample:hipparcos-pole",
            "sample:gaia-pole",
            "--radius",
            "1arcsec",
            "--epoch",
            "2016.0",
            "--out",
            str(out),
            "--plot",
            str(png),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "left rows matched:" in text and "median separation:" in text
    table = Table.read(out)
    assert len(table) > 0 and {"left_index", "right_index", "separation_arcsec"} <= set(
        table.colnames
    )
    assert (table["separation_arcsec"] <= 1.0).all()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "pairs.parquet"
    out.write_text("precious")
    code = main(["skymatch", "synthetic:1000", "synthetic:1000", "--out", str(out)])
    assert code == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text() == "precious"


def test_cli_reports_bad_radius_and_unknown_catalog(capsys):
    assert main(["skymatch", "synthetic:100", "synthetic:100", "--radius=-2arcsec"]) == 2
    assert "radius must be a positive angle" in capsys.readouterr().err
    assert main(["skymatch", "no-such-thing.parquet", "synthetic:100"]) == 2
    assert (
        "left catalog 'no-such-thing.parquet' is neither a file nor a built-in name"
        in capsys.readouterr().err
    )


def test_cli_best_mode_on_synthetic(capsys):
    assert main(["skymatch", "synthetic:2000", "synthetic:2000", "--mode", "best"]) == 0
    assert "rows out:" in capsys.readouterr().out


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["skymatch", "--help"])
    assert "accel skymatch hipparcos gaia-bright" in capsys.readouterr().out


@pytest.mark.cluster
def test_cli_dask_path_writes_a_partitioned_directory(tmp_path, capsys):
    out = tmp_path / "pairs"
    code = main(["skymatch", "synthetic:5000", "synthetic:5000", "--workers", "1", "--tiles", "3",
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    assert "wrote" in capsys.readouterr().out
    from astropy.table import vstack

    pairs = vstack([Table.read(p) for p in sorted(out.glob("part-*.parquet"))])
    assert len(pairs) > 2000  # about half of 5000 sources have a counterpart
