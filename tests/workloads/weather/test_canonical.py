"""Canonical weather stencils: Numba kernels against the NumPy references and scalar oracles."""

from __future__ import annotations

import numpy as np
import pytest

from accel.halo import pad, run_steps, split_lat
from workloads.weather import canonical, canonical_reference
from workloads.weather.canonical import hdiff, vadv

SHAPES = [(1, 4, 6), (3, 7, 10), (2, 13, 16), (2, 2, 4)]


def hdiff_oracle(field, coeff, limit=True):
    """Scalar loops over a global grid with pole ghost rows; independent of the vectorised code."""
    nlev, nlat, nlon = field.shape

    def at(k, j, i):
        i %= nlon
        if j < 0:  # across the south pole
            return field[k, -1 - j, (i + nlon // 2) % nlon]
        if j >= nlat:
            return field[k, 2 * nlat - 1 - j, (i + nlon // 2) % nlon]
        return field[k, j, i]

    def lap(k, j, i):
        return 4.0 * at(k, j, i) - (
            at(k, j, i + 1) + at(k, j, i - 1) + at(k, j + 1, i) + at(k, j - 1, i)
        )

    def flux(k, j, i, dj, di):
        f = lap(k, j + dj, i + di) - lap(k, j, i)
        if limit and f * (at(k, j + dj, i + di) - at(k, j, i)) > 0.0:
            f = 0.0
        return f

    out = np.empty_like(field)
    for k in range(nlev):
        for j in range(nlat):
            for i in range(nlon):
                fx = flux(k, j, i, 0, 1) - flux(k, j, i - 1, 0, 1)
                fy = flux(k, j, i, 1, 0)
                out[k, j, i] = at(k, j, i) - coeff[k, j, i] * (fx + fy - flux(k, j - 1, i, 1, 0))
    return out


@pytest.mark.parametrize("shape", SHAPES)
def test_hdiff_pole_matches_reference_bitwise(rng, shape):
    field = rng.random(shape)
    coeff = 0.2 * rng.random(shape)
    np.testing.assert_array_equal(hdiff(field, coeff), canonical_reference.hdiff(field, coeff))
    np.testing.assert_array_equal(hdiff(field, 0.07), canonical_reference.hdiff(field, 0.07))


@pytest.mark.parametrize("shape", SHAPES)
def test_hdiff_included_halo_matches_reference_bitwise(rng, shape):
    nlev, nlat, nlon = shape
    padded = rng.random((nlev, nlat + 4, nlon + 4))
    coeff = 0.2 * rng.random(shape)
    got = hdiff(padded, coeff, halo="included")
    assert got.shape == shape
    np.testing.assert_array_equal(got, canonical_reference.hdiff_padded(padded, coeff))


@pytest.mark.parametrize("nlon", [1, 2, 3])
def test_hdiff_included_halo_narrow_blocks_match_reference_bitwise(rng, nlon):
    # blocks so narrow that the in-place interior loop is empty or one point wide
    # and the wrapped end columns overlap
    padded = rng.random((2, 9, nlon + 4))
    coeff = 0.2 * rng.random((2, 5, nlon))
    got = hdiff(padded, coeff, halo="included")
    np.testing.assert_array_equal(got, canonical_reference.hdiff_padded(padded, coeff))


def test_hdiff_reference_matches_scalar_oracle_and_limiter_engages(rng):
    field = rng.random((2, 6, 8))
    coeff = 0.1 + 0.1 * rng.random(field.shape)
    limited = hdiff_oracle(field, coeff)
    unlimited = hdiff_oracle(field, coeff, limit=False)
    got = hdiff(field, coeff)
    np.testing.assert_allclose(got, limited, rtol=1e-12, atol=0)
    np.testing.assert_allclose(canonical_reference.hdiff(field, coeff), limited, rtol=1e-12, atol=0)
    # on noise most fluxes run down-gradient, so the limiter must change most points
    changed = np.abs(got - unlimited) > 1e-9
    assert changed.mean() > 0.5


def test_hdiff_keeps_constants_and_smooth_waves():
    const = np.full((2, 6, 8), 3.25)
    np.testing.assert_array_equal(hdiff(const, 0.2), const)
    # For one smooth wave the unlimited 4th-order flux runs up the gradient
    # everywhere, so the limiter zeroes every flux and the wave is left alone;
    # without the limiter it would grow.
    lon = np.arange(32) * (2 * np.pi / 32)
    wave = np.broadcast_to(np.cos(2 * lon), (1, 8, 32)).copy()
    np.testing.assert_allclose(hdiff(wave, 0.05), wave, rtol=0, atol=1e-15)


def test_hdiff_flux_form_conserves_the_sum_on_a_doubly_periodic_block(rng):
    field = rng.random((2, 10, 12))
    padded = np.pad(field, ((0, 0), (2, 2), (2, 2)), mode="wrap")
    out = hdiff(padded, 0.08, halo="included")
    assert not np.allclose(out, field)
    np.testing.assert_allclose(out.sum(axis=(1, 2)), field.sum(axis=(1, 2)), rtol=1e-13)


def test_hdiff_blocks_with_ghost_zones_match_whole_grid(rng):
    field = rng.random((2, 16, 12))

    def step(padded, lat0):
        return hdiff(padded, 0.03, halo="included")

    iterated = field
    for _ in range(3):
        iterated = hdiff(iterated, 0.03)
    whole = run_steps(split_lat(field, 1, 0)[0], step, 3, canonical.HDIFF_HALO)
    np.testing.assert_array_equal(whole, iterated)
    blocks = split_lat(field, 3, 3 * canonical.HDIFF_HALO)
    parts = [run_steps(b, step, 3, canonical.HDIFF_HALO) for b in blocks]
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), iterated)


def _vadv_inputs(rng, shape, staggered=False):
    u = [rng.random(shape) - 0.5 for _ in range(5)]
    if staggered:
        u[2] = rng.random(shape[:2] + (shape[2] + 1,)) - 0.5
    return u


@pytest.mark.parametrize("shape", [(2, 3, 5), (5, 4, 9), (16, 3, 20)])
@pytest.mark.parametrize("staggered", [False, True])
def test_vadv_matches_reference_bitwise(rng, shape, staggered, monkeypatch):
    u = _vadv_inputs(rng, shape, staggered)
    expected = canonical_reference.vadv(*u, 0.15)
    np.testing.assert_array_equal(vadv(*u, 0.15), expected)
    # strips shorter and longer than a row: cut inside rows, spanning row ends
    # (where wcon wraps in longitude), the last one partial
    for strip in (4, 13):
        monkeypatch.setattr(canonical, "VADV_STRIP", strip)
        np.testing.assert_array_equal(vadv(*u, 0.15), expected)


def test_vadv_scratch_is_kept_per_thread_and_resized(rng, monkeypatch):
    # the scratch a call leaves behind (other levels, other strip) must not leak into
    # the next call, and calls from two Python threads at once must not share it
    from concurrent.futures import ThreadPoolExecutor

    cases = [_vadv_inputs(rng, shape) for shape in [(5, 4, 9), (16, 3, 20), (5, 4, 9)]]
    expected = [canonical_reference.vadv(*u, 0.15) for u in cases]
    for strip in (None, 7, None):
        monkeypatch.setattr(canonical, "VADV_STRIP", strip)
        for u, want in zip(cases, expected, strict=True):
            np.testing.assert_array_equal(vadv(*u, 0.15), want)
    big = _vadv_inputs(rng, (24, 8, 64))
    want = canonical_reference.vadv(*big, 0.15)
    monkeypatch.setattr(canonical, "VADV_STRIP", 8)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: vadv(*big, 0.15), range(8)))
    for got in results:
        np.testing.assert_array_equal(got, want)
    assert canonical._vadv_scratch(2, 24, 8) is canonical._vadv_scratch(2, 24, 8)
    assert canonical._vadv_scratch(2, 24, 16).shape == (2, 73, 16)


