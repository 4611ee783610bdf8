"""Paper B's information measures on a trained network's test activity (Figs 5-13).

Every measure reads the arrays of ``activations.npz`` (see ``rnninfo.elman``)
and is taken at the readout point, the last step of each test window:

- a neuron's value: hidden unit j or output unit j at step T (one number per window);
- the input: the last day of the window (d_in dims; ``input="last"``, default)
  or the whole window flattened (T * d_in = 63 dims; ``input="window"``). The
  hidden state depends on the whole window, so I(h; last day) is a lower bound
  on I(h; window); but KSG with ~200 samples in 63 + 1 dimensions is dominated
  by its bias (estimates near 0 for every neuron), hence the default;
- the ground truth: tomorrow's targets, z-scored (2 dims).

MI is KSG (``rnninfo.ksg.mi``, bits, multi-dimensional). A neuron's entropy for
the normalised MI (Fig. 7) is, by default, the plug-in entropy of its values in
``entropy_bins`` equal-width bins over its range (bits, >= 0). The differential
(Kozachenko-Leonenko) entropy that ``rnninfo.ksg.entropy`` returns is reported
too, but a tanh unit lives in [-1, 1] so its differential entropy is at most
1 bit and often negative, which makes "MI / entropy" change sign; with
``neuron_entropy="differential"`` the normalised values are NaN wherever the
entropy is <= 0.

Learning indicators and their lead over the error (section 8): for a curve v
at snapshot epochs e_0 < ... < e_K, its progress is
``p(e) = (v(e) - v(e_0)) / (v(e_K) - v(e_0))`` and ``t_q`` the first epoch where
p reaches q (linear interpolation between snapshots; NaN when the curve does not
change). ``lead = t_q(error) - t_q(indicator)``: positive when the indicator
completes a fraction q of its total change that many epochs before the test
error does. The error is the test MSE at the same snapshot epochs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LAYER_INDICATORS = ("mi_hidden_input", "mi_hidden_truth", "mi_output_input", "mi_output_truth")


@dataclass(frozen=True)
class InfoConfig:
    ksg_k: int = 3
    ksg_method: str = "fast"       # "npeet" (reference) or "fast" (same numbers to 1e-9 bits)
    input: str = "last"            # "last" (d_in dims) or "window" (T * d_in dims)
    mi_samples: int | None = None  # subsample test windows for MI (None = all)
    neuron_entropy: str = "binned"  # or "differential"
    entropy_bins: int = 16
    tse_estimator: str = "gaussian"  # or "entropy" (KSG entropies)
    tse_subsets: int = 50
    lead_levels: tuple[float, ...] = (0.5, 0.9)
    root_seed: int = 2024

    @classmethod
    def from_params(cls, p: dict) -> "InfoConfig":
        names = cls.__dataclass_fields__
        kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in p.items() if k in names}
        return cls(**kw)


class _Estimators:
    """KSG MI and entropy (bits) with one config; neurons may be constant (then MI ~ 0)."""

    def __init__(self, cfg: "InfoConfig", seed: int):
        from rnninfo import ksg

        self.ksg, self.k, self.method, self.seed = ksg, cfg.ksg_k, cfg.ksg_method, seed

    def mi(self, a: np.ndarray, b: np.ndarray) -> float:
        return self.ksg.mi(a, b, k=self.k, seed=self.seed, method=self.method, allow_constant=True)

    def entropy(self, a: np.ndarray) -> float:
        return self.ksg.entropy(a, k=self.k, seed=self.seed, method=self.method, allow_constant=True)


def input_matrix(inputs: np.ndarray, mode: str) -> np.ndarray:
    """Test inputs (n, T, d_in) as the MI's input variable: (n, T*d_in) or (n, d_in).

    Columns constant over the test windows (e.g. a weather type that never occurs
    in the test period) carry no information and are dropped: KSG rejects them.
    """
    if mode == "window":
        x = inputs.reshape(len(inputs), -1)
    elif mode == "last":
        x = inputs[:, -1, :]
    else:
        raise ValueError(f"unknown input mode {mode!r}; use 'window' or 'last'")
    return x[:, np.ptp(x, axis=0) > 0]


def sample_rows(n: int, cfg: InfoConfig, seed: int) -> np.ndarray:
    """Rows used for MI: all, or a seeded subsample of ``mi_samples`` (sorted)."""
    if cfg.mi_samples is None or cfg.mi_samples >= n:
        return np.arange(n)
    rng = np.random.default_rng([cfg.root_seed, 0x4D49, seed])  # "MI"
    return np.sort(rng.choice(n, size=cfg.mi_samples, replace=False))


def binned_entropy(v: np.ndarray, bins: int) -> float:
    """Plug-in entropy (bits) of v (n,) in ``bins`` equal-width bins over [min, max]; 0 if constant."""
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        return 0.0
    counts = np.bincount(np.minimum(((v - lo) / (hi - lo) * bins).astype(np.int64), bins - 1), minlength=bins)
    p = counts[counts > 0] / len(v)
    return float(-(p * np.log2(p)).sum())


def neuron_names(n_hidden: int, target_names) -> list[tuple[str, str]]:
    """(name, layer) of every neuron: h0.. then out_<target>."""
    return [(f"h{j}", "hidden") for j in range(n_hidden)] + [(f"out_{t}", "output") for t in target_names]


def neuron_mi(acts: dict, cfg: InfoConfig, seed: int, snapshot: int = -1) -> pd.DataFrame:
    """Figs 5-7: every neuron's MI with the input and the ground truth at one snapshot."""
    est = _Estimators(cfg, seed)
    rows_used = sample_rows(len(acts["targets"]), cfg, seed)
    x = input_matrix(acts["inputs"][rows_used], cfg.input).astype(np.float64)   # (m, dx)
    y = acts["targets"][rows_used].astype(np.float64)                           # (m, 2)
    h = acts["hidden"][snapshot][rows_used, -1, :].astype(np.float64)           # (m, H)
    o = acts["outputs"][snapshot][rows_used, -1, :].astype(np.float64)          # (m, 2)
    values = np.concatenate([h, o], axis=1)                                     # (m, H + 2)
    rows = []
    for j, (name, layer) in enumerate(neuron_names(h.shape[1], acts["target_names"])):
        v = values[:, [j]]
        mi_in, mi_gt = est.mi(v, x), est.mi(v, y)
        h_bin = binned_entropy(v[:, 0], cfg.entropy_bins)
        h_diff = est.entropy(v)
        norm = h_bin if cfg.neuron_entropy == "binned" else h_diff
        ok = norm > 0
        rows.append(dict(
            seed=seed, epoch=int(acts["epochs"][snapshot]), neuron=name, layer=layer,
            mi_input=mi_in, mi_truth=mi_gt, entropy_binned=h_bin, entropy_differential=h_diff,
            mi_input_norm=mi_in / norm if ok else np.nan, mi_truth_norm=mi_gt / norm if ok else np.nan,
        ))
    return pd.DataFrame(rows)


