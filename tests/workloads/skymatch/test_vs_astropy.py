"""Pair for pair against astropy, on synthetic and real catalogs."""

import warnings

import astropy.units as u
import numpy as np
import pytest
from accel_datasets import load_sample, make_pair
from astropy.coordinates import SkyCoord, search_around_sky
from astropy.time import Time

from workloads.skymatch.api import crossmatch, match_arrays

EDGE_ARCSEC = 1e-9


def astropy_pairs(ra1, dec1, ra2, dec2, radius_arcsec):
    i, j, sep, _ = search_around_sky(
        SkyCoord(ra1, dec1, unit="deg"), SkyCoord(ra2, dec2, unit="deg"), radius_arcsec * u.arcsec
    )
    order = np.lexsort((j, i))
    return i[order].astype(np.int64), j[order].astype(np.int64), sep.to_value(u.arcsec)[order]


def assert_same_pairs(ours, theirs, radius_arcsec):
    oi, oj, osep = ours
    ti, tj, tsep = theirs
    ok = set(zip(oi.tolist(), oj.tolist(), strict=True))
    tk = set(zip(ti.tolist(), tj.tolist(), strict=True))
    seps = dict(zip(zip(oi.tolist(), oj.tolist(), strict=True), osep.tolist(), strict=True))
    seps.update(zip(zip(ti.tolist(), tj.tolist(), strict=True), tsep.tolist(), strict=True))
    differing = [p for p in ok ^ tk if abs(seps[p] - radius_arcsec) > EDGE_ARCSEC]
    assert not differing, f"{len(differing)} pairs differ from astropy, e.g. {differing[:5]}"
    common = sorted(ok & tk)
    ours_sep = dict(zip(zip(oi.tolist(), oj.tolist(), strict=True), osep.tolist(), strict=True))
    theirs_sep = dict(zip(zip(ti.tolist(), tj.tolist(), strict=True), tsep.tolist(), strict=True))
    diff = [abs(ours_sep[p] - theirs_sep[p]) for p in common]
    assert max(diff, default=0.0) < 1e-8  # arcsec
    return len(common)


PATCHES = {
    "all-sky": {},
    "north-pole": {"dec_range": (89.0, 90.0)},
    "south-pole": {"dec_range": (-90.0, -89.5)},
    "ra-wrap": {"ra_range": (-0.5, 0.5), "dec_range": (-0.5, 0.5)},
}


@pytest.mark.parametrize("patch", PATCHES)
@pytest.mark.parametrize("radius_arcsec", [0.01, 1.0, 60.0, 3 * 3600.0])
def test_pairs_identical_to_astropy(patch, radius_arcsec, rng, sky):
    n = 3000 if radius_arcsec <= 60 else 400
    ra1, dec1 = sky(rng, n, **PATCHES[patch])
    ra2, dec2 = sky(rng, n, **PATCHES[patch])
    # Counterparts within a fraction of the radius, so each radius has real pairs.
    k = n // 2
    step = radius_arcsec / 3600.0 * 0.7
    ra2[:k] = (
        ra1[:k] + rng.uniform(-step, step, k) / np.maximum(np.cos(np.deg2rad(dec1[:k])), 1e-3)
    ) % 360
    dec2[:k] = np.clip(dec1[:k] + rng.uniform(-step, step, k), -90, 90)
    ours = match_arrays(ra1, dec1, ra2, dec2, radius_arcsec)
    assert (
        assert_same_pairs(ours, astropy_pairs(ra1, dec1, ra2, dec2, radius_arcsec), radius_arcsec)
        > 0
    )


def test_synthetic_catalogs_identical_to_astropy():
    pair = make_pair(20_000, seed=7, scatter_arcsec=0.3)
    ours = match_arrays(pair.left_ra, pair.left_dec, pair.right_ra, pair.right_dec, 1.0)
    theirs = astropy_pairs(pair.left_ra, pair.left_dec, pair.right_ra, pair.right_dec, 1.0)
    assert assert_same_pairs(ours, theirs, 1.0) >= 0.9 * pair.true_left.size


def test_duplicate_positions_match_astropy(rng, sky):
    ra, dec = sky(rng, 200)
    ra = np.concatenate([ra, ra[:50]])
    dec = np.concatenate([dec, dec[:50]])
    ours = match_arrays(ra, dec, ra, dec, 0.5)
    assert assert_same_pairs(ours, astropy_pairs(ra, dec, ra, dec, 0.5), 0.5) == 250 + 2 * 50


@pytest.mark.parametrize("patch", ["pole", "ra0", "pleiades"])
def test_real_samples_with_epoch_propagation_match_astropy(patch):
    hip = load_sample(f"hipparcos-{patch}")
    gaia = load_sample(f"gaia-{patch}")
    ours = crossmatch(hip, gaia, 1.0 * u.arcsec, epoch=2016.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ERFA: no radial velocities, distances overridden
        moved = SkyCoord(
            ra=hip["ra"],
            dec=hip["dec"],
            pm_ra_cosdec=hip["pmra"],
            pm_dec=hip["pmdec"],
            obstime=Time(hip.meta["epoch"], format="jyear"),
        ).apply_space_motion(new_obstime=Time(2016.0, format="jyear"))
    i, j, sep, _ = search_around_sky(moved, SkyCoord(gaia["ra"], gaia["dec"]), 1.0 * u.arcsec)
    order = np.lexsort((j, i))
    theirs = (i[order], j[order], sep.to_value(u.arcsec)[order])
    got = (
        np.asarray(ours["left_index"]),
        np.asarray(ours["right_index"]),
        np.asarray(ours["separation_arcsec"]),
    )
    # Propagation agrees with ERFA to well under a milliarcsecond, not to round-off,
    # so separations are compared at 1e-5 arcsec and only pairs that close to 1" may differ.
    ok = set(zip(got[0].tolist(), got[1].tolist(), strict=True))
    tk = set(zip(theirs[0].tolist(), theirs[1].tolist(), strict=True))
    seps = dict(
        zip(
            zip(theirs[0].tolist(), theirs[1].tolist(), strict=True),
            theirs[2].tolist(),
            strict=True,
        )
    )
    seps.update(
        zip(zip(got[0].tolist(), got[1].tolist(), strict=True), got[2].tolist(), strict=True)
    )
    assert all(abs(seps[p] - 1.0) < 1e-5 for p in ok ^ tk)
    assert len(ok & tk) > 0.8 * len(hip)


@pytest.mark.parametrize("nthneighbor", [1, 2])
def test_nearest_matches_match_to_catalog_sky(nthneighbor, rng, sky):
    ra1, dec1 = sky(rng, 2000)
    ra2, dec2 = sky(rng, 1500)
    ours = crossmatch((ra1, dec1), (ra2, dec2), mode="nearest", nthneighbor=nthneighbor)
    c1, c2 = SkyCoord(ra1, dec1, unit="deg"), SkyCoord(ra2, dec2, unit="deg")
    idx, sep, _ = c1.match_to_catalog_sky(c2, nthneighbor=nthneighbor)
    np.testing.assert_array_equal(ours["left_index"], np.arange(2000))
    np.testing.assert_array_equal(ours["right_index"], idx)
    np.testing.assert_allclose(
        ours["separation_arcsec"], sep.to_value(u.arcsec), rtol=1e-9, atol=1e-9
    )
