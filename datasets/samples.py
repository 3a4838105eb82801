"""Small sample catalogs cut from the real ones, stored as Parquet in ``samples/``.

Parquet has no notion of astropy units, so each file carries one JSON document
under the schema metadata key ``accel_datasets``::

    {"format": 1, "units": {"ra": "deg", ...}, "meta": {"epoch": 1991.25, ...}}

:func:`read_sample_file` checks that document and the positions before building the
table, so a damaged or foreign file fails with a clear message. The files are made
by ``datasets/make_samples.py`` from the full catalogs.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path

import astropy.units as u
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from astropy.table import Table

__all__ = ["SAMPLES_DIR", "list_samples", "load_sample", "read_sample_file", "write_sample_file"]

SAMPLES_DIR = Path(__file__).parent / "samples"
_META_KEY = b"accel_datasets"
_FORMAT = 1
_REQUIRED_META = {"epoch": float, "epoch_name": str, "source": str}


def write_sample_file(table: Table, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``table`` to Parquet with its units and meta, atomically.

    Parameters
    ----------
    table : astropy.table.Table
        Plain numeric or boolean columns; ``meta`` must be JSON-serialisable and hold
        ``epoch`` (float), ``epoch_name`` and ``source``.
    path : str or Path
        Destination ``.parquet`` file.
    overwrite : bool
        Replace an existing file; without it an existing file raises FileExistsError.

    Returns
    -------
    Path
        The written path.

    Examples
    --------
    >>> import tempfile
    >>> t = Table({"ra": [1.0], "dec": [2.0]}, units={"ra": "deg", "dec": "deg"},
    ...           meta={"epoch": 2016.0, "epoch_name": "J2016.0", "source": "doc"})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = write_sample_file(t, Path(folder) / "t.parquet")
    ...     print(read_sample_file(out)["ra"].unit)
    deg
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"path {path} already exists; pass overwrite=True to replace it")
    units = {
        name: col.unit.to_string() for name, col in table.columns.items() if col.unit is not None
    }
    document = {"format": _FORMAT, "units": units, "meta": dict(table.meta)}
    arrow = pa.table({name: np.asarray(table[name]) for name in table.colnames})
    arrow = arrow.replace_schema_metadata(
        {_META_KEY: json.dumps(document, sort_keys=True).encode()}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(arrow, tmp, compression="zstd")
        os.chmod(tmp, 0o644)  # mkstemp makes the file private; samples are shared data
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _fail(path: Path, rule: str) -> ValueError:
    return ValueError(f"{path} is not a valid accel_datasets sample file: {rule}")


def _read_document(path: Path, arrow: pa.Table) -> dict:
    raw = (arrow.schema.metadata or {}).get(_META_KEY)
    if raw is None:
        raise _fail(path, f"schema metadata must hold the key {_META_KEY.decode()!r}")
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise _fail(path, f"metadata must be JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != _FORMAT:
        raise _fail(path, f"metadata format must be {_FORMAT}; got {document!r:.80}")
    units, meta = document.get("units"), document.get("meta")
    if not isinstance(units, dict) or not isinstance(meta, dict):
        raise _fail(path, "metadata must hold 'units' and 'meta' objects")
    for key, kind in _REQUIRED_META.items():
        if not isinstance(meta.get(key), kind):
            raise _fail(path, f"meta[{key!r}] must be a {kind.__name__}; got {meta.get(key)!r}")
    return document


def read_sample_file(path: str | Path) -> Table:
    """Read a sample Parquet file written by :func:`write_sample_file`, with checks.

    Parameters
    ----------
    path : str or Path
        The ``.parquet`` file.

    Returns
    -------
    astropy.table.Table
        Columns with their units restored, and the stored meta.

    Raises
    ------
    ValueError
        If the metadata is missing or malformed, a unit is unknown, or ``ra``/``dec``
        are missing, not finite or out of range.

    Examples
    --------
    >>> read_sample_file(SAMPLES_DIR / "hipparcos-pole.parquet").meta["epoch"]
    1991.25
    """
    path = Path(path)
    try:
        arrow = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise _fail(path, f"it must be a readable Parquet file ({exc})") from None
    document = _read_document(path, arrow)
    table = Table({name: arrow.column(name).to_numpy() for name in arrow.column_names})
    table.meta.update(document["meta"])
    for name, unit in document["units"].items():
        if name not in table.colnames:
            raise _fail(path, f"units name a column that is missing: {name!r}")
        try:
            table[name].unit = u.Unit(unit, parse_strict="raise")
        except ValueError:
            raise _fail(
                path, f"unit of column {name!r} must be an astropy unit; got {unit!r}"
            ) from None
    for name, bound in (("ra", (0.0, 360.0)), ("dec", (-90.0, 90.0))):
        if name not in table.colnames or table[name].unit != u.deg:
            raise _fail(path, f"it must have a column {name!r} in deg")
        values = np.asarray(table[name], dtype=np.float64)
        if len(values) and not (
            np.isfinite(values).all() and values.min() >= bound[0] and values.max() <= bound[1]
        ):
            raise _fail(path, f"{name} must be finite and within [{bound[0]}, {bound[1]}] deg")
    return table


def list_samples() -> list[str]:
    """Names of the shipped samples, for :func:`load_sample`.

    Examples
    --------
    >>> "gaia-pleiades" in list_samples()
    True
    """
    return sorted(p.stem for p in SAMPLES_DIR.glob("*.parquet"))


@functools.lru_cache(maxsize=16)
def _cached(name: str) -> Table:
    return read_sample_file(SAMPLES_DIR / f"{name}.parquet")


def load_sample(name: str) -> Table:
    """Load a shipped sample catalog by name (a fresh copy each call).

    Parameters
    ----------
    name : str
        One of :func:`list_samples`: ``<catalog>-<patch>`` with catalog ``hipparcos``
        or ``gaia`` and patch ``pole`` (dec > 85), ``ra0`` (straddling RA 0/360) or
        ``pleiades`` (a dense cluster). Each Gaia patch is the Hipparcos patch grown by a
        margin of ``meta["margin_deg"]`` so that every Hipparcos star's counterpart is inside.

    Returns
    -------
    astropy.table.Table
        The catalog's columns (see :func:`load_hipparcos`, :func:`load_gaia_bright`)
        with units, and meta ``epoch``, ``epoch_name``, ``source`` and ``patch``.

    Examples
    --------
    >>> t = load_sample("hipparcos-pole")
    >>> bool((t["dec"] > 85).all()), t.meta["epoch_name"]
    (True, 'J1991.25')
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str; got {type(name).__name__}")
    known = list_samples()
    if name not in known:
        raise ValueError(f"unknown sample {name!r}; known samples: {', '.join(known)}")
    return _cached(name).copy()
