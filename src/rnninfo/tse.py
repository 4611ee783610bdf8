"""TSE (Tononi-Sporns-Edelman) neural complexity of a set of variables.

For n variables X = (X_1 .. X_n) with multi-information (integration)
``I(X_S) = sum_{i in S} H(X_i) - H(X_S)``,

    TSE(X) = sum_{k=1}^{n} [ (k/n) I(X) - <I(X_S)>_{|S|=k} ]

where <.>_{|S|=k} averages over subsets of size k. The k=1 term is I(X)/n
(a single variable integrates nothing) and the k=n term is 0.

Gaussian estimate (default): ``I(X_S) = (sum_{i in S} log sigma_ii - log det Sigma_SS) / (2 ln 2)``
bits, Sigma the sample covariance. Closed forms used by the tests:

- independent variables: every I(X_S) = 0, so TSE = 0;
- two variables with correlation rho: I = -log2(1 - rho^2) / 2 and
  TSE = (1/2) I + (I - I) = I / 2;
- n equicorrelated variables (rho): det of the k x k block is
  (1 - rho)^(k-1) (1 + (k-1) rho), the same for every subset of size k.

KSG estimate (``estimator="ksg"``, as paper B did with npeet): every entropy is
the Kozachenko-Leonenko k-NN estimate of ``rnninfo.ksg.entropy`` on the
standardised variables (each column z-scored once, so a subset's columns are
z-scored too). Multi-information is then scale-free, like the Gaussian one. It is
biased at small n and high dimension; ``tests/test_tse.py`` bounds the error on
Gaussian closed forms.

When a size has more subsets than ``n_subsets``, that many distinct subsets are
drawn at random from ``rng`` (as paper B did); otherwise all are used (exact).
Both estimators draw the same subsets from the same ``rng`` state.

Near-singular covariances. The Gaussian multi-information is
``-(1/2) log2 det R`` for the correlation matrix R: it diverges as an eigenvalue of
R goes to 0, i.e. when some variables are (nearly) linear functions of others.
A network at paper B's initial weights (uniform +-0.01) is in tanh's linear
range, so its 10 hidden units at the readout step are > 99.9% of variance a
linear map of the last day's inputs, which span only 7 dimensions on the
Seattle test windows (the weather one-hot sums to 1 and "snow" never occurs).
Three eigenvalues of R are 1e-5 .. 1e-3, and the Gaussian TSE is ~50-60 bits:
a statement about the input's rank, not about learning. This is a property of
the estimator (it measures linear redundancy, without bound); no ridge is
added, because any ridge sets the answer. The KSG estimate stays bounded
(~12 bits on the same activity) because it cannot resolve dependence finer
than the k-th-neighbour scale.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Callable

import numpy as np

LN2 = math.log(2.0)


def subsets_of_size(n: int, k: int, n_subsets: int, rng: np.random.Generator) -> list[tuple[int, ...]]:
    """All size-k subsets of range(n) if there are at most ``n_subsets``, else that many distinct random ones (sorted)."""
    total = math.comb(n, k)
    if total <= n_subsets:
        return list(combinations(range(n), k))
    chosen: set[tuple[int, ...]] = set()
    while len(chosen) < n_subsets:
        chosen.add(tuple(sorted(rng.choice(n, size=k, replace=False).tolist())))
    return sorted(chosen)


def gaussian_multi_information(cov: np.ndarray, subset: tuple[int, ...] | None = None) -> float:
    """Multi-information (bits) of a Gaussian with covariance ``cov`` (restricted to ``subset``)."""
    c = cov if subset is None else cov[np.ix_(subset, subset)]
    if len(c) < 2:
        return 0.0
    sign, logdet = np.linalg.slogdet(c)
    if sign <= 0:
        raise ValueError("covariance not positive definite: a variable is constant or a linear combination of others")
    return float((np.log(np.diag(c)).sum() - logdet) / (2 * LN2))


def gaussian_multi_informations(cov: np.ndarray, subsets) -> np.ndarray:
    """:func:`gaussian_multi_information` of ``cov`` restricted to each subset (all of one
    size), batched: the sub-covariances are stacked [S, d, d] and their log-determinants
    come from one ``np.linalg.slogdet`` call (the same LU per matrix; equal to ~1e-12 bits)."""
    idx = np.asarray(subsets, dtype=np.intp)  # [S, d]
    if idx.ndim != 2 or idx.shape[0] == 0:
        raise ValueError(f"subsets: expected a non-empty list of subsets of one size, got shape {idx.shape}")
    if idx.shape[1] < 2:
        return np.zeros(idx.shape[0])
    c = cov[idx[:, :, None], idx[:, None, :]]  # [S, d, d]
    sign, logdet = np.linalg.slogdet(c)
    if np.any(sign <= 0):
        raise ValueError("covariance not positive definite: a variable is constant or a linear combination of others")
    return (np.log(np.diagonal(c, axis1=1, axis2=2)).sum(axis=1) - logdet) / (2 * LN2)


ESTIMATORS = ("gaussian", "ksg")


def draw_subsets(n: int, n_subsets: int, rng: np.random.Generator) -> dict[int, list[tuple[int, ...]]]:
    """The subsets of every size 2 .. n-1 that :func:`tse_complexity` averages over, drawn
    from ``rng`` in its order (:func:`subsets_of_size`): pass them to several estimators."""
    return {size: subsets_of_size(n, size, n_subsets, rng) for size in range(2, n)}


def tse_complexity(
    x: np.ndarray,
    n_subsets: int = 50,
    rng: np.random.Generator | None = None,
    estimator: str = "gaussian",
    entropy: Callable[[np.ndarray], float] | None = None,
    k: int = 3,
    seed: int = 0,
    method: str = "fast",
    on_duplicates: str = "raise",
    subsets: dict[int, list[tuple[int, ...]]] | None = None,
) -> float:
    """TSE complexity (bits) of the columns of ``x`` (samples, n).

    ``estimator="gaussian"`` uses covariance log-determinants (all subsets of one size in one
    batched call, :func:`gaussian_multi_informations`); ``"ksg"`` uses
    k-NN entropies of the standardised columns for every H(X_S) and H(X_i):
    ``rnninfo.ksg.entropy(k=k, seed=seed, method=method, on_duplicates=on_duplicates)``
    unless another ``entropy(samples x dims) -> bits`` is given; with ``method="fast"`` all
    entropies come from one batched call (``rnninfo.ksg.entropies``, the same numbers). ``rng``
    is needed only when some size has more than ``n_subsets`` subsets; ``subsets`` (from
    :func:`draw_subsets` with the same ``n_subsets``) replaces the draws from ``rng``.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must be (samples, variables), got shape {x.shape}")
    m, n = x.shape
    if n < 2:
        return 0.0
    if rng is None and subsets is None:
        rng = np.random.default_rng(0)
    if subsets is None:
        subsets = draw_subsets(n, n_subsets, rng)
    elif sorted(subsets) != list(range(2, n)):
        raise ValueError(f"subsets: expected the sizes 2 .. {n - 1}, got {sorted(subsets)}")
    if estimator == "gaussian":
        if m <= n:
            raise ValueError(f"need more samples than variables for a covariance estimate, got {m} x {n}")
        sd = x.std(axis=0)
        if np.any(sd == 0):
            raise ValueError(f"variables {np.flatnonzero(sd == 0).tolist()} are constant; TSE undefined")
        cov = np.cov(x, rowvar=False)
        integ_many = lambda subs: gaussian_multi_informations(cov, subs)  # noqa: E731
    elif estimator == "ksg":
        sd = x.std(axis=0)
        if np.any(sd == 0):
            raise ValueError(f"variables {np.flatnonzero(sd == 0).tolist()} are constant; TSE undefined")
        from rnninfo import ksg

        z = ksg.standardize_columns(x)                         # (m, n) z-scored once
        if entropy is None and method == "fast":
            every = [(i,) for i in range(n)] + [tuple(range(n))] + [s for subs in subsets.values() for s in subs]
            h = dict(zip(every, ksg.entropies(z, every, k=k, seed=seed, on_duplicates=on_duplicates)))
            entropy_of = h.__getitem__
        else:
            if entropy is None:
                entropy = lambda a: ksg.entropy(a, k=k, seed=seed, method=method,  # noqa: E731
                                                on_duplicates=on_duplicates)
            entropy_of = lambda s: entropy(z[:, list(s)])  # noqa: E731
        h1 = [entropy_of((i,)) for i in range(n)]
        integ_many = lambda subs: np.array([sum(h1[i] for i in s) - entropy_of(s) for s in subs])  # noqa: E731
    else:
        raise ValueError(f"unknown TSE estimator {estimator!r}; use one of {ESTIMATORS}")
    total = float(integ_many([tuple(range(n))])[0])
    tse = total / n  # k = 1 term; k = n term is 0
    # (the loop variable is not ``k``: that is the KSG neighbour count, which an entropy
    # closure over ``k`` would otherwise see change with the subset size)
    for size in range(2, n):
        tse += (size / n) * total - float(np.mean(integ_many(subsets[size])))
    return float(tse)


def tse_equicorrelated(n: int, rho: float) -> float:
    """Closed-form Gaussian TSE (bits) of n unit-variance variables with pairwise correlation rho."""
    integ = lambda k: -((k - 1) * math.log(1 - rho) + math.log(1 + (k - 1) * rho)) / (2 * LN2)  # noqa: E731
    return sum((k / n) * integ(n) - integ(k) for k in range(1, n + 1))
