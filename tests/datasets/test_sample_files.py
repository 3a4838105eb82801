"""The committed sample files: content, provenance from the real catalogs, Parquet codec."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from accel_datasets import make_samples
from accel_datasets.samples import (
    SAMPLES_DIR,
    list_samples,
    load_sample,
    read_sample_file,
    write_sample_file,
)
from astropy.table import Table

NAMES = [f"{c}-{p}" for c in ("gaia", "hipparcos") for p in ("pleiades", "pole", "ra0")]


def test_shipped_samples_are_small_and_listed():
    assert list_samples() == sorted(NAMES)
    for name in NAMES:
        assert (SAMPLES_DIR / f"{name}.parquet").stat().st_size < 300 * 1024
    assert 500 < sum(len(load_sample(f"hipparcos-{p}")) for p in ("pleiades", "pole", "ra0")) < 5000
    assert 1000 < sum(len(load_sample(f"gaia-{p}")) for p in ("pleiades", "pole", "ra0")) < 5000


@pytest.mark.parametrize("patch", ["pole", "ra0", "pleiades"])
def test_units_epochs_and_patches(patch):
    hip = load_sample(f"hipparcos-{patch}")
    gaia = load_sample(f"gaia-{patch}")
    assert hip["hip"].dtype == np.int64 and gaia["source_id"].dtype == np.int64
    assert (
        hip["ra"].unit == u.deg
        and hip["pmra"].unit == u.mas / u.yr
        and hip["parallax"].unit == u.mas
    )
    assert gaia["dec"].unit == u.deg and gaia["phot_g_mean_mag"].unit == u.mag
    assert gaia["from_hipparcos"].dtype == bool
    assert hip.meta["epoch"] == 1991.25 and hip.meta["epoch_name"] == "J1991.25"
    assert gaia.meta["epoch"] == 2016.0 and gaia.meta["epoch_name"] == "J2016.0"
    assert gaia.meta["margin_deg"] == make_samples.MARGIN_DEG and hip.meta["margin_deg"] == 0.0
    if patch == "pole":
        assert hip["dec"].min() > 85 and gaia["dec"].min() > 84.9
    if patch == "ra0":
        # Straddles RA 0/360 on both sides.
        assert (hip["ra"] < 5).sum() > 50 and (hip["ra"] > 355).sum() > 50
    # The Hipparcos cut has no margin: every star lies in the patch proper.
    select = make_samples.PATCHES[patch][1]
    assert select(np.asarray(hip["ra"]), np.asarray(hip["dec"]), 0.0).all()


@pytest.fixture(scope="module")
def rebuilt():
    return make_samples.build_samples()


@pytest.mark.parametrize("name", NAMES)
def test_samples_are_cut_from_the_real_catalogs(rebuilt, name):
    shipped, fresh = load_sample(name), rebuilt[name]
    assert shipped.colnames == fresh.colnames and len(shipped) == len(fresh) > 100
    for col in shipped.colnames:
        assert shipped[col].unit == fresh[col].unit
        assert np.array_equal(
            np.asarray(shipped[col]), np.asarray(fresh[col]), equal_nan=col.startswith("phot")
        )
    assert shipped.meta == fresh.meta


def test_roundtrip_and_no_silent_overwrite(tmp_path):
    table = Table(
        {
            "id": np.arange(3, dtype=np.int64),
            "ra": [0.0, 180.0, 359.5],
            "dec": [-90.0, 0.0, 90.0],
            "ok": [True, False, True],
        },
        units={"ra": u.deg, "dec": u.deg},
        meta={"epoch": 2000.0, "epoch_name": "J2000.0", "source": "test"},
    )
    path = write_sample_file(table, tmp_path / "t.parquet")
    back = read_sample_file(path)
    assert back.meta == table.meta and back["ra"].unit == u.deg and back["id"].unit is None
    for col in table.colnames:
        assert back[col].dtype == table[col].dtype and np.array_equal(back[col], table[col])
    with pytest.raises(FileExistsError, match=r"already exists; pass overwrite=True"):
        write_sample_file(table[:1], path)
    assert len(read_sample_file(path)) == 3
    write_sample_file(table[:1], path, overwrite=True)
    assert len(read_sample_file(path)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.parquet"]  # no temp files left


def _write_raw(path, metadata, ra=(1.0,)):
    arrow = pa.table({"ra": np.array(ra), "dec": np.zeros(len(ra))}).replace_schema_metadata(
        metadata
    )
    pq.write_table(arrow, path)
    return path


GOOD_DOC = (
    b'{"format": 1, "units": {"ra": "deg", "dec": "deg"}, '
    b'"meta": {"epoch": 2016.0, "epoch_name": "J2016.0", "source": "t"}}'
)


@pytest.mark.parametrize(
    ("metadata", "ra", "match"),
    [
        (None, (1.0,), r"schema metadata must hold the key 'accel_datasets'"),
        ({b"accel_datasets": b"{not json"}, (1.0,), r"metadata must be JSON"),
        ({b"accel_datasets": b'{"format": 2}'}, (1.0,), r"metadata format must be 1"),
        (
            {b"accel_datasets": GOOD_DOC.replace(b'"epoch": 2016.0', b'"epoch": "x"')},
            (1.0,),
            r"meta\['epoch'\] must be a float",
        ),
        (
            {b"accel_datasets": GOOD_DOC.replace(b'"ra": "deg"', b'"ra": "furlong"')},
            (1.0,),
            r"unit of column 'ra' must be an astropy unit; got 'furlong'",
        ),
        (
            {b"accel_datasets": GOOD_DOC.replace(b'"ra": "deg"', b'"ra": "rad"')},
            (1.0,),
            r"it must have a column 'ra' in deg",
        ),
        (
            {b"accel_datasets": GOOD_DOC.replace(b'"dec": "deg"', b'"x": "deg"')},
            (1.0,),
            r"units name a column that is missing: 'x'",
        ),
        (
            {b"accel_datasets": GOOD_DOC},
            (400.0,),
            r"ra must be finite and within \[0.0, 360.0\] deg",
        ),
        ({b"accel_datasets": GOOD_DOC}, (np.nan,), r"ra must be finite"),
    ],
)
def test_bad_files(tmp_path, metadata, ra, match):
    path = _write_raw(tmp_path / "bad.parquet", metadata, ra)
    with pytest.raises(ValueError, match=match):
        read_sample_file(path)
    read_sample_file(_write_raw(tmp_path / "good.parquet", {b"accel_datasets": GOOD_DOC}))


def test_not_parquet(tmp_path):
    path = tmp_path / "junk.parquet"
    path.write_bytes(b"PAR1 truncated")
    with pytest.raises(ValueError, match=r"it must be a readable Parquet file"):
        read_sample_file(path)


def test_load_sample_errors_and_copies():
    with pytest.raises(
        ValueError, match=r"unknown sample 'nope'; known samples: gaia-pleiades, gaia-pole"
    ):
        load_sample("nope")
    with pytest.raises(TypeError, match=r"name must be a str; got int"):
        load_sample(3)
    first = load_sample("hipparcos-pole")
    first["ra"][:] = 0.0
    assert load_sample("hipparcos-pole")["ra"].max() > 0


def test_make_samples_script_refuses_to_overwrite(tmp_path, capsys):
    assert make_samples.main(["--out", str(tmp_path)]) == 0
    written = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert sorted(written) == sorted(f"{n}.parquet" for n in NAMES)
    assert make_samples.main(["--out", str(tmp_path)]) == 1
    assert "pass --force" in capsys.readouterr().err
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == written
    assert make_samples.main(["--out", str(tmp_path), "--force"]) == 0
    assert read_sample_file(tmp_path / "gaia-pole.parquet").meta["epoch"] == 2016.0


def test_make_samples_help_has_an_example(capsys):
    with pytest.raises(SystemExit):
        make_samples.main(["--help"])
    out = capsys.readouterr().out
    assert "example" in out and "make_samples.py --force" in out
