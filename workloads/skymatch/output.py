"""Match results on disk: tables (Parquet, CSV, FITS) and the separation histogram."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from astropy.table import Table

from accel.atomic import atomic_output, check_writable

__all__ = ["table_format", "write_matches", "plot_separations"]

_FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "ascii.ecsv",
    ".ecsv": "ascii.ecsv",
    ".fits": "fits",
    ".fit": "fits",
}


def table_format(path: str | os.PathLike) -> str:
    """The astropy format for an output path, from its suffix.

    Examples
    --------
    >>> table_format("pairs.parquet")
    'parquet'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(
            f"output {str(path)!r} has an unknown suffix {suffix!r}; use one of {sorted(_FORMATS)}"
        )
    return _FORMATS[suffix]


def write_matches(table: Table, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write ``table`` atomically; refuse an existing ``path`` unless ``overwrite``.

    Examples
    --------
    >>> import tempfile
    >>> p = write_matches(Table({"left_index": [0]}), Path(tempfile.mkdtemp()) / "m.parquet")
    >>> Table.read(p)["left_index"].tolist()
    [0]
    """
    fmt = table_format(path)
    with atomic_output(path, overwrite=overwrite) as tmp:
        table.write(tmp, format=fmt)
    return Path(path)


def plot_separations(
    separation_arcsec: np.ndarray,
    path: str | os.PathLike,
    *,
    radius_arcsec: float | None = None,
    title: str = "Cross-match separations",
    overwrite: bool = False,
) -> Path:
    """Histogram of match separations as a PNG.

    Examples
    --------
    >>> import tempfile
    >>> p = plot_separations(np.array([0.1, 0.2]), Path(tempfile.mkdtemp()) / "sep.png")
    >>> p.suffix
    '.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    check_writable(path, overwrite=overwrite)
    sep = np.asarray(separation_arcsec, dtype=float)
    sep = sep[np.isfinite(sep)]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    upper = radius_arcsec if radius_arcsec else (float(sep.max()) if sep.size else 1.0)
    ax.hist(sep, bins=60, range=(0.0, upper), color="#3b6ea8")
    ax.set_xlabel("separation [arcsec]")
    ax.set_ylabel("pairs")
    med = float(np.median(sep)) if sep.size else float("nan")
    ax.set_title(f"{title}\n{sep.size} pairs, median {med:.3f} arcsec")
    fig.tight_layout()
    with atomic_output(path, overwrite=overwrite) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return Path(path)
