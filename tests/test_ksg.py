"""KSG mutual information and KL entropy (rnninfo.ksg) against closed forms and npeet."""

import numpy as np
import pytest

from rnninfo import ksg

N_GAUSS = 5000
DRAWS = 10

# KSG algorithm 1 (k=3) is not unbiased. At n=5000 with two independent pairs of
# correlation 0.9 (a 4-D joint space) its bias alone is +0.0206 +- 0.0021 bits
# (mean over 200 seeded draws; this implementation and npeet agree exactly), so
# the mean of 10 draws (sd ~0.009) exceeds 0.02 about half the time whatever the
# implementation. That one case gets bias + 2 sd of the mean as its bound.
TOLERANCE = {(0.9, 2): 0.04}


def gaussian_pair(rho, dims, n, seed):
    """x, y with `dims` independent (x_i, y_i) pairs, each of correlation rho."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dims))
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, dims))
    return x, y


@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("rho", [0.3, 0.6, 0.9])
def test_mi_correlated_gaussians_match_closed_form(rho, dims):
    true = -0.5 * dims * np.log2(1 - rho**2)  # bits; pairs are independent, so it adds up
    draws = [
        ksg.mi(*gaussian_pair(rho, dims, N_GAUSS, seed=[dims, round(rho * 10), d]), k=3, seed=d)
        for d in range(DRAWS)
    ]
    assert abs(np.mean(draws) - true) < TOLERANCE.get((rho, dims), 0.02), (np.mean(draws), true)


@pytest.mark.parametrize("dims", [1, 2])
def test_mi_independent_is_near_zero(dims):
    draws = []
    for d in range(DRAWS):
        rng = np.random.default_rng([7, dims, d])
        draws.append(ksg.mi(rng.standard_normal((N_GAUSS, dims)), rng.standard_normal((N_GAUSS, dims)), seed=d))
    assert abs(np.mean(draws)) < 0.02
    assert max(abs(v) for v in draws) < 0.06


def test_entropy_of_gaussian_matches_closed_form():
    cov = np.array([[9.0, 4.5], [4.5, 9.0]])
    for dims in (1, 2):
        c = cov[:dims, :dims]
        true = 0.5 * np.log2((2 * np.pi * np.e) ** dims * np.linalg.det(c))
        draws = []
        for d in range(DRAWS):
            rng = np.random.default_rng([11, dims, d])
            sample = rng.multivariate_normal(np.zeros(dims), c, N_GAUSS)
            draws.append(ksg.entropy(sample, seed=d, standardize=False))
            # standardised: the entropy of the z-scored variable, H(X) - sum log2 sd (sd = 3 here)
            z = ksg.entropy(sample, seed=d)
            assert abs(z - (draws[-1] - np.log2(sample.std(axis=0)).sum())) < 0.02
        assert abs(np.mean(draws) - true) < 0.03, (dims, np.mean(draws), true)


def _awkward_data(seed):
    """Samples with ties (rounded, clipped, one-hot), mixed scales and dimensions."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 700))
    dx, dy = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    scale = 10.0 ** rng.integers(-3, 4)
    x = scale * rng.standard_normal((n, dx))
    if seed % 3 == 0:
        x = np.round(x / scale, 1) * scale
    y = np.tanh(x[:, :1] / scale + rng.standard_normal((n, 1))) * np.ones((1, dy)) + 0.1 * rng.standard_normal((n, dy))
    if seed % 4 == 0:
        y = np.clip(y, -0.3, 0.3)
    if seed % 5 == 0:
        y[:, 0] = (y[:, 0] > 0).astype(float)
    return x, y


def test_fast_method_equals_npeet_on_same_jittered_data():
    worst = 0.0
    for seed in range(60):
        x, y = _awkward_data(seed)
        z = np.random.default_rng(seed).standard_normal((len(x), 1 + seed % 2)) + x[:, :1]
        opts = dict(max_duplicate_share=None)  # rounded and one-hot columns repeat by design
        for k in (1, 3, 5):
            if len(x) < k + 1:
                continue
            ref = ksg.mi(x, y, k=k, seed=seed, method="npeet", **opts)
            fast = ksg.mi(x, y, k=k, seed=seed, method="fast", **opts)
            worst = max(worst, abs(ref - fast))
            worst = max(worst, abs(ksg.entropy(x, k, seed, "npeet", **opts) - ksg.entropy(x, k, seed, "fast", **opts)))
            ref = ksg.cmi(x, y, z, k=k, seed=seed, method="npeet", **opts)
            worst = max(worst, abs(ref - ksg.cmi(x, y, z, k=k, seed=seed, method="fast", **opts)))
    assert worst < 1e-9


