"""All-sky synthetic catalogs with known truth, vectorized NumPy, float64, seeded.

Every random stream comes from ``SeedSequence(seed, spawn_key=(stream,))`` with a fixed
stream number per component, so each output depends only on the arguments that
describe it: the left catalog of :func:`make_pair` is exactly
``random_sky(n_left, seed=seed, plane_contrast=plane_contrast)`` whatever the right
catalog looks like, and the same arguments always give the same arrays.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import astropy.units as u
import numpy as np

__all__ = [
    "GALACTIC_TO_ICRS",
    "PLANE_SCALE_DEG",
    "SyntheticPair",
    "galactic_to_icrs",
    "make_pair",
    "offset_on_sphere",
    "random_sky",
]

# One stream per component: changing one knob never reshuffles the others.
_STREAM_SKY, _STREAM_PICK, _STREAM_SCATTER, _STREAM_SPURIOUS, _STREAM_FIELD, _STREAM_SHUFFLE = (
    range(6)
)

PLANE_SCALE_DEG = 5.0
"""Scale of the exponential galactic-latitude profile of the thin-disc population."""

# Spurious sources sit this many scatter-sigmas from a left source: close enough to
# fall inside a typical match radius, far enough to be rarely nearer than the truth.
_SPURIOUS_SIGMAS = (3.0, 6.0)


def _galactic_axes() -> np.ndarray:
    # The Hipparcos definition (ESA SP-1200 vol. 1 sec. 1.5.3): the north galactic pole at
    # ICRS (192.85948, 27.12825) deg and the ascending node of the galactic plane on the
    # equator at galactic longitude 32.93192 deg.  Rows are the galactic x, y, z axes in ICRS.
    ra_pole, dec_pole, l_node = np.radians([192.85948, 27.12825, 32.93192])
    z = np.array(
        [np.cos(dec_pole) * np.cos(ra_pole), np.cos(dec_pole) * np.sin(ra_pole), np.sin(dec_pole)]
    )
    node = np.array([np.cos(ra_pole + 0.5 * np.pi), np.sin(ra_pole + 0.5 * np.pi), 0.0])
    x = np.cos(l_node) * node - np.sin(l_node) * np.cross(z, node)
    return np.array([x, np.cross(z, x), z])


GALACTIC_TO_ICRS: np.ndarray = _galactic_axes().T
"""3x3 rotation taking galactic unit vectors to ICRS (agrees with astropy to ~0.03 arcsec)."""
GALACTIC_TO_ICRS.setflags(write=False)


@dataclass(eq=False)
class SyntheticPair:
    """Two catalogs with known counterparts, from :func:`make_pair`.

    Attributes
    ----------
    left_ra, left_dec, right_ra, right_dec : numpy.ndarray
        float64 positions in degrees, ICRS-like, ra in [0, 360).
    true_left, true_right : numpy.ndarray
        int64 row indices of the true counterpart pairs, sorted by ``true_left``.
    scatter_arcsec : float
        Gaussian scatter per axis of a counterpart around its left source.
    seed : int
        Seed the pair was made from.
    spurious_right : numpy.ndarray
        int64 indices (sorted) of the spurious right sources placed near left sources.
    """

    left_ra: np.ndarray
    left_dec: np.ndarray
    right_ra: np.ndarray
    right_dec: np.ndarray
    true_left: np.ndarray
    true_right: np.ndarray
    scatter_arcsec: float
    seed: int
    spurious_right: np.ndarray


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream,)))


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {value}")
    return int(value)


def _check_fraction(name: str, value: object, *, upper_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    value = float(value)
    bad = not (0.0 <= value < 1.0) if upper_open else not (0.0 <= value <= 1.0)
    if bad:
        interval = "[0, 1)" if upper_open else "[0, 1]"
        raise ValueError(f"{name} must lie in {interval}; got {value}")
    return value


def _vectors_to_radec(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ra = np.degrees(np.arctan2(y, x))
    ra %= 360.0
    # -tiny % 360 rounds to 360.0 in float64; keep ra in [0, 360).
    ra[ra >= 360.0] = 0.0
    # atan2 keeps full precision near the poles, where arcsin(z) does not.
    dec = np.degrees(np.arctan2(z, np.hypot(x, y)))
    return ra, dec


def galactic_to_icrs(l_deg: np.ndarray, b_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotate galactic (l, b) to ICRS (ra, dec), all in degrees, with :data:`GALACTIC_TO_ICRS`.

    Examples
    --------
    >>> ra, dec = galactic_to_icrs(np.array([0.0]), np.array([90.0]))
    >>> round(float(ra[0]), 4), round(float(dec[0]), 4)
    (192.8595, 27.1283)
    """
    l_rad = np.radians(np.asarray(l_deg, dtype=np.float64))
    b_rad = np.radians(np.asarray(b_deg, dtype=np.float64))
    cos_b = np.cos(b_rad)
    g = (cos_b * np.cos(l_rad), cos_b * np.sin(l_rad), np.sin(b_rad))
    m = GALACTIC_TO_ICRS
    x = m[0, 0] * g[0] + m[0, 1] * g[1] + m[0, 2] * g[2]
    y = m[1, 0] * g[0] + m[1, 1] * g[1] + m[1, 2] * g[2]
    z = m[2, 0] * g[0] + m[2, 1] * g[1] + m[2, 2] * g[2]
    return _vectors_to_radec(x, y, z)


