"""Cross-matching for ``accel compress``: a double loop, astropy, and our engine.

Every implementation finds all (left, right) pairs of sources closer than
``RADIUS_ARCSEC`` in two synthetic all-sky catalogs of the same size and returns
``(left_idx, right_idx, sep_arcsec)``.

* naive: a pure-Python double loop with the haversine formula, as a scientist
  first writes it; it visits every one of the n² pairs.
* baseline: astropy ``search_around_sky`` (a KD-tree on unit vectors, one core),
  including the ``SkyCoord`` construction a user has to do.
* ours: :func:`workloads.skymatch.api.match_arrays` (Numba, one process).
* ours-dask: ``workloads.skymatch.distributed`` when it exists.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from accel.compress_spec import CompressionSpec, Implementation, dask_implementation

__all__ = [
    "RADIUS_ARCSEC",
    "BOUNDARY_ARCSEC",
    "SEP_TOL_ARCSEC",
    "compression",
    "naive_match",
    "astropy_match",
    "make_inputs",
    "same_pairs",
]

RADIUS_ARCSEC = 1.0
# Haversine (naive), Vincenty (astropy) and our chord test may disagree about a
# pair lying this close to the radius; such pairs are exempt from the comparison.
BOUNDARY_ARCSEC = 1e-9
# Separations of the same pair agree to this; the formulas differ only by round-off.
SEP_TOL_ARCSEC = 1e-6
# A whole `accel compress skymatch` run peaked at 2.8 GB RSS at 6.5 M sources per side
# (astropy's KD-tree and pair lists dominate), about 0.43 GB per million: 20 M keeps a
# full-size run under ~9 GB on a 24 GB machine.
MAX_FULL_SIZE = 20_000_000

Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]


def make_inputs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two synthetic all-sky catalogs of ``n`` sources each, half of them counterparts.

    Examples
    --------
    >>> ra1, dec1, ra2, dec2 = make_inputs(10, seed=1)
    >>> ra1.shape, ra2.dtype
    ((10,), dtype('float64'))
    """
    from accel_datasets.synthetic import make_pair

    pair = make_pair(n, seed=seed)
    return pair.left_ra, pair.left_dec, pair.right_ra, pair.right_dec


def naive_match(inputs, radius_arcsec: float = RADIUS_ARCSEC) -> Pairs:
    """All pairs within the radius, by checking every pair with the haversine formula.

    Examples
    --------
    >>> a = (np.array([10.0]), np.array([20.0]), np.array([10.0, 11.0]), np.array([20.0002, 20.0]))
    >>> i, j, sep = naive_match(a)
    >>> i.tolist(), j.tolist(), round(float(sep[0]), 6)
    ([0], [0], 0.72)
    """
    ra1, dec1, ra2, dec2 = ([math.radians(x) for x in arr.tolist()] for arr in inputs)
    radius = math.radians(radius_arcsec / 3600.0)
    left, right, seps = [], [], []
    for i in range(len(ra1)):
        for j in range(len(ra2)):
            s_dec = math.sin((dec2[j] - dec1[i]) / 2)
            s_ra = math.sin((ra2[j] - ra1[i]) / 2)
            h = s_dec * s_dec + math.cos(dec1[i]) * math.cos(dec2[j]) * s_ra * s_ra
            sep = 2 * math.asin(math.sqrt(min(1.0, h)))
            if sep <= radius:
                left.append(i)
                right.append(j)
                seps.append(math.degrees(sep) * 3600.0)
    return np.array(left, dtype=np.int64), np.array(right, dtype=np.int64), np.array(seps)


def astropy_match(inputs, radius_arcsec: float = RADIUS_ARCSEC) -> Pairs:
    """All pairs within the radius by astropy's ``search_around_sky`` (unsorted).

    Examples
    --------
    >>> a = (np.array([10.0]), np.array([20.0]), np.array([10.0, 11.0]), np.array([20.0002, 20.0]))
    >>> [x.tolist() for x in astropy_match(a)[:2]]
    [[0], [0]]
    """
    import astropy.units as u
    from astropy.coordinates import SkyCoord, search_around_sky

    ra1, dec1, ra2, dec2 = inputs
    left = SkyCoord(ra1, dec1, unit="deg")
    right = SkyCoord(ra2, dec2, unit="deg")
    i, j, sep, _ = search_around_sky(left, right, radius_arcsec * u.arcsec)
    return i.astype(np.int64), j.astype(np.int64), sep.to_value(u.arcsec)


def _ours(inputs) -> Pairs:
    from workloads.skymatch.api import match_arrays

    return match_arrays(*inputs, RADIUS_ARCSEC)


def _pair_keys(i: np.ndarray, j: np.ndarray, width: int) -> np.ndarray:
    return np.asarray(i, dtype=np.int64) * width + np.asarray(j, dtype=np.int64)