@pytest.mark.parametrize("dims", [(1, 1), (2, 1), (3, 3), (6, 6), (10, 19)])
def test_dense_and_tree_paths_count_the_same(dims):
    # the fast path picks dense distance matrices or k-d trees by shape; both must give npeet's counts
    rng = np.random.default_rng(sum(dims))
    n = 500
    x = np.round(rng.standard_normal((n, dims[0])), 1)
    y = np.tanh(x[:, :1]) + np.round(rng.standard_normal((n, dims[1])), 1)
    xj, yj = ksg.jitter([x, y], seed=3)
    eps, (cx, cy), nearest = ksg._dense_counts([xj, yj], [(0,), (1,)], 3)
    radius = ksg._kth_distance(np.hstack([xj, yj]), 3) - 1e-15
    assert np.array_equal(eps - 1e-15, radius)
    assert np.array_equal(nearest, ksg._kth_and_nearest(np.hstack([xj, yj]), 3)[1])
    assert np.array_equal(cx, ksg._marginal_counts(xj, radius))
    assert np.array_equal(cy, ksg._marginal_counts(yj, radius))
    assert np.array_equal(ksg._count_tree(xj, radius), ksg._marginal_counts(xj, radius))
    for switch in (1, 10_000):  # scipy's and scikit-learn's trees count the same
        old, ksg._SKLEARN_FROM = ksg._SKLEARN_FROM, switch
        try:
            assert np.array_equal(ksg._count_tree(yj, radius), cy)
        finally:
            ksg._SKLEARN_FROM = old
    ref = ksg.npeet_mi(xj, yj)
    assert abs(ksg.mi_jittered(xj, yj) - ref) < 1e-9


@pytest.mark.parametrize("method", ["npeet", "fast"])
def test_estimates_do_not_depend_on_units(method):
    # the example: raw KSG gave 1.08 bits for (x, y) and 0.001 for (0.01 x + 5, 30 y)
    x, y = gaussian_pair(0.8, 2, 800, seed=5)
    z = x[:, :1] + np.random.default_rng(1).standard_normal((800, 1))
    a = np.array([0.01, 7.0])
    ref = ksg.mi(x, y, seed=2, method=method)
    assert abs(ksg.mi(a * x + np.array([5.0, -3.0]), 30 * y, seed=2, method=method) - ref) < 1e-9
    assert abs(ksg.mi(1e4 * x - 2e4, y / 300, seed=2, method=method) - ref) < 1e-9
    ref_c = ksg.cmi(x, y, z, seed=2, method=method)
    assert abs(ksg.cmi(a * x + 5, 30 * y, 1e-3 * z + 1, seed=2, method=method) - ref_c) < 1e-9
    # raw (unstandardised) estimates do depend on the scale: that is what standardising removes
    raw = ksg.mi(a * x + 5, 30 * y, seed=2, method=method, standardize=False)
    assert abs(raw - ref) > 0.5


def test_cmi_of_gaussians_matches_closed_form():
    # x = z + e1, y = z + e2 (conditionally independent), and y2 = x + z + e3 (dependent given z)
    draws, draws2 = [], []
    for d in range(DRAWS // 2):
        rng = np.random.default_rng([13, d])
        z = rng.standard_normal(N_GAUSS)
        x = z + rng.standard_normal(N_GAUSS)
        y = z + rng.standard_normal(N_GAUSS)
        y2 = x + z + rng.standard_normal(N_GAUSS)
        draws.append(ksg.cmi(x, y, z, seed=d, method="fast"))
        draws2.append(ksg.cmi(x, y2, z, seed=d, method="fast"))
    assert abs(np.mean(draws)) < 0.02
    # given z: x = z + e1 and y2 - z = e1 + e3 -> partial correlation 1/sqrt(2)
    true = -0.5 * np.log2(1 - 0.5)
    assert abs(np.mean(draws2) - true) < 0.03, (np.mean(draws2), true)


def test_duplicated_rows_are_refused_naming_how_many():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 2))
    y = x[:, :1] + rng.standard_normal((300, 1))
    # pooled overlapping windows: every sample enters 3 times
    xp, yp = np.tile(x, (3, 1)), np.tile(y, (3, 1))
    for method in ("fast", "npeet"):  # the fast path reads it off its own neighbour search: same count
        with pytest.raises(ValueError, match=r"x, y: 900 of 900 rows \(100.0%\) have a duplicate"):
            ksg.mi(xp, yp, method=method)
    with pytest.raises(ValueError, match="x, y, z: 900 of 900 rows"):
        ksg.cmi(xp, yp, yp[:, 0] ** 2, method="fast")
    with pytest.raises(ValueError, match="x: 900 of 900 rows"):
        ksg.entropy(xp)
    # the duplicated samples inflate the estimate: what the check protects against
    with pytest.warns(UserWarning, match="900 of 900 rows"):
        inflated = ksg.mi(xp, yp, method="fast", on_duplicates="warn")
    assert inflated > ksg.mi(x, y, method="fast") + 0.25
    # near-exact copies (float noise far below the data's scale) count too
    near = np.vstack([x, x[:40] + 1e-12])
    assert ksg.count_duplicates(near) == 80
    with pytest.raises(ValueError, match=r"80 of 340 rows \(23.5%\)"):
        ksg.mi(near, np.vstack([y, y[:40]]), method="fast")
    # a few repeats below the allowed share pass; the share is configurable; None skips
    few = np.vstack([x, x[:5]]), np.vstack([y, y[:5]])
    assert np.isfinite(ksg.mi(*few, method="fast"))
    with pytest.raises(ValueError, match="10 of 305 rows"):
        ksg.mi(*few, method="fast", max_duplicate_share=0.01)
    assert np.isfinite(ksg.mi(xp, yp, method="fast", max_duplicate_share=None))
    assert ksg.check_duplicates(x, max_share=0.0) == 0
    with pytest.raises(ValueError, match="max_share"):
        ksg.check_duplicates(x, max_share=2.0)


