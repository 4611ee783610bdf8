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
            draws.append(ksg.entropy(rng.multivariate_normal(np.zeros(dims), c, N_GAUSS), seed=d))
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
        for k in (1, 3, 5):
            if len(x) < k + 1:
                continue
            ref = ksg.mi(x, y, k=k, seed=seed, method="npeet")
            fast = ksg.mi(x, y, k=k, seed=seed, method="fast")
            worst = max(worst, abs(ref - fast))
            worst = max(worst, abs(ksg.entropy(x, k, seed, "npeet") - ksg.entropy(x, k, seed, "fast")))
    assert worst < 1e-9


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
    # the jitter is x first, then y, from default_rng(seed): npeet on it reproduces mi
    xj, yj = ksg.jitter([x, y], seed=1)
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
