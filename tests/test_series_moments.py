"""Moments, fit_stream and polyfit.dask.fit with a 2-D y (issue 15): each series'
statistics are its own 1-D statistics, kept exactly, and the fit on them is
the in-memory 2-D fit's (bit for bit from one chunk, to the rounding of the
chunks' sums from many)."""

import dask
import dask.array as da
import numpy as np
import pytest
from test_series import assert_bits, quiet, series_data

import polyfit
import polyfit.dask


def chunks_of(x, y, weights, cuts):
    """(x, y, w) pieces split at the row indices `cuts`."""
    pieces = [np.split(x, cuts), np.split(y, cuts)]
    pieces.append([None] * (len(cuts) + 1) if weights is None else np.split(weights, cuts))
    return list(zip(*pieces, strict=True))


WEIGHTS = {
    "none": lambda n, k: None,
    "per sample": lambda n, k: np.random.default_rng(5).uniform(0.5, 2.0, n),
    "per value": lambda n, k: np.random.default_rng(6).uniform(0.5, 2.0, (n, k)),
}


@pytest.mark.parametrize("mode", list(WEIGHTS))
def test_one_chunk_is_the_in_memory_fit_bit_for_bit(mode):
    x, y = series_data(n=400, k=6)
    weights = WEIGHTS[mode](400, 6)
    domain = (float(x.min()), float(x.max()))
    stats = polyfit.Moments(3, domain=domain).update(x, y, sample_weight=weights)
    assert stats.series == 6 and stats.stats.shape == (6, 12)
    fitted = quiet(stats.fit, epochs=300)
    in_memory = quiet(polyfit.fit, x, y, 3, method="moments", epochs=300, sample_weight=weights)
    for name in ("coef", "scaled_coef", "losses", "loss"):
        assert_bits(getattr(fitted, name), getattr(in_memory, name))
    assert (fitted.lr, fitted.domain) == (in_memory.lr, in_memory.domain)
    np.testing.assert_allclose(fitted.optimal_loss, in_memory.optimal_loss, rtol=1e-12)


@pytest.mark.parametrize("mode", list(WEIGHTS))
def test_each_series_statistics_are_its_own(mode):
    x, y = series_data(n=700, k=4, seed=3, dtype=np.float32)
    weights = WEIGHTS[mode](700, 4)
    if weights is not None:
        weights[::7] = 0.0  # dropped samples too
    many = polyfit.Moments(5, domain=(0.0, 10.0))
    for a, b, w in chunks_of(x, y, weights, [100, 450]):
        many.update(a, b, sample_weight=w)
    for c in range(4):
        one = polyfit.Moments(5, domain=(0.0, 10.0))
        for a, b, w in chunks_of(x, y[:, c].copy(), weights, [100, 450]):
            if w is not None and w.ndim == 2:
                w = w[:, c].copy()
            one.update(a, b, sample_weight=w)
        assert_bits(many.stats[c], one.stats)
        assert many.count[c] == one.count and many.x_range == one.x_range


