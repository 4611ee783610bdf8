"""The compiled KSG kernels (rnninfo.knn) give the same numbers as the plain paths they replace:
flow matrices and surrogate matrices (flow engine "compiled" vs "plain"), the dense KSG pass
(compiled vs scipy cdist), batched subset entropies and TSE (batched vs one entropy call each)."""

import numpy as np
import pytest

from rnninfo import flow, ksg, tse
from test_flow import _awkward_activity


@pytest.mark.parametrize("measure", ["tdmi", "te"])
def test_compiled_flow_null_equals_plain_path(measure):
    act = _awkward_activity(seed=3, windows=30, T=3)  # ties: saturated, one-hot, rounded; a constant node
    out = {}
    for engine in flow.ENGINES:
        with pytest.warns(UserWarning, match="constant"):
            out[engine] = flow.flow_null(act, k=3, seed=[5, 1], measure=measure, n_surrogates=4,
                                         workers=2, p_method="normal", engine=engine)
    for name in ("observed", "null", "p"):
        got, want = getattr(out["compiled"], name), getattr(out["plain"], name)
        assert np.array_equal(np.isnan(got), np.isnan(want)), name
        assert np.nanmax(np.abs(got - want)) < 1e-12, name
    assert np.isfinite(out["compiled"].null[:, 0, 1]).all()  # the surrogates were computed


def test_compiled_flow_terms_equal_plain_terms():
    act = _awkward_activity(seed=4, windows=25, T=4)
    with pytest.warns(UserWarning):
        got = flow.flow_terms(act, k=4, seed=2, measure="te", engine="compiled")
    with pytest.warns(UserWarning):
        want = flow.flow_terms(act, k=4, seed=2, measure="te", engine="plain")
    for name in ("mi_next", "mi_now", "te"):
        g, w = getattr(got, name), getattr(want, name)
        assert np.array_equal(np.isnan(g), np.isnan(w)) and np.nanmax(np.abs(g - w)) < 1e-12, name
    with pytest.raises(ValueError, match="engine"):
        flow.flow_terms(act, engine="tree")


@pytest.mark.parametrize("dims", [(1, 1, 1), (3, 2, 1), (10, 8, 2)])
def test_compiled_dense_pass_equals_cdist(dims, monkeypatch):
    rng = np.random.default_rng(sum(dims))
    n = 90
    x = rng.standard_normal((n, dims[0]))
    x[:, 0] = np.round(x[:, 0])  # ties, broken only by the jitter
    y = np.tanh(x[:, :1]) + rng.standard_normal((n, dims[1]))
    z = rng.standard_normal((n, dims[2]))
    values = {}
    for engine in ("compiled", "cdist"):
        monkeypatch.setattr(ksg, "DENSE_ENGINE", engine)
        values[engine] = [
            ksg.mi(x, y, method="fast", max_duplicate_share=None),
            ksg.cmi(x, y, z, method="fast", max_duplicate_share=None),
            ksg.entropy(x, method="fast", max_duplicate_share=None),
        ]
    assert np.max(np.abs(np.subtract(values["compiled"], values["cdist"]))) < 1e-12
    assert abs(values["compiled"][0] - ksg.mi(x, y, method="npeet", max_duplicate_share=None)) < 1e-9


def test_batched_entropies_equal_one_call_each():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((120, 6)) @ rng.standard_normal((6, 6))
    x[:, 2] = np.clip(x[:, 2], -0.5, 0.5)  # saturated: ties
    subsets = [(0,), (2,), (0, 1), (2, 4), (1, 3, 5), (0, 1, 2, 3), tuple(range(6))]
    with pytest.warns(UserWarning, match="have a duplicate"):  # the saturated column alone: judged alike
        got = ksg.entropies(x, subsets, k=3, seed=7, on_duplicates="warn")
    with pytest.warns(UserWarning, match="have a duplicate"):
        want = [ksg.entropy(x[:, list(s)], k=3, seed=7, method="fast", on_duplicates="warn") for s in subsets]
    assert np.max(np.abs(got - want)) < 1e-12
    with pytest.raises(ValueError, match="subset"):
        ksg.entropies(x, [(0, 6)])


@pytest.mark.parametrize("k", [3, 5])
def test_batched_ksg_tse_equals_one_entropy_call_per_subset(k):
    rng = np.random.default_rng(k)
    x = np.tanh(rng.standard_normal((150, 7)) @ rng.standard_normal((7, 7)))
    subsets = tse.draw_subsets(7, 10, np.random.default_rng(1))
    fast = tse.tse_complexity(x, 10, None, "ksg", k=k, seed=3, subsets=subsets)
    # one ksg.entropy call per subset, with the KSG k fixed for every subset size
    plain = tse.tse_complexity(x, 10, None, "ksg", k=k, seed=3, subsets=subsets,
                               entropy=lambda a: ksg.entropy(a, k=k, seed=3, method="fast"))
    assert fast == pytest.approx(plain, abs=1e-12)
    # the subsets drawn inside equal draw_subsets from the same generator state
    assert tse.tse_complexity(x, 10, np.random.default_rng(1), "ksg", k=k, seed=3) == fast