# Edge shapes: one longitude (with wrap a column is its own east neighbour), one
# latitude row, two levels (top and bottom only, no middle level), strips of 1 point.
@pytest.mark.parametrize(
    "shape", [(2, 1, 1), (2, 2, 1), (4, 2, 1), (2, 1, 2), (3, 1, 7), (2, 5, 3)]
)
@pytest.mark.parametrize("staggered", [False, True])
def test_vadv_edge_shapes_match_reference_bitwise(rng, shape, staggered, monkeypatch):
    u = _vadv_inputs(rng, shape, staggered)
    expected = canonical_reference.vadv(*u, 0.15)
    for stream in (True, False):
        monkeypatch.setattr(canonical, "STREAM_MIN_BYTES", 0 if stream else 1 << 62)
        for strip in (None, 1, 2, 3, 5):
            monkeypatch.setattr(canonical, "VADV_STRIP", strip)
            np.testing.assert_array_equal(vadv(*u, 0.15), expected)


def test_vadv_single_longitude_wraps_onto_itself(rng, monkeypatch):
    # nlon = 1 with wrap: the east neighbour of the only column is that column, the
    # same as an explicit eastern column equal to it
    u = _vadv_inputs(rng, (3, 2, 1))
    explicit = u.copy()
    explicit[2] = np.concatenate([u[2], u[2]], axis=2)
    monkeypatch.setattr(canonical, "VADV_STRIP", 1)
    np.testing.assert_array_equal(vadv(*u, 0.15), vadv(*explicit, 0.15))
    np.testing.assert_array_equal(vadv(*u, 0.15), canonical_reference.vadv(*explicit, 0.15))


