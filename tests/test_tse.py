"""TSE complexity (rnninfo.tse) against closed forms."""

import math
from itertools import combinations

import numpy as np
import pytest

from rnninfo import ksg
from rnninfo.tse import (
    draw_subsets,
    gaussian_multi_information,
    gaussian_multi_informations,
    subsets_of_size,
    tse_complexity,
    tse_equicorrelated,
)


def samples_with_covariance(cov, m=500, seed=0):
    """m samples whose sample covariance (ddof=1) is exactly ``cov``."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((m, len(cov)))
    z -= z.mean(axis=0)
    white = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False)).T)  # sample cov = I
    return white @ np.linalg.cholesky(cov).T


def gaussian_entropy(x):
    """Differential entropy (bits) of a Gaussian with x's sample covariance."""
    c = np.atleast_2d(np.cov(x, rowvar=False))
    return 0.5 * math.log2((2 * math.pi * math.e) ** len(c) * np.linalg.det(c))


def test_independent_variables_have_zero_tse():
    x = samples_with_covariance(np.diag([1.0, 4.0, 0.25, 9.0, 2.0]))
    assert tse_complexity(x, n_subsets=1000) == pytest.approx(0.0, abs=1e-10)


def test_two_variables_tse_is_half_the_integration():
    # n = 2: k=1 term (1/2) I - 0, k=2 term I - I = 0, so TSE = I/2 = -log2(1 - rho^2) / 4
    rho = 0.6
    x = samples_with_covariance(np.array([[2.0, rho * 2.0], [rho * 2.0, 2.0]]))
    assert tse_complexity(x) == pytest.approx(-math.log2(1 - rho**2) / 4, abs=1e-10)


@pytest.mark.parametrize("n_subsets", [1000, 3])
def test_equicorrelated_closed_form(n_subsets):
    # every subset of a size has the same integration: random subsets are exact too
    n, rho = 7, 0.4
    cov = np.full((n, n), rho) + (1 - rho) * np.eye(n)
    x = samples_with_covariance(cov * 3.0)  # the scale cancels
    got = tse_complexity(x, n_subsets=n_subsets, rng=np.random.default_rng(1))
    assert got == pytest.approx(tse_equicorrelated(n, rho), abs=1e-9)
    # and the closed form of the 2-variable case
    assert tse_equicorrelated(2, rho) == pytest.approx(-math.log2(1 - rho**2) / 4)


def test_exhaustive_tse_matches_the_definition_for_a_random_covariance():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((5, 5))
    cov = a @ a.T + 0.5 * np.eye(5)
    x = samples_with_covariance(cov)
    n = 5

    def integ(s):  # multi-information from the definition: sum of marginal entropies - joint entropy
        c = cov[np.ix_(s, s)]
        return 0.5 * (np.log2(np.diag(c)).sum() - np.log2(np.linalg.det(c)))

    want = sum((k / n) * integ(list(range(n))) - np.mean([integ(list(s)) for s in combinations(range(n), k)])
               for k in range(1, n + 1))
    assert tse_complexity(x, n_subsets=1000) == pytest.approx(want, abs=1e-9)
    # the entropy route with Gaussian entropies gives the same number
    assert tse_complexity(x, n_subsets=1000, estimator="ksg", entropy=gaussian_entropy) == pytest.approx(want, abs=1e-9)
    assert gaussian_multi_information(cov) == pytest.approx(integ(list(range(n))))


def test_random_subsets_are_distinct_seeded_and_bounded():
    a = subsets_of_size(10, 4, 20, np.random.default_rng(5))
    b = subsets_of_size(10, 4, 20, np.random.default_rng(5))
    assert a == b and len(set(a)) == 20 and all(len(s) == 4 and list(s) == sorted(s) for s in a)
    assert len(subsets_of_size(10, 9, 20, np.random.default_rng(5))) == 10  # all of them


def gaussian_samples(cov, m, seed):
    return np.random.default_rng(seed).multivariate_normal(np.zeros(len(cov)), cov, size=m)


def test_ksg_tse_of_independent_gaussians_is_near_zero():
    # truth 0; measured |TSE| <= 0.03 bits at m = 1000 over 3 seeds, in any units
    x = gaussian_samples(np.diag([1.0, 4.0, 0.01, 9.0, 100.0]), 1000, seed=1)
    assert abs(tse_complexity(x, n_subsets=1000, estimator="ksg")) < 0.1


