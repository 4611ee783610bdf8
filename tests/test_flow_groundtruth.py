"""Ground truth end to end: flow + window-shuffle significance (BH) + ranking on planted
layered networks (rnninfo.flow.planted_layers), and the false-edge rate under the null.

The planted networks are lagged (one step per layer), nonlinear (tanh) and driven
by strongly autocorrelated inputs (AR(1) 0.9), the case where the paper's
time-delayed MI difference confounds a source's present with its past. The
measure tested is the pipeline's default, transfer entropy with normal-fit
surrogate p-values (bench/flow.py prints the full table for both measures).
Small networks, 180 samples and 29 surrogates keep each network to about a second.
"""

import numpy as np
from scipy import stats

from rnninfo import flow

MEASURE = "te"
P_METHOD = "normal"
SURROGATES = 29
ALPHA = 0.05
THRESHOLDS = (0.0, 0.02, 0.05, 0.1)


def _significant(res):
    m = res.observed.shape[0]
    off = ~np.eye(m, dtype=bool)
    q = np.full((m, m), np.nan)
    q[off] = flow.bh_qvalues(res.p[off])
    return np.nan_to_num(q, nan=np.inf) <= ALPHA


def test_planted_layers_are_ranked_in_order():
    scores, recall, found = [], [], []
    for seed in range(3):
        act, layers, true = flow.planted_layers(seed, windows=60, T=4)
        res = flow.flow_null(act, k=3, seed=seed, measure=MEASURE, n_surrogates=SURROGATES, p_method=P_METHOD)
        sig = _significant(res)
        for thr in THRESHOLDS:
            adj = flow.adjacency(np.where(sig, res.observed, np.nan), thr)
            ranks = np.round(flow.rank_nodes(adj, tol=1e-10), 6)
            linked = (adj.sum(0) + adj.sum(1)) > 0
            scores.append(flow.adjacent_order(ranks, layers, linked))
            # all-layer-pairs score from the library agrees in direction
            assert flow.order_score(ranks, layers, include=linked, order=flow.PLANTED_ORDER)["all"] >= 0.7
            recall.append((adj & true).sum() / true.sum())
            found.append(adj.sum())
    assert np.nanmean(scores) >= 0.85, scores
    assert np.mean(recall) >= 0.3, recall  # not an order drawn from a nearly empty graph
    assert min(found) >= 4


def test_false_edge_rate_under_the_null_is_at_most_nominal():
    pvals, bh_edges = [], 0
    for seed in range(4):
        rng = np.random.default_rng([99, seed])
        windows, T = 60, 4
        ar = np.zeros((windows * T + 50, 4))
        for t in range(1, len(ar)):
            ar[t] = 0.9 * ar[t - 1] + np.sqrt(1 - 0.81) * rng.standard_normal(4)
        act = np.concatenate([ar[50:].reshape(windows, T, 4), rng.standard_normal((windows, T, 4))], axis=-1)
        res = flow.flow_null(act, k=3, seed=seed, measure=MEASURE, n_surrogates=SURROGATES, p_method=P_METHOD)
        off = ~np.eye(8, dtype=bool)
        pvals.append(res.p[off])
        bh_edges += int(_significant(res).sum())
        # the add-one empirical p-values of the same surrogates are valid by construction
        emp = flow.surrogate_pvalues(res.observed, res.null, "empirical")[off]
        assert (emp >= 1 / (SURROGATES + 1)).all()
    p = np.concatenate(pvals)
    rejected = int((p <= ALPHA).sum())
    # not more false edges than the nominal rate allows (one-sided binomial test at 1%)
    assert stats.binomtest(rejected, p.size, ALPHA, alternative="greater").pvalue > 0.01, (rejected, p.size)
    assert bh_edges <= 1  # BH at 5% under the global null: a false edge in at most ~5% of networks