def test_vadv_solves_the_tridiagonal_system(rng):
    nlev, dtr = 7, 0.15
    us, ust, w, up, ut = _vadv_inputs(rng, (nlev, 1, 2), staggered=False)
    out = vadv(us, ust, w, up, ut, dtr)
    for i in range(2):
        wc = w[:, 0, i] + w[:, 0, (i + 1) % 2]  # eastern neighbour wraps
        col = ust[:, 0, i]
        a = np.zeros(nlev)
        c = np.zeros(nlev)
        a[1:] = -0.25 * wc[1:] * 0.5
        c[:-1] = 0.25 * wc[1:] * 0.5
        matrix = np.diag(dtr - a - c) + np.diag(a[1:], -1) + np.diag(c[:-1], 1)
        # explicit half of the advection: the same coefficients on the old stage wind
        explicit = np.zeros(nlev)
        explicit[1:] -= a[1:] * (col[:-1] - col[1:])
        explicit[:-1] -= c[:-1] * (col[1:] - col[:-1])
        rhs = dtr * up[:, 0, i] + ut[:, 0, i] + us[:, 0, i] + explicit
        x = np.linalg.solve(matrix, rhs)
        np.testing.assert_allclose(out[:, 0, i], dtr * (x - up[:, 0, i]), rtol=1e-12, atol=1e-14)
        x_got = out[:, 0, i] / dtr + up[:, 0, i]
        residual = matrix @ x_got - rhs
        assert np.abs(residual).max() < 1e-12 * np.abs(rhs).max()


def test_vadv_without_vertical_wind_adds_the_tendencies(rng):
    us, ust, _, up, ut = _vadv_inputs(rng, (4, 3, 6))
    got = vadv(us, ust, np.zeros((4, 3, 6)), up, ut)
    np.testing.assert_allclose(got, us + ut, rtol=1e-12, atol=1e-14)


def test_inputs_are_not_modified(rng):
    field = rng.random((2, 6, 8))
    before = field.copy()
    hdiff(field, 0.1)
    u = _vadv_inputs(rng, (3, 4, 6))
    copies = [x.copy() for x in u]
    vadv(*u)
    np.testing.assert_array_equal(field, before)
    for x, y in zip(u, copies, strict=True):
        np.testing.assert_array_equal(x, y)


def test_out_argument_is_filled(rng):
    field = rng.random((2, 6, 8))
    out = np.full(field.shape, np.nan)
    assert hdiff(field, 0.1, out=out) is out
    np.testing.assert_array_equal(out, canonical_reference.hdiff(field, 0.1))


def _out_at_offset(shape, offset):
    """A C-contiguous float64 array whose data starts ``offset`` elements past a 32-byte boundary."""
    n = int(np.prod(shape))
    buf = np.full(n + 8, np.nan)
    first = (-(buf.ctypes.data // 8)) % 4  # elements to the first 32-byte boundary
    out = buf[first + offset : first + offset + n].reshape(shape)
    assert out.ctypes.data % 32 == 8 * offset and out.flags.c_contiguous
    return out


@pytest.mark.parametrize("offset", range(4))
@pytest.mark.parametrize("stream", [True, False])
def test_out_at_every_alignment_with_and_without_streaming_stores(rng, offset, stream, monkeypatch):
    # streaming: the output takes non-temporal vector stores from its first 32-byte
    # aligned point on and normal stores around them.  Every alignment of out must give
    # the same bits, with rows long enough for several vectors and strips that end
    # mid-vector.
    monkeypatch.setattr(canonical, "STREAM_MIN_BYTES", 0 if stream else 1 << 62)
    field = rng.random((2, 6, 26))
    out = _out_at_offset(field.shape, offset)
    assert hdiff(field, 0.1, out=out) is out
    np.testing.assert_array_equal(out, canonical_reference.hdiff(field, 0.1))
    padded = rng.random((2, 9, 27))
    out = _out_at_offset((2, 5, 23), offset)
    hdiff(padded, 0.1, halo="included", out=out)
    np.testing.assert_array_equal(out, canonical_reference.hdiff(padded, 0.1, halo="included"))
    u = _vadv_inputs(rng, (3, 4, 22), staggered=offset % 2 == 1)
    expected = canonical_reference.vadv(*u, 0.15)
    for strip in (None, 19):
        monkeypatch.setattr(canonical, "VADV_STRIP", strip)
        out = _out_at_offset(expected.shape, offset)
        assert vadv(*u, 0.15, out=out) is out
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda f: hdiff(f.tolist(), 0.1), TypeError, "field must be a numpy array; got list"),
        (lambda f: hdiff(f.astype(np.float32), 0.1), TypeError, "field must be a float64 array; got float32"),
        (lambda f: hdiff(f[0], 0.1), ValueError, r"field must be 3-D \(level, lat, lon\); got 2-D"),
        (lambda f: hdiff(f[:, :, :7], 0.1), ValueError, "even number of longitudes for 'pole' halos; got 7"),
        (lambda f: hdiff(f, -0.1), ValueError, r"coeff must be non-negative \(a diffusion coefficient\); got -0.1"),
        (lambda f: hdiff(f, np.ones((2, 6, 7))), ValueError, r"coeff must be a number or an array of shape \(2, 6, 8\)"),
        (lambda f: hdiff(f, "0.1"), TypeError, "coeff must be a real number or a float64 array; got str"),
        (lambda f: hdiff(f, 0.1, halo="periodic"), ValueError, r"halo must be one of \['pole', 'included'\]; got 'periodic'"),
        (lambda f: hdiff(f[:, :4, :5], 0.1, halo="included"), ValueError, "needs more than 4 cells on each horizontal axis"),
        (lambda f: hdiff(f, 0.1, out=np.empty((2, 6, 7))), ValueError, r"out must be a C-contiguous float64 array of shape \(2, 6, 8\)"),
        (lambda f: hdiff(f, 0.1, out=f), ValueError, "out must not share memory with an input"),
    ],
)  # fmt: skip
def test_hdiff_errors(rng, call, error, match):
    with pytest.raises(error, match=match):
        call(rng.random((2, 6, 8)))