@pytest.mark.parametrize("seed", [0, 1])
def test_ksg_tse_matches_the_gaussian_closed_form(seed):
    # equicorrelated: analytic TSE 0.868 bits (n = 5, rho = 0.5); KSG at m = 1000 measured 0.79-0.91
    n, rho = 5, 0.5
    scale = np.arange(1, n + 1, dtype=np.float64)
    cov = (np.full((n, n), rho) + (1 - rho) * np.eye(n)) * np.outer(scale, scale)  # unequal units
    got = tse_complexity(gaussian_samples(cov, 1000, seed), n_subsets=1000, estimator="ksg", seed=seed)
    assert got == pytest.approx(tse_equicorrelated(n, rho), abs=0.15)
    # a random covariance: analytic TSE from the Gaussian formula on the true covariance
    a = np.random.default_rng(10 + seed).standard_normal((4, 4))
    cov = a @ a.T + 0.5 * np.eye(4)
    x = gaussian_samples(cov, 1000, seed)
    want = tse_complexity(samples_with_covariance(cov), n_subsets=1000)  # sample cov == cov exactly
    got = tse_complexity(x, n_subsets=1000, estimator="ksg", seed=seed)
    assert want > 0.3 and got == pytest.approx(want, abs=0.15)


def test_ksg_tse_is_scale_free_and_seeded():
    x = gaussian_samples(np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.4], [0.2, 0.4, 1.0]]), 300, seed=2)
    base = tse_complexity(x, estimator="ksg", seed=4)
    assert tse_complexity(x * [0.01, 3.0, 50.0] + 7.0, estimator="ksg", seed=4) == pytest.approx(base, abs=1e-9)
    assert tse_complexity(x, estimator="ksg", seed=4) == base


def test_unknown_estimator_is_named():
    with pytest.raises(ValueError, match="unknown TSE estimator 'entropy'"):
        tse_complexity(np.random.default_rng(0).standard_normal((50, 3)), estimator="entropy")


@pytest.mark.parametrize("estimator", ["gaussian", "ksg"])
def test_constant_variable_is_an_error(estimator):
    x = np.random.default_rng(0).standard_normal((50, 3))
    x[:, 1] = 2.0
    with pytest.raises(ValueError, match=r"variables \[1\] are constant"):
        tse_complexity(x, estimator=estimator)


def test_batched_gaussian_integration_equals_one_log_det_per_subset():
    rng = np.random.default_rng(11)
    a = rng.standard_normal((8, 8))
    cov = a @ a.T + 0.1 * np.eye(8)
    subsets = draw_subsets(8, 12, np.random.default_rng(2))
    for size, subs in subsets.items():
        want = [gaussian_multi_information(cov, s) for s in subs]
        assert np.max(np.abs(gaussian_multi_informations(cov, subs) - want)) < 1e-12
    assert np.all(gaussian_multi_informations(cov, [(0,), (3,)]) == 0.0)
    singular = cov.copy()
    singular[1], singular[:, 1] = cov[0], cov[:, 0]  # variable 1 = variable 0
    with pytest.raises(ValueError, match="positive definite"):
        gaussian_multi_informations(singular, [(0, 1), (2, 3)])


def test_gaussian_tse_equals_the_per_subset_sum():
    # the batched path against the previous one: one log-det per subset, averaged per size
    rng = np.random.default_rng(5)
    x = np.tanh(rng.standard_normal((219, 10)) @ rng.standard_normal((10, 10)))
    subsets = draw_subsets(10, 50, np.random.default_rng([2024, 0]))
    cov = np.cov(x, rowvar=False)
    total = gaussian_multi_information(cov)
    want = total / 10 + sum((m / 10) * total - np.mean([gaussian_multi_information(cov, s) for s in subsets[m]])
                            for m in range(2, 10))
    assert tse_complexity(x, 50, subsets=subsets) == pytest.approx(want, abs=1e-12)


def test_ksg_tse_standardised_once_equals_per_subset_standardising():
    # the batched KSG entropies z-score the layer once; the previous path z-scored every subset
    # separately (ksg.entropy on z[:, s]): float rounding only (~1 ulp in the points)
    rng = np.random.default_rng(8)
    x = np.tanh(3 * rng.standard_normal((219, 10)) @ rng.standard_normal((10, 10)))
    x[:, 4] = np.clip(x[:, 4], -0.6, 0.6)  # saturated: ties
    subsets = draw_subsets(10, 50, np.random.default_rng([2024, 1]))
    z = ksg.standardize_columns(x)
    with pytest.warns(UserWarning):
        h = {s: ksg.entropy(z[:, list(s)], k=3, seed=4, method="fast", on_duplicates="warn")
             for s in [(i,) for i in range(10)] + [tuple(range(10))] + [s for v in subsets.values() for s in v]}
    integ = lambda s: sum(h[(i,)] for i in s) - h[s]  # noqa: E731
    total = integ(tuple(range(10)))
    want = total / 10 + sum((m / 10) * total - np.mean([integ(s) for s in subsets[m]]) for m in range(2, 10))
    with pytest.warns(UserWarning):
        got = tse_complexity(x, 50, None, "ksg", k=3, seed=4, on_duplicates="warn", subsets=subsets)
    assert got == pytest.approx(want, abs=1e-12)