def training_indicators(acts: dict, log: pd.DataFrame, cfg: InfoConfig, seed: int) -> pd.DataFrame:
    """Section 7-9 per snapshot, long format (seed, epoch, indicator, value).

    Indicators: the layer MIs, ``tse_hidden`` (TSE complexity of the hidden
    layer at the readout step), and from the training log the errors and the
    gradient statistics at the same epochs.
    """
    from rnninfo.tse import tse_complexity

    est = _Estimators(cfg, seed)
    rows_used = sample_rows(len(acts["targets"]), cfg, seed)
    x = input_matrix(acts["inputs"][rows_used], cfg.input).astype(np.float64)
    y = acts["targets"][rows_used].astype(np.float64)
    log = log.set_index("epoch")
    rows = []
    for s, epoch in enumerate(acts["epochs"].tolist()):
        h = acts["hidden"][s][rows_used, -1, :].astype(np.float64)    # (m, H)
        o = acts["outputs"][s][rows_used, -1, :].astype(np.float64)   # (m, 2)
        vals = {
            "mi_hidden_input": est.mi(h, x),
            "mi_hidden_truth": est.mi(h, y),
            "mi_output_input": est.mi(o, x),
            "mi_output_truth": est.mi(o, y),
        }
        tse_rng = np.random.default_rng([cfg.root_seed, 0x545345, seed, epoch])  # "TSE"
        entropy = est.entropy if cfg.tse_estimator == "entropy" else None
        vals["tse_hidden"] = tse_complexity(h, cfg.tse_subsets, tse_rng, cfg.tse_estimator, entropy)
        for col in log.columns:
            if col != "seed":
                vals[col] = float(log.loc[epoch, col])
        rows += [dict(seed=seed, epoch=epoch, indicator=k, value=v) for k, v in vals.items()]
    return pd.DataFrame(rows)