def test_nan_is_reported_with_its_index(rng):
    field = rng.random((2, 6, 8))
    field[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match=r"field must be finite; got nan at index \(1, 2, 3\)"):
        hdiff(field, 0.1)
    u = _vadv_inputs(rng, (3, 4, 6))
    u[2][0, 1, 1] = np.inf
    with pytest.raises(ValueError, match=r"wcon must be finite; got inf at index \(0, 1, 1\)"):
        vadv(*u)


@pytest.mark.parametrize(
    ("edit", "error", "match"),
    [
        (lambda u: u.__setitem__(1, u[1][:, :, :5]), ValueError, r"u_stage must have the shape of utens_stage \(3, 4, 6\); got \(3, 4, 5\)"),
        (lambda u: u.__setitem__(2, u[2][:, :, :4]), ValueError, r"wcon must have shape \(3, 4, 6\) or \(3, 4, 7\)"),
        (lambda u: u.__setitem__(4, u[4].astype(np.float32)), TypeError, "utens must be a float64 array; got float32"),
        (lambda u: u.append(-1.0), ValueError, "dtr_stage must be a positive reciprocal time step in 1/s; got -1.0"),
        (lambda u: u.append("x"), TypeError, "dtr_stage must be a real number; got str"),
    ],
)  # fmt: skip
def test_vadv_errors(rng, edit, error, match):
    u = _vadv_inputs(rng, (3, 4, 6))
    edit(u)
    with pytest.raises(error, match=match):
        vadv(*u)


def test_vadv_needs_two_levels(rng):
    u = _vadv_inputs(rng, (1, 4, 6))
    with pytest.raises(
        ValueError, match="fields need at least 2 levels for the vertical solve; got 1"
    ):
        vadv(*u)


def test_reference_hdiff_pole_is_pad_then_padded(rng):
    field = rng.random((1, 6, 8))
    np.testing.assert_array_equal(
        canonical_reference.hdiff(field, 0.1), canonical_reference.hdiff_padded(pad(field, 2), 0.1)
    )


def _nbytes_array(nbytes):
    """A float64 array of ``nbytes`` bytes that allocates only one element."""
    return np.lib.stride_tricks.as_strided(np.empty(1), (nbytes // 8,), (0,))


def test_streaming_store_rules(monkeypatch):
    # vadv streams outputs over VADV_STREAM_DEFAULT_BYTES; hdiff never does by
    # default; STREAM_MIN_BYTES overrides both
    limit = canonical.VADV_STREAM_DEFAULT_BYTES
    assert not canonical._vadv_streams(_nbytes_array(limit))
    assert canonical._vadv_streams(_nbytes_array(limit + 8))
    assert not canonical._hdiff_streams(_nbytes_array(1 << 40))
    monkeypatch.setattr(canonical, "STREAM_MIN_BYTES", 0)
    assert canonical._vadv_streams(np.empty(1)) and canonical._hdiff_streams(np.empty(1))
    monkeypatch.setattr(canonical, "STREAM_MIN_BYTES", 1 << 62)
    assert not canonical._vadv_streams(_nbytes_array(1 << 40))
    assert not canonical._hdiff_streams(_nbytes_array(1 << 40))