def test_chunks_merge_exactly_and_fit_stream_is_the_loop():
    x, y = series_data(n=3000, k=5, seed=9)
    weights = WEIGHTS["per value"](3000, 5)
    domain = (float(x.min()), float(x.max()))  # the window of the in-memory fit
    parts = chunks_of(x, y, weights, [400, 1000, 2100])
    pieces = [polyfit.Moments(3, domain).update(a, b, sample_weight=w) for a, b, w in parts]
    chained = polyfit.Moments(3, domain)
    for a, b, w in parts:
        chained.update(a, b, sample_weight=w)
    a, b, c, d = pieces
    assert sum(pieces) == chained == ((a + b) + (c + d)) == d.merge(c.merge(b.merge(a)))
    assert chained.count.tolist() == [3000] * 5 and chained.weighted
    looped = quiet(chained.fit, epochs=500)
    streamed = quiet(polyfit.fit_stream, parts, 3, domain=domain, epochs=500)
    for name in ("coef", "losses", "loss", "optimal_loss"):
        assert_bits(getattr(streamed, name), getattr(looped, name))
    in_memory = quiet(polyfit.fit, x, y, 3, method="moments", epochs=500, sample_weight=weights)
    np.testing.assert_allclose(looped.coef, in_memory.coef, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(looped.losses, in_memory.losses, rtol=1e-9)


def test_save_and_load_keep_every_series_exactly(tmp_path):
    x, y = series_data(n=500, k=3)
    weights = WEIGHTS["per value"](500, 3)
    weights[:, 1] = np.where(np.arange(500) % 2 == 0, 0.0, weights[:, 1])
    stats = polyfit.Moments(2, domain=(0.0, 10.0)).update(x, y, sample_weight=weights)
    assert stats.count.tolist() == [500, 250, 500]
    stats.save(tmp_path / "many.npz")
    loaded = polyfit.Moments.load(tmp_path / "many.npz")
    assert loaded == stats and loaded.series == 3 and loaded.weighted
    assert_bits(loaded.stats, stats.stats)
    assert repr(loaded) == repr(stats) and "series=3, count=[500, 250, 500]" in repr(stats)
    assert_bits(quiet(loaded.fit, epochs=50).coef, quiet(stats.fit, epochs=50).coef)
    with np.load(tmp_path / "many.npz") as archive:
        fields = dict(archive)
    fields["count"] = np.array([500, 0, 500])  # weighted: S_0 > 0 exactly when count is
    np.savez(tmp_path / "bad.npz", **fields)
    with pytest.raises(ValueError, match=r"'sums' does not match field 'count' for series 1"):
        polyfit.Moments.load(tmp_path / "bad.npz")
    fields["count"] = np.array([500, 250])
    np.savez(tmp_path / "bad.npz", **fields)
    with pytest.raises(ValueError, match=r"field 'count' has shape \(2,\)"):
        polyfit.Moments.load(tmp_path / "bad.npz")
    fields["count"] = np.array([500, 250, 500])
    fields["sums"] = fields["sums"].copy()
    fields["sums"][2, 4] = "1/3"
    np.savez(tmp_path / "bad.npz", **fields)
    with pytest.raises(ValueError, match=r"field 'sums'\[2, 4\] holds '1/3'"):
        polyfit.Moments.load(tmp_path / "bad.npz")


def test_an_empty_file_loads_as_new_moments_for_either_y(tmp_path):
    polyfit.Moments(2, domain=(0.0, 1.0)).save(tmp_path / "empty.npz")
    loaded = polyfit.Moments.load(tmp_path / "empty.npz")
    assert loaded == polyfit.Moments(2, domain=(0.0, 1.0)) and loaded.series is None
    loaded.update([0.0, 0.5, 1.0], np.ones((3, 2)))
    assert loaded.series == 2


def test_every_chunk_must_have_as_many_series_and_bad_chunks_add_nothing():
    x, y = series_data(n=60, k=3)
    stats = polyfit.Moments(2, domain=(0.0, 10.0)).update(x, y)
    before = stats.stats.copy()
    with pytest.raises(ValueError, match=r"this chunk has one series \(a 1-D y\), these Moments "):
        stats.update(x, y[:, 0])
    with pytest.raises(ValueError, match=r"this chunk has 2 series .* these Moments 3 series"):
        stats.update(x, y[:, :2])
    with pytest.raises(ValueError, match=r"the other Moments has 4 series"):
        stats + polyfit.Moments(2, domain=(0.0, 10.0)).update(x, np.tile(y[:, :1], (1, 4)))
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(60,\) .* \(60, 3\)"):
        stats.update(x, y, sample_weight=np.ones((60, 2)))
    bad = y.copy()
    bad[7, 1] = np.nan
    with pytest.raises(ValueError, match=r"y must be finite; y\[7, 1\] is nan"):
        stats.update(x, bad)
    outside = x.copy()
    outside[5] = 11.0
    with pytest.raises(ValueError, match=r"x\[5\] = 11.0 is outside the domain"):
        stats.update(outside, y)
    weights = np.ones((60, 3))
    weights[5] = 0.0  # a sample no series counts may lie anywhere (finite)
    stats.update(outside, y, sample_weight=weights)
    assert stats.count.tolist() == [119, 119, 119]
    assert stats.stats.shape == before.shape


def test_a_series_without_weight_cannot_be_fitted():
    x, y = series_data(n=40, k=3)
    weights = np.ones((40, 3))
    weights[:, 2] = 0.0
    stats = polyfit.Moments(1, domain=(0.0, 10.0)).update(x, y, sample_weight=weights)
    with pytest.raises(ValueError, match=r"series 2 \(y\[:, 2\]\) has weight 0 in every sample"):
        stats.fit()


def test_unscaled_statistics_of_many_series():
    x, y = series_data(n=500, k=3, low=-1.0, high=1.0)
    stats = polyfit.Moments(4, domain=None).update(x, y)
    fitted = quiet(stats.fit, epochs=200)
    in_memory = quiet(polyfit.fit, x, y, 4, method="moments", epochs=200, scale=False)
    for name in ("coef", "losses", "loss"):
        assert_bits(getattr(fitted, name), getattr(in_memory, name))
    np.testing.assert_allclose(fitted.optimal_loss, in_memory.optimal_loss, rtol=1e-10)


@pytest.mark.parametrize("mode", list(WEIGHTS))
def test_dask_fit_of_many_series_equals_the_in_memory_fit(mode):
    x, y = series_data(n=20_000, k=5, seed=2)
    weights = WEIGHTS[mode](20_000, 5)
    dy = da.from_array(y, chunks=(3000, 2))  # chunked along both axes: rechunked to rows
    dw = None
    if weights is not None:
        dw = da.from_array(weights, chunks=(7000,) + ((2,) if weights.ndim == 2 else ()))
    with dask.config.set(scheduler="synchronous"):
        result = quiet(
            polyfit.dask.fit, da.from_array(x, chunks=4000), dy, 3, epochs=400, sample_weight=dw
        )
    in_memory = quiet(polyfit.fit, x, y, 3, method="moments", epochs=400, sample_weight=weights)
    assert result.coef.shape == (4, 5) and result.domain == in_memory.domain
    np.testing.assert_allclose(result.coef, in_memory.coef, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.losses, in_memory.losses, rtol=1e-9)
    np.testing.assert_allclose(result.optimal_loss, in_memory.optimal_loss, rtol=1e-9)


def test_dask_names_a_bad_value_of_many_series_by_its_index():
    x, y = series_data(n=10_000, k=3)
    y[7_123, 2] = np.inf
    weights = np.ones((10_000, 3))
    weights[9_001, 1] = -1.0
    with dask.config.set(scheduler="synchronous"):
        with pytest.raises(ValueError, match=r"y must be finite; y\[7123, 2\] is inf .*7000"):
            polyfit.dask.fit(da.from_array(x, chunks=1000), da.from_array(y, chunks=(1000, 3)))
        with pytest.raises(ValueError, match=r"sample_weight\[9001, 1\] is -1.0"):
            polyfit.dask.fit(
                da.from_array(x, chunks=1000),
                da.from_array(series_data(n=10_000, k=3)[1], chunks=(1000, 3)),
                sample_weight=da.from_array(weights, chunks=(1000, 3)),
            )
        with pytest.raises(ValueError, match=r"sample_weight must have shape \(10000,\)"):
            polyfit.dask.fit(
                da.from_array(x, chunks=1000),
                da.from_array(y, chunks=(1000, 3)),
                sample_weight=da.ones((10_000, 2)),
            )
        with pytest.raises(ValueError, match=r"y must be 1-D or 2-D, got an array of shape"):
            polyfit.dask.fit(da.from_array(x, chunks=1000), da.ones((10_000, 2, 2)))