def same_pairs(
    a: Pairs,
    b: Pairs,
    *,
    radius_arcsec: float = RADIUS_ARCSEC,
    boundary_arcsec: float = BOUNDARY_ARCSEC,
    sep_tol_arcsec: float = SEP_TOL_ARCSEC,
) -> bool:
    """Whether two match results hold the same pair set, in any order.

    Pairs are compared exactly, except that a pair found by only one side is
    forgiven when its separation is within ``boundary_arcsec`` of the radius
    (different exact formulas may round it either way).  Separations of common
    pairs must agree within ``sep_tol_arcsec``.

    Examples
    --------
    >>> a = (np.array([0, 1]), np.array([3, 2]), np.array([0.5, 0.2]))
    >>> b = (np.array([1, 0]), np.array([2, 3]), np.array([0.2, 0.5]))
    >>> same_pairs(a, b), same_pairs(a, (b[0][:1], b[1][:1], b[2][:1]))
    (True, False)
    """
    ia, ja, sa = (np.asarray(x) for x in a)
    ib, jb, sb = (np.asarray(x) for x in b)
    width = int(max(ja.max(initial=-1), jb.max(initial=-1))) + 1
    ka, kb = _pair_keys(ia, ja, width), _pair_keys(ib, jb, width)
    oa, ob = np.argsort(ka, kind="stable"), np.argsort(kb, kind="stable")
    ka, sa, kb, sb = ka[oa], np.asarray(sa, float)[oa], kb[ob], np.asarray(sb, float)[ob]
    if np.any(np.diff(ka) == 0) or np.any(np.diff(kb) == 0):
        return False  # a pair reported twice is wrong whatever the other side says
    common, in_a, in_b = np.intersect1d(ka, kb, assume_unique=True, return_indices=True)
    only_a = np.delete(sa, in_a)
    only_b = np.delete(sb, in_b)
    for seps in (only_a, only_b):
        if np.any(np.abs(seps - radius_arcsec) > boundary_arcsec):
            return False
    return bool(np.all(np.abs(sa[in_a] - sb[in_b]) <= sep_tol_arcsec))


def _dask_implementation() -> Implementation:
    from workloads.skymatch.distributed import crossmatch_dask

    def run(inputs, client) -> Pairs:
        ra1, dec1, ra2, dec2 = inputs
        with warnings.catch_warnings():
            # The catalogs travel inside the task graph; dask's size warning says so.
            warnings.filterwarnings("ignore", message=".*Sending large graph.*")
            table = crossmatch_dask((ra1, dec1), (ra2, dec2), RADIUS_ARCSEC, client=client,
                                    progress=False)  # fmt: skip
        return (
            np.asarray(table["left_index"], dtype=np.int64),
            np.asarray(table["right_index"], dtype=np.int64),
            np.asarray(table["separation_arcsec"], dtype=np.float64),
        )

    return dask_implementation("accel skymatch (Dask)", run)


def _ours_implementation() -> Implementation:
    try:
        from workloads.skymatch.api import match_arrays  # noqa: F401
    except ImportError as exc:
        return Implementation(
            "accel skymatch (Numba)",
            "ours",
            unavailable=f"workloads.skymatch.api is not importable ({exc})",
        )
    return Implementation("accel skymatch (Numba)", "ours", run=_ours)


def compression() -> CompressionSpec:
    """The skymatch entry of the ``accel.compressions`` group.

    Examples
    --------
    >>> spec = compression()
    >>> [impl.role for impl in spec.implementations]
    ['naive', 'baseline', 'ours', 'ours-dask']
    """
    return CompressionSpec(
        name="skymatch",
        task=(
            f"all pairs closer than {RADIUS_ARCSEC:g} arcsec between two synthetic all-sky "
            "catalogs of n sources each (half are counterparts with 0.3 arcsec scatter)"
        ),
        size_unit="sources per catalog",
        make_inputs=make_inputs,
        implementations=(
            Implementation("pure-Python double loop (haversine)", "naive", run=naive_match),
            Implementation("astropy search_around_sky", "baseline", run=astropy_match),
            _ours_implementation(),
            _dask_implementation(),
        ),
        equal=same_pairs,
        equality_rule=(
            "pair sets (left, right) compared exactly after sorting, except pairs within "
            f"{BOUNDARY_ARCSEC:g} arcsec of the radius, where the haversine, Vincenty and chord "
            f"tests may round differently; separations of common pairs agree within "
            f"{SEP_TOL_ARCSEC:g} arcsec"
        ),
        naive_sizes=(300, 1000, 3000),
        full_size=1_000_000,
        max_full_size=MAX_FULL_SIZE,
        max_full_size_reason=(
            "a full run needs about 0.43 GB per million sources per side, mostly astropy's"
        ),
        expected_exponent=2.0,
    )