def test_constant_variables_are_reported_never_estimated():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((400, 2))
    y = x[:, :1] + rng.standard_normal((400, 1))
    const = np.full((400, 1), 3.0)
    with pytest.raises(ValueError, match=r"z: column\(s\) \[0\] are constant"):
        ksg.cmi(x, y, const)
    # allowed: a constant carries no information, exactly
    assert ksg.mi(const, y, allow_constant=True) == 0.0
    assert ksg.cmi(x, const, y, allow_constant=True) == 0.0
    assert ksg.cmi(x, y, const, seed=3, allow_constant=True) == ksg.mi(x, y, seed=3)
    # a constant column next to others is left out
    assert ksg.mi(np.hstack([x, const]), y, seed=3, allow_constant=True) == ksg.mi(x, y, seed=3)
    assert np.isnan(ksg.entropy(np.hstack([x, const]), allow_constant=True))


def test_jitter_is_seeded_and_leaves_global_rng_and_npeet_alone():
    import npeet_plus.estimators as npeet

    x, y = gaussian_pair(0.5, 1, 500, seed=3)
    state = np.random.get_state()[1].copy()
    before = npeet.add_noise
    a = ksg.mi(x, y, seed=1)
    assert ksg.mi(x, y, seed=1) == a  # same seed, same value
    assert npeet.add_noise is before  # npeet's own noise switched back on afterwards
    assert np.array_equal(np.random.get_state()[1], state)  # global RNG never drawn from
    # jitter is 1e-10: another seed moves the estimate, but hardly
    b = ksg.mi(x, y, seed=2)
    assert abs(a - b) < 0.05
    # z-scored columns, then the jitter x first, then y, from default_rng(seed): npeet on it reproduces mi
    xj, yj = ksg.jitter([ksg.standardize_columns(x), ksg.standardize_columns(y)], seed=1)
    assert ksg.npeet_mi(xj, yj) == a


def test_count_within_sorted_matches_brute_force_at_rounding_edges():
    rng = np.random.default_rng(0)
    vals = np.round(rng.standard_normal(300), 2) + 1e-10 * rng.random(300)
    s = np.sort(vals)
    # radii exactly at distances to other points: the exact predicate decides
    radius = np.abs(vals - vals[rng.integers(0, 300, 300)]) - 1e-15
    got = ksg.count_within_sorted(s, vals, radius)
    want = (np.abs(vals[None, :] - vals[:, None]) <= radius[:, None]).sum(axis=1)
    assert np.array_equal(got, want)


@pytest.mark.parametrize("method", ["npeet", "fast"])
def test_clear_errors(method):
    x = np.random.default_rng(0).standard_normal((50, 2))
    y = x[:, :1] + 0.1
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="x: 1 non-finite value.*NaN at sample 3, column 1"):
        ksg.mi(bad, y, method=method)
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="y: .*inf"):
        ksg.mi(x, bad, method=method)
    with pytest.raises(ValueError, match="same number of samples.*50 and 49"):
        ksg.mi(x, y[:49], method=method)
    with pytest.raises(ValueError, match="too few samples.*at least k\\+1 = 4, got 3"):
        ksg.mi(x[:3], y[:3], k=3, method=method)
    with pytest.raises(ValueError, match="too few samples"):
        ksg.entropy(x[:2], k=3, method=method)
    with pytest.raises(ValueError, match="k: expected a positive integer"):
        ksg.mi(x, y, k=0, method=method)
    const = x.copy()
    const[:, 1] = 2.0
    with pytest.raises(ValueError, match=r"x: column\(s\) \[1\] are constant"):
        ksg.mi(const, y, method=method)
    assert np.isfinite(ksg.mi(const, y, method=method, allow_constant=True))
    with pytest.raises(ValueError, match="expected a 1-D .* or 2-D"):
        ksg.mi(np.zeros((5, 2, 2)), y[:5], method=method)
    with pytest.raises(ValueError, match="method"):
        ksg.mi(x, y, method="other")
