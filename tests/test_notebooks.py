"""Execute the notebooks in notebooks/ end to end with nbclient."""

from __future__ import annotations

import ast
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def execute(name: str, tmp_path: Path) -> list[dict]:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()  # fmt: skip
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the plot was drawn
    return outputs


@pytest.mark.slow
def test_weather_notebook_runs(tmp_path):
    outputs = execute("weather.ipynb", tmp_path)
    assert "mass" in str(outputs[-1].get("data", {}).get("text/plain", ""))


@pytest.mark.slow
def test_skymatch_notebook_runs(tmp_path):
    outputs = execute("skymatch.ipynb", tmp_path)
    summary = ast.literal_eval(outputs[-1]["data"]["text/plain"])
    assert summary["matched_with_propagation"] > 0.9 > summary["matched_without_propagation"] > 0.5
