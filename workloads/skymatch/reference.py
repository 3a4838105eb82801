"""astropy as the oracle: the answers our matcher must reproduce, and how to compare.

Used by the tests and the benchmarks, never by the pipeline itself.
"""

from __future__ import annotations

import warnings

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord, search_around_sky
from astropy.time import Time

__all__ = ["astropy_pairs", "astropy_propagated", "compare_pairs", "EDGE_ARCSEC"]

# Pairs this close to the radius may fall either side of it by round-off alone.
EDGE_ARCSEC = 1e-9


def astropy_pairs(coords1, coords2, radius_arcsec: float):
    """``search_around_sky`` as ``(idx1, idx2, sep_arcsec)`` sorted by (idx1, idx2).

    ``coords1``/``coords2`` are ``SkyCoord`` or ``(ra_deg, dec_deg)`` pairs.

    Examples
    --------
    >>> astropy_pairs(([0.0], [0.0]), ([0.0], [0.5 / 3600]), 1.0)[1].tolist()
    [0]
    """
    c1 = coords1 if isinstance(coords1, SkyCoord) else SkyCoord(*coords1, unit="deg")
    c2 = coords2 if isinstance(coords2, SkyCoord) else SkyCoord(*coords2, unit="deg")
    i, j, sep, _ = search_around_sky(c1, c2, radius_arcsec * u.arcsec)
    order = np.lexsort((j, i))
    return i[order].astype(np.int64), j[order].astype(np.int64), sep.to_value(u.arcsec)[order]


def astropy_propagated(table, epoch: float) -> SkyCoord:
    """Positions of a table with ``ra, dec, pmra, pmdec`` and ``meta['epoch']`` moved to ``epoch``.

    Examples
    --------
    >>> from astropy.table import Table
    >>> t = Table({"ra": [0.0] * u.deg, "dec": [0.0] * u.deg, "pmra": [1000.0] * u.mas / u.yr,
    ...            "pmdec": [0.0] * u.mas / u.yr}, meta={"epoch": 2000.0})
    >>> round(float(astropy_propagated(t, 2001.0).ra.arcsec[0]), 6)
    1.0
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ERFA overrides distances when there is no parallax
        return SkyCoord(
            ra=table["ra"],
            dec=table["dec"],
            pm_ra_cosdec=table["pmra"],
            pm_dec=table["pmdec"],
            obstime=Time(table.meta["epoch"], format="jyear"),
        ).apply_space_motion(new_obstime=Time(epoch, format="jyear"))


def compare_pairs(ours, theirs, radius_arcsec: float, edge_arcsec: float = EDGE_ARCSEC) -> dict:
    """Compare two ``(idx1, idx2, sep_arcsec)`` results pair for pair.

    Pairs found by only one side count as *unexplained* unless their separation is
    within ``edge_arcsec`` of the radius.  ``max_sep_difference_arcsec`` is over the
    pairs both found.

    Examples
    --------
    >>> r = compare_pairs(([0], [1], [0.5]), ([0], [1], [0.5]), 1.0)
    >>> r["identical"], r["pairs_ours"]
    (True, 1)
    """

    def keyed(res):
        i, j, sep = (np.asarray(a) for a in res)
        return dict(zip(zip(i.tolist(), j.tolist(), strict=True), sep.tolist(), strict=True))

    mine, other = keyed(ours), keyed(theirs)
    only_ours = mine.keys() - other.keys()
    only_theirs = other.keys() - mine.keys()
    seps = {**other, **mine}
    unexplained = [p for p in only_ours | only_theirs if abs(seps[p] - radius_arcsec) > edge_arcsec]
    common = mine.keys() & other.keys()
    return {
        "pairs_ours": len(mine),
        "pairs_theirs": len(other),
        "only_ours": len(only_ours),
        "only_theirs": len(only_theirs),
        "unexplained_differences": len(unexplained),
        "identical": not unexplained,
        "max_sep_difference_arcsec": max((abs(mine[p] - other[p]) for p in common), default=0.0),
    }