def crossing_epoch(epochs: np.ndarray, values: np.ndarray, q: float) -> float:
    """First epoch (interpolated) where a curve completes fraction q of its total change; NaN if flat."""
    epochs = np.asarray(epochs, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    total = v[-1] - v[0]
    if not np.isfinite(total) or abs(total) <= 1e-12 * max(1.0, np.abs(v).max()):
        return float("nan")
    p = (v - v[0]) / total
    hit = np.flatnonzero(p >= q)
    i = int(hit[0])
    if i == 0:
        return float(epochs[0])
    f = (q - p[i - 1]) / (p[i] - p[i - 1])
    return float(epochs[i - 1] + f * (epochs[i] - epochs[i - 1]))


def leads(ind: pd.DataFrame, levels=(0.5, 0.9), error: str = "test_mse") -> pd.DataFrame:
    """Lead (epochs) of every indicator over the error curve, per seed and level q."""
    rows = []
    for seed, g in ind.groupby("seed", sort=True):
        wide = g.pivot(index="epoch", columns="indicator", values="value").sort_index()
        ep = wide.index.to_numpy()
        for q in levels:
            t_err = crossing_epoch(ep, wide[error].to_numpy(), q)
            for name in wide.columns:
                if name == error:
                    continue
                t_ind = crossing_epoch(ep, wide[name].to_numpy(), q)
                rows.append(dict(seed=seed, indicator=name, level=q, epoch_indicator=t_ind,
                                 epoch_error=t_err, lead=t_err - t_ind))
    return pd.DataFrame(rows)


def summarize(df: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Mean, sd (ddof=1), median and count of ``value`` over seeds, per ``by``."""
    g = df.groupby(by, sort=True)[value]
    out = g.agg(["count", "mean", "std", "median", "min", "max"]).reset_index()
    return out.rename(columns={"count": "n", "std": "sd"})


def mi_correlations(nmi: pd.DataFrame) -> pd.DataFrame:
    """Figs 5-7: correlation of MI with input vs with truth, per seed and pooled."""
    from scipy import stats

    rows = []
    groups = [(s, g) for s, g in nmi.groupby("seed", sort=True)] + [("pooled", nmi)]
    for seed, g in groups:
        for subset, sel in (("all", g), ("hidden", g[g.layer == "hidden"])):
            for kind, a, b in (("raw", "mi_input", "mi_truth"), ("normalized", "mi_input_norm", "mi_truth_norm")):
                d = sel[[a, b]].dropna()
                ok = len(d) >= 3 and d[a].std() > 0 and d[b].std() > 0
                rows.append(dict(
                    seed=str(seed), neurons=subset, kind=kind, n=len(d),
                    pearson=stats.pearsonr(d[a], d[b])[0] if ok else np.nan,
                    spearman=stats.spearmanr(d[a], d[b])[0] if ok else np.nan,
                ))
    return pd.DataFrame(rows)


def elman_test_error(acts: dict, seed: int, snapshot: int = -1) -> pd.DataFrame:
    """Test MAE / RMSE in original units per target, at the readout step of one snapshot."""
    pred = acts["outputs"][snapshot][:, -1, :].astype(np.float64)
    err = (pred - acts["targets"].astype(np.float64)) * acts["target_std"]
    return pd.DataFrame(dict(
        model="elman", seed=seed, epoch=int(acts["epochs"][snapshot]), target=acts["target_names"].tolist(),
        mae=np.abs(err).mean(axis=0), rmse=np.sqrt((err ** 2).mean(axis=0)),
    ))


def baseline_errors(data) -> pd.DataFrame:
    """Persistence (tomorrow = today), linear regression on the flattened window, training mean."""
    from sklearn.linear_model import LinearRegression

    truth = data.to_degrees(data.y_test.astype(np.float64))                  # (n, n_targets)
    x_tr = data.x_train.reshape(len(data.x_train), -1).astype(np.float64)
    x_te = data.x_test.reshape(len(data.x_test), -1).astype(np.float64)
    lin = LinearRegression().fit(x_tr, data.y_train.astype(np.float64))
    preds = {
        "persistence": data.raw_test_today,
        "linear": data.to_degrees(lin.predict(x_te)),
        "train_mean": np.broadcast_to(data.target_mean, truth.shape),
    }
    rows = []
    for model, p in preds.items():
        err = p - truth
        for j, t in enumerate(data.target_names):
            rows.append(dict(model=model, target=t, mae=float(np.abs(err[:, j]).mean()),
                             rmse=float(np.sqrt((err[:, j] ** 2).mean()))))
    return pd.DataFrame(rows)
