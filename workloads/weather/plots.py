"""PNG maps of height and relative vorticity (matplotlib, Agg backend)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import xarray as xr

from accel.atomic import atomic_output

__all__ = ["plot_state"]


def plot_state(result: xr.Dataset, path: str | os.PathLike, *, time_index: int = -1,
               overwrite: bool = False) -> Path:  # fmt: skip
    """Write a two-panel PNG: free-surface height and relative vorticity at one snapshot.

    Parameters
    ----------
    result
        A dataset returned by :func:`workloads.weather.api.run`.
    path
        PNG path, written atomically; an existing file is refused unless ``overwrite``.
    time_index
        Which snapshot (default: the last).

    Examples
    --------
    >>> import tempfile
    >>> from workloads.weather.api import initial_state, run
    >>> out = run(initial_state(6, 10.0), days=0.25, progress=False)
    >>> plot_state(out, f"{tempfile.mkdtemp()}/rh.png").suffix
    '.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not isinstance(result, xr.Dataset) or "zeta" not in result or "time" not in result.dims:
        raise TypeError(f"result must be a Dataset returned by run(); got {type(result).__name__}")
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"path must end in .png; got {str(path)!r}")
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"plot {str(path)!r} already exists; pass overwrite=True (--overwrite) to replace it"
        )
    snap = result.isel(time=time_index)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4), constrained_layout=True)
    panels = (
        (snap.h, "lon", "lat", "free-surface height (m)", "viridis", None),
        (snap.zeta * 1e5, "lon_u", "lat_v", "relative vorticity (1e-5 s-1)", "RdBu_r", 0.0),
    )
    for ax, (field, x, y, title, cmap, centre) in zip(axes, panels, strict=True):
        values = field.values
        kw = {}
        if centre is not None:
            lim = float(np.nanmax(np.abs(values))) or 1.0
            kw = {"vmin": -lim, "vmax": lim}
        mesh = ax.pcolormesh(field[x], field[y], values, cmap=cmap, shading="nearest", **kw)
        if centre is None:
            ax.contour(field[x], field[y], values, colors="k", linewidths=0.5, levels=12)
        fig.colorbar(mesh, ax=ax)
        ax.set_title(title)
        ax.set_xlabel("longitude (deg)")
        ax.set_ylabel("latitude (deg)")
    fig.suptitle(f"case {result.attrs.get('case')}, {result.attrs.get('resolution_deg')} deg, "
                 f"day {float(snap.time):g}")  # fmt: skip
    try:
        with atomic_output(path, overwrite=overwrite) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
    finally:
        plt.close(fig)
    return path
