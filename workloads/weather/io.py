"""Writing and reading model output: Zarr or NetCDF, atomically, never over an existing file.

Writes go to a temporary path beside the target (same filesystem) and are renamed into
place with ``os.replace``, so a killed run leaves either the old output or the new one,
never half of one.  Reading a checkpoint validates what it finds; nothing is unpickled.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import xarray as xr

from accel.atomic import atomic_output

__all__ = ["FORMATS", "output_format", "write_dataset", "read_checkpoint"]

FORMATS = {".zarr": "zarr", ".nc": "netcdf", ".nc4": "netcdf"}
_CHECKPOINT_VARS = ("h", "u", "v", "hs", "h_prev", "u_prev", "v_prev")
_CHECKPOINT_ATTRS = ("case", "alpha", "resolution_deg", "time_s", "step", "dt_s",
                     "initial_mass", "initial_energy", "initial_enstrophy")  # fmt: skip


def output_format(path: str | os.PathLike) -> str:
    """``"zarr"`` or ``"netcdf"`` from the path's suffix.

    Examples
    --------
    >>> output_format("rh.zarr"), output_format("rh.nc")
    ('zarr', 'netcdf')
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"path must end in one of {sorted(FORMATS)}; got {str(path)!r}")
    return FORMATS[suffix]


def write_dataset(ds: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write ``ds`` to Zarr (``.zarr``) or NetCDF (``.nc``) atomically.

    Parameters
    ----------
    ds
        The dataset to write.
    path
        Target path; its suffix picks the format.
    overwrite
        Replace an existing output; without it an existing path raises ``FileExistsError``.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> p = write_dataset(xr.Dataset({"x": ("a", np.arange(3.0))}), f"{d}/x.nc")
    >>> write_dataset(xr.Dataset(), p)
    Traceback (most recent call last):
    ...
    FileExistsError: output ... already exists; pass overwrite=True (--overwrite on the command line) to replace it, or choose another path
    """
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray.Dataset; got {type(ds).__name__}")
    fmt = output_format(path)
    with atomic_output(path, overwrite=overwrite) as tmp:
        if fmt == "zarr":
            ds.to_zarr(tmp, mode="w-", consolidated=False)
        else:
            ds.to_netcdf(tmp)  # engine: whichever NetCDF library is installed
    return Path(path)


def read_checkpoint(path: str | os.PathLike) -> xr.Dataset:
    """Load a checkpoint written by ``run(checkpoint_every=...)`` and validate it.

    The dataset is loaded into memory and the file closed, so it can be replaced.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    fmt = output_format(path)
    opener = {"engine": "zarr", "consolidated": False} if fmt == "zarr" else {}
    with xr.open_dataset(path, **opener) as ds:
        ds = ds.load()
    missing = [k for k in _CHECKPOINT_VARS if k not in ds] + [
        k for k in _CHECKPOINT_ATTRS if k not in ds.attrs
    ]
    if missing:
        raise ValueError(f"checkpoint {str(path)!r} must hold {missing}; they are missing")
    for k in _CHECKPOINT_VARS:
        if ds[k].dtype != np.float64 or not np.all(np.isfinite(ds[k].values)):
            raise ValueError(
                f"checkpoint variable {k!r} must be finite float64; got {ds[k].dtype} with non-finite values or wrong type"
            )
        if ds[k].shape != ds[k.removesuffix("_prev")].shape:
            raise ValueError(
                f"checkpoint variable {k!r} must match the shape of {k.removesuffix('_prev')!r}; got {ds[k].shape}"
            )
    step = int(ds.attrs["step"])
    if step < 1 or float(ds.attrs["dt_s"]) <= 0:
        raise ValueError(
            f"checkpoint step must be >= 1 and dt_s > 0; got step {step}, dt_s {ds.attrs['dt_s']}"
        )
    return ds
