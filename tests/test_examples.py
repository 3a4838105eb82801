"""The Dask example scripts run end to end on an embedded cluster."""

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name: str, *args: str) -> None:
    argv = sys.argv
    sys.argv = [name, *args]
    try:
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    except SystemExit as exc:
        assert exc.code in (0, None)
    finally:
        sys.argv = argv


@pytest.mark.cluster
def test_skymatch_example(tmp_path, capsys):
    run_example(
        "skymatch_dask.py", "--demo", "20000", "--workers", "1", "--out", str(tmp_path / "pairs")
    )
    assert list((tmp_path / "pairs").glob("part-*.parquet"))
    assert "wrote" in capsys.readouterr().out