def _sky(n: int, rng: np.random.Generator, plane_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    ra = rng.uniform(0.0, 360.0, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    if plane_fraction > 0.0:
        in_disc = rng.random(n) < plane_fraction
        k = int(in_disc.sum())
        l_deg = rng.uniform(0.0, 360.0, k)
        # |b| from an exponential truncated at 90 deg, by inverting its CDF.
        tail = 1.0 - np.exp(-90.0 / PLANE_SCALE_DEG)
        abs_b = -PLANE_SCALE_DEG * np.log1p(-rng.random(k) * tail)
        b_deg = np.where(rng.random(k) < 0.5, -abs_b, abs_b)
        ra[in_disc], dec[in_disc] = galactic_to_icrs(l_deg, b_deg)
    return ra, dec


def random_sky(
    n: int, *, seed: int = 0, plane_contrast: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` random sky positions, uniform on the sphere or concentrated to a plane.

    Parameters
    ----------
    n : int
        Number of positions.
    seed : int
        Non-negative seed; the same arguments always give the same positions.
    plane_contrast : float
        Fraction in [0, 1) of the sources drawn from a thin-disc population: galactic
        longitude uniform, |b| exponential with scale :data:`PLANE_SCALE_DEG`. The rest
        are uniform on the sphere. The density on the galactic plane is
        ``1 + f / ((1 - f) h)`` times that at the galactic poles (h the scale in
        radians): 0 gives a uniform sky, 0.5 a contrast of about 12.5.

    Returns
    -------
    ra_deg, dec_deg : numpy.ndarray
        float64 arrays, ra in [0, 360), dec in [-90, 90].

    Examples
    --------
    >>> ra, dec = random_sky(1000, seed=1)
    >>> ra.shape, bool((ra >= 0).all() and (ra < 360).all())
    ((1000,), True)
    """
    n = _check_count("n", n)
    seed = _check_count("seed", seed)
    plane_contrast = _check_fraction("plane_contrast", plane_contrast, upper_open=True)
    return _sky(n, _rng(seed, _STREAM_SKY), plane_contrast)


def offset_on_sphere(
    ra_deg: np.ndarray, dec_deg: np.ndarray, east_rad: np.ndarray, north_rad: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Move positions along great circles by tangent-plane offsets (east, north).

    Each point moves by the angle ``hypot(east, north)`` in the direction whose
    position angle is ``atan2(east, north)``. The local basis (east, north) is built
    from ra, so it is well defined at the poles too.

    Examples
    --------
    >>> ra, dec = offset_on_sphere(np.array([0.0]), np.array([90.0]), np.array([0.0]),
    ...                            np.array([np.radians(1.0)]))
    >>> round(float(dec[0]), 9), round(float(ra[0]), 9)
    (89.0, 180.0)
    """
    ra = np.radians(np.asarray(ra_deg, dtype=np.float64))
    dec = np.radians(np.asarray(dec_deg, dtype=np.float64))
    east = np.asarray(east_rad, dtype=np.float64)
    north = np.asarray(north_rad, dtype=np.float64)
    cos_ra, sin_ra = np.cos(ra), np.sin(ra)
    cos_dec, sin_dec = np.cos(dec), np.sin(dec)
    rho = np.hypot(east, north)
    cos_rho = np.cos(rho)
    # sin(rho)/rho, equal to 1 at rho = 0 (np.sinc is sin(pi x)/(pi x)).
    k = np.sinc(rho / np.pi)
    # p*cos(rho) + (east*e + north*n)*sin(rho)/rho, with e = (-sin ra, cos ra, 0) and
    # n = (-sin dec cos ra, -sin dec sin ra, cos dec).
    x = cos_rho * cos_dec * cos_ra - k * (east * sin_ra + north * sin_dec * cos_ra)
    y = cos_rho * cos_dec * sin_ra + k * (east * cos_ra - north * sin_dec * sin_ra)
    z = cos_rho * sin_dec + k * north * cos_dec
    return _vectors_to_radec(x, y, z)


def _scatter_arcsec(value: object) -> float:
    if isinstance(value, u.Quantity):
        try:
            value = value.to_value(u.arcsec)
        except u.UnitConversionError:
            raise ValueError(f"scatter_arcsec must be an angle; got {value}") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"scatter_arcsec must be a real number or angle Quantity; got {type(value).__name__}"
        )
    value = float(value)
    if not (np.isfinite(value) and value >= 0.0):
        raise ValueError(f"scatter_arcsec must be a finite non-negative angle; got {value} arcsec")
    return value


def make_pair(
    n_left: int,
    n_right: int | None = None,
    *,
    matched_fraction: float = 0.5,
    scatter_arcsec: float | u.Quantity = 0.3,
    spurious_fraction: float = 0.0,
    plane_contrast: float = 0.0,
    seed: int = 0,
    shuffle: bool = True,
) -> SyntheticPair:
    """Make a left and a right catalog with known true counterparts.

    The right catalog holds, in shuffled order:

    * counterparts: perturbed copies of ``round(matched_fraction * n_left)`` left sources
      chosen at random, each moved along a great circle by a tangent-plane offset drawn
      from a 2-D Gaussian of ``scatter_arcsec`` per axis; the other left sources are
      drop-outs;
    * spurious sources: ``round(spurious_fraction * n_right)`` confusers, each placed
      at 3 to 6 ``scatter_arcsec`` (uniform distance, random direction) from a left
      source picked at random; they are not counterparts of anything;
    * field sources: the rest, drawn independently from the same sky model.

    Parameters
    ----------
    n_left : int
        Rows of the left catalog, which is ``random_sky(n_left, seed=seed,
        plane_contrast=plane_contrast)``.
    n_right : int, optional
        Rows of the right catalog; defaults to ``n_left``.
    matched_fraction, spurious_fraction : float
        Fractions in [0, 1], as above.
    scatter_arcsec : float or Quantity
        Non-negative; must be positive when there are spurious sources.
    plane_contrast : float
        See :func:`random_sky`.
    seed : int
        Non-negative seed; the same arguments always give the same pair.
    shuffle : bool
        If False, the right catalog is ordered counterparts (in ``true_left`` order),
        then spurious, then field sources.

    Returns
    -------
    SyntheticPair

    Examples
    --------
    >>> pair = make_pair(1000, matched_fraction=0.4, seed=3)
    >>> len(pair.right_ra), len(pair.true_left)
    (1000, 400)
    """
    n_left = _check_count("n_left", n_left)
    n_right = n_left if n_right is None else _check_count("n_right", n_right)
    matched_fraction = _check_fraction("matched_fraction", matched_fraction)
    spurious_fraction = _check_fraction("spurious_fraction", spurious_fraction)
    plane_contrast = _check_fraction("plane_contrast", plane_contrast, upper_open=True)
    sigma_arcsec = _scatter_arcsec(scatter_arcsec)
    seed = _check_count("seed", seed)
    n_matched = round(matched_fraction * n_left)
    n_spurious = round(spurious_fraction * n_right)
    if n_matched + n_spurious > n_right:
        raise ValueError(
            f"n_right must hold the counterparts and spurious sources, {n_matched} + {n_spurious}; "
            f"got n_right={n_right}"
        )
    if n_spurious and (sigma_arcsec == 0.0 or n_left == 0):
        raise ValueError(
            "spurious_fraction > 0 needs scatter_arcsec > 0 and n_left > 0 (spurious sources sit "
            f"3-6 scatter from a left source); got scatter_arcsec={sigma_arcsec}, n_left={n_left}"
        )

    left_ra, left_dec = _sky(n_left, _rng(seed, _STREAM_SKY), plane_contrast)
    true_left = np.sort(_rng(seed, _STREAM_PICK).permutation(n_left)[:n_matched]).astype(np.int64)

    sigma_rad = np.radians(sigma_arcsec / 3600.0)
    step = _rng(seed, _STREAM_SCATTER).normal(0.0, sigma_rad, (2, n_matched))
    match_ra, match_dec = offset_on_sphere(
        left_ra[true_left], left_dec[true_left], step[0], step[1]
    )

    rng = _rng(seed, _STREAM_SPURIOUS)
    anchor = rng.integers(0, max(n_left, 1), n_spurious)
    distance = sigma_rad * rng.uniform(*_SPURIOUS_SIGMAS, n_spurious)
    angle = rng.uniform(0.0, 2.0 * np.pi, n_spurious)
    spur_ra, spur_dec = offset_on_sphere(
        left_ra[anchor], left_dec[anchor], distance * np.sin(angle), distance * np.cos(angle)
    )

    n_field = n_right - n_matched - n_spurious
    field_ra, field_dec = _sky(n_field, _rng(seed, _STREAM_FIELD), plane_contrast)

    right_ra = np.concatenate([match_ra, spur_ra, field_ra])
    right_dec = np.concatenate([match_dec, spur_dec, field_dec])
    new_index = np.arange(n_right, dtype=np.int64)
    if shuffle:
        order = _rng(seed, _STREAM_SHUFFLE).permutation(n_right)
        right_ra, right_dec = right_ra[order], right_dec[order]
        new_index[order] = np.arange(n_right, dtype=np.int64)
    return SyntheticPair(
        left_ra=left_ra,
        left_dec=left_dec,
        right_ra=right_ra,
        right_dec=right_dec,
        true_left=true_left,
        true_right=new_index[:n_matched].copy(),
        scatter_arcsec=sigma_arcsec,
        seed=seed,
        spurious_right=np.sort(new_index[n_matched : n_matched + n_spurious]),
    )
