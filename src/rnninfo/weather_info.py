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

Learning indicators (section 7-9) are taken at every snapshot of the training
schedule (``epochs``: fractional epochs, ``updates``: optimizer updates, when the
activations carry them): the four layer MIs, each twice, on the raw activity
(``standardize=False``: KSG with the max-norm depends on the variables' scales,
so a layer whose activations grow from paper B's +-0.01 start gains "MI" from
scale alone) and standardised (``standardize=True``: every dimension z-scored,
scale-free); TSE complexity of the hidden layer by each configured estimator
(``rnninfo.tse``); the test error at the readout step (computed from the
snapshot itself); gradient statistics per layer when the activations carry
them (``grad_mean`` / ``grad_std`` (K, L) with ``grad_layers``), and the
training log's other error columns at the same snapshots. MI samples are the test
windows' last steps: one distinct day each, so every sample enters once.

Lead of an indicator over the error (:func:`share_positions`, :func:`leads`). Each curve v_0..v_K
(one seed) is smoothed by a centred moving average of ``smooth`` snapshots
(shrinking at the ends); its net change is ``s_K - s_0``. If that is below
``noise_factor`` times the curve's noise (std of the raw points in the last
``noise_tail`` share of snapshots), the curve has no lead time: NaN with reason
``below noise`` (the same when the error curve has none: the lead is then NaN
with reason ``error below noise``). Otherwise the smoothed curve's monotone envelope (running max
if it rises, running min if it falls) gives progress
``p = (env - s_0) / (s_K - s_0)``, non-decreasing, and ``t_q`` is where p first
reaches q (linear interpolation between snapshots), in epochs and in updates.
A curve that overshoots and comes back reaches q when it first got there,
whatever it did later: the first crossing is unique. ``lead = t_q(error) -
t_q(indicator)``: positive when the indicator gets a share q of the way before
the test error does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LAYER_INDICATORS = ("mi_hidden_input", "mi_hidden_truth", "mi_output_input", "mi_output_truth")
ERROR = "test_mse"


@dataclass(frozen=True)
class InfoConfig:
    ksg_k: int = 3
    ksg_method: str = "fast"       # "npeet" (reference) or "fast" (same numbers to 1e-9 bits)
    input: str = "last"            # "last" (d_in dims) or "window" (T * d_in dims)
    mi_samples: int | None = None  # subsample test windows for MI (None = all)
    neuron_entropy: str = "binned"  # or "differential"
    entropy_bins: int = 16
    tse_estimators: tuple[str, ...] = ("gaussian", "ksg")
    tse_subsets: int = 50
    root_seed: int = 2024

    @classmethod
    def from_params(cls, p: dict) -> "InfoConfig":
        """From the weather config's keys; ``tse: {estimator, subsets}`` is the nested TSE block."""
        names = cls.__dataclass_fields__
        kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in p.items() if k in names}
        tse = p.get("tse", {})
        if "estimator" in tse:
            est = tse["estimator"]
            kw["tse_estimators"] = (est,) if isinstance(est, str) else tuple(est)
        if "subsets" in tse:
            kw["tse_subsets"] = tse["subsets"]
        return cls(**kw)


@dataclass(frozen=True)
class LeadConfig:
    shares: tuple[float, ...] = (0.25, 0.5, 0.75)
    smooth: int = 5            # snapshots in the centred moving average
    noise_tail: float = 0.2    # share of the last snapshots whose std is the noise
    noise_factor: float = 2.0  # net change must exceed this many noise std

    @classmethod
    def from_params(cls, p: dict) -> "LeadConfig":
        names = cls.__dataclass_fields__
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in p.items() if k in names})


#: The samples are the test windows' last steps, one distinct day each: rows that repeat are
#: genuine ties (a saturated tanh unit at exactly +-1 in float32), so they are logged, not fatal.
ON_DUPLICATES = "warn"


class _Estimators:
    """KSG MI and entropy (bits) with one config; constant neurons have MI 0 (``allow_constant``)."""

    def __init__(self, cfg: "InfoConfig", seed: int):
        from rnninfo import ksg

        self.ksg, self.k, self.method, self.seed = ksg, cfg.ksg_k, cfg.ksg_method, seed

    def mi(self, a: np.ndarray, b: np.ndarray, standardize: bool = True) -> float:
        """KSG MI on the raw (``standardize=False``) or z-scored variables."""
        return self.ksg.mi(a, b, k=self.k, seed=self.seed, method=self.method, allow_constant=True,
                           standardize=standardize, on_duplicates=ON_DUPLICATES)

    def entropy(self, a: np.ndarray) -> float:
        """Differential entropy (bits) of a in its own units (a tanh unit's, in [-1, 1])."""
        return self.ksg.entropy(a, k=self.k, seed=self.seed, method=self.method, allow_constant=True,
                                standardize=False, on_duplicates=ON_DUPLICATES)


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
            seed=seed, epoch=float(acts["epochs"][snapshot]), neuron=name, layer=layer,
            mi_input=mi_in, mi_truth=mi_gt, entropy_binned=h_bin, entropy_differential=h_diff,
            mi_input_norm=mi_in / norm if ok else np.nan, mi_truth_norm=mi_gt / norm if ok else np.nan,
        ))
    return pd.DataFrame(rows)


def snapshot_times(acts: dict) -> pd.DataFrame:
    """(epoch float, updates int or NaN) of every snapshot; ``updates`` only if the activations carry it."""
    epochs = np.asarray(acts["epochs"], dtype=np.float64)                     # (K,)
    updates = np.asarray(acts["updates"], dtype=np.float64) if "updates" in acts else np.full(len(epochs), np.nan)
    if updates.shape != epochs.shape:
        raise ValueError(f"activations: updates {updates.shape} and epochs {epochs.shape} differ in length")
    return pd.DataFrame({"epoch": epochs, "updates": updates})


def _gradient_rows(acts: dict, log: pd.DataFrame | None, times: pd.DataFrame) -> list[dict[str, float]]:
    """Per snapshot: gradient statistics ``grad_mean_<layer>`` / ``grad_std_<layer>`` (npz ``grad_mean`` /
    ``grad_std`` (K, L) named by ``grad_layers``) and the training log's error columns at the snapshot
    (log row matched on ``update``, else on ``epoch`` to 1e-9); the log's gradient columns are used
    only when the activations carry none. Schedule columns (lr, momentum) are not indicators."""
    K = len(times)
    out: list[dict[str, float]] = [{} for _ in range(K)]
    has_grads = "grad_mean" in acts and "grad_std" in acts
    if has_grads:
        layers = [str(n) for n in acts.get("grad_layers", np.arange(np.shape(acts["grad_mean"])[1]))]
        for stat in ("grad_mean", "grad_std"):
            a = np.asarray(acts[stat], dtype=np.float64).reshape(K, -1)      # (K, L)
            for s in range(K):
                out[s].update({f"{stat}_{n}": float(a[s, j]) for j, n in enumerate(layers)})
    if log is None or "epoch" not in log:
        return out
    skip = {"seed", "epoch", "update", "updates", "lr", "momentum", ERROR}
    cols = [c for c in log.columns if c not in skip and not c.startswith("test_mae_")
            and not (has_grads and c.startswith("grad_")) and pd.api.types.is_numeric_dtype(log[c])]
    if "update" in log and times.updates.notna().all():
        key, want, tol = log["update"].to_numpy(dtype=np.float64), times.updates.to_numpy(), 0.5
    else:
        key, want, tol = log["epoch"].to_numpy(dtype=np.float64), times.epoch.to_numpy(), 1e-9
    for s, w in enumerate(want):
        hit = np.flatnonzero(np.abs(key - w) <= tol)
        if len(hit):
            out[s].update({c: float(log[c].iloc[hit[-1]]) for c in cols})
    return out


def training_indicators(acts: dict, log: pd.DataFrame | None, cfg: InfoConfig, seed: int) -> pd.DataFrame:
    """Section 7-9 per snapshot, long format (seed, epoch, updates, indicator, standardize, value).

    Indicators: the layer MIs raw and standardised (``standardize`` False / True),
    ``tse_hidden_<estimator>`` (TSE complexity of the hidden layer at the readout
    step, scale-free: ``standardize`` True), ``test_mse`` and ``test_mae_<target>``
    (original units) from the snapshot's outputs, and gradient statistics
    (see :func:`_gradient_rows`; ``standardize`` False for raw quantities).
    """
    from rnninfo.tse import draw_subsets, tse_complexity

    est = _Estimators(cfg, seed)
    times = snapshot_times(acts)
    rows_used = sample_rows(len(acts["targets"]), cfg, seed)
    x = input_matrix(acts["inputs"][rows_used], cfg.input).astype(np.float64)   # (m, dx)
    y = acts["targets"][rows_used].astype(np.float64)                           # (m, n_targets)
    y_all = acts["targets"].astype(np.float64)                                  # (n, n_targets)
    scale = np.asarray(acts["target_std"], dtype=np.float64)                    # (n_targets,)
    grads = _gradient_rows(acts, log, times)
    rows = []
    for s, (epoch, updates) in enumerate(times.itertuples(index=False)):
        h = acts["hidden"][s][rows_used, -1, :].astype(np.float64)    # (m, H)
        o = acts["outputs"][s][rows_used, -1, :].astype(np.float64)   # (m, n_targets)
        vals: list[tuple[str, bool, float]] = []
        for standardize in (False, True):
            vals += [
                ("mi_hidden_input", standardize, est.mi(h, x, standardize)),
                ("mi_hidden_truth", standardize, est.mi(h, y, standardize)),
                ("mi_output_input", standardize, est.mi(o, x, standardize)),
                ("mi_output_truth", standardize, est.mi(o, y, standardize)),
            ]
        # same subsets for every estimator: one stream per (seed, snapshot), drawn once
        tse_rng = np.random.default_rng([cfg.root_seed, 0x545345, seed, s])  # "TSE"
        subsets = draw_subsets(h.shape[1], cfg.tse_subsets, tse_rng)
        for estimator in cfg.tse_estimators:
            tse = tse_complexity(h, cfg.tse_subsets, None, estimator, k=cfg.ksg_k, seed=seed,
                                 method=cfg.ksg_method, on_duplicates=ON_DUPLICATES,
                                 subsets=subsets) if np.all(h.std(axis=0) > 0) else float("nan")
            vals.append((f"tse_hidden_{estimator}", True, tse))
        pred = acts["outputs"][s][:, -1, :].astype(np.float64)       # (n, n_targets) all test windows
        vals.append((ERROR, False, float(((pred - y_all) ** 2).mean())))
        mae = np.abs(pred - y_all).mean(axis=0) * scale
        vals += [(f"test_mae_{t}", False, float(m)) for t, m in zip(acts["target_names"].tolist(), mae)]
        vals += [(k, False, v) for k, v in grads[s].items()]
        rows += [dict(seed=seed, epoch=epoch, updates=updates, indicator=k, standardize=st, value=v)
                 for k, st, v in vals]
    return pd.DataFrame(rows)


def smooth_curve(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average over ``width`` points (odd; shrinking window at the ends)."""
    v = np.asarray(values, dtype=np.float64)
    half = max(int(width), 1) // 2
    c = np.concatenate([[0.0], np.cumsum(v)])
    i = np.arange(len(v))
    lo, hi = np.maximum(i - half, 0), np.minimum(i + half + 1, len(v))
    return (c[hi] - c[lo]) / (hi - lo)


def share_positions(values, shares, cfg: LeadConfig = LeadConfig()) -> tuple[np.ndarray, str, dict]:
    """Where (fractional snapshot index) a curve first gets each share of the way from its initial
    to its final level, on the monotone envelope of the smoothed curve; see the module docstring.

    Returns (positions (len(shares),), reason, diagnostics); positions are NaN unless reason == "ok".
    """
    v = np.asarray(values, dtype=np.float64)
    nan = np.full(len(shares), np.nan)
    diag = dict(net_change=np.nan, noise=np.nan, overshoot=np.nan)
    if len(v) < 3:
        return nan, "too few snapshots", diag
    if not np.all(np.isfinite(v)):
        return nan, "non-finite values", diag
    sm = smooth_curve(v, cfg.smooth)
    tail = v[-max(3, int(np.ceil(cfg.noise_tail * len(v)))):]
    net, noise = sm[-1] - sm[0], float(np.std(tail, ddof=1))
    diag.update(net_change=float(net), noise=noise)
    if abs(net) <= cfg.noise_factor * noise or net == 0:
        return nan, "below noise", diag
    env = np.maximum.accumulate(sm) if net > 0 else np.minimum.accumulate(sm)
    p = (env - sm[0]) / net                                   # (K,) non-decreasing, p[0] = 0, p[-1] >= 1
    diag["overshoot"] = float(p[-1] - 1.0)
    pos = []
    for q in shares:
        i = int(np.argmax(p >= q))                            # exists: p[-1] >= 1 > q
        pos.append(float(i) if i == 0 else i - 1 + (q - p[i - 1]) / (p[i] - p[i - 1]))
    return np.array(pos), "ok", diag


def at_position(times: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Times at fractional snapshot indices (linear between snapshots)."""
    t = np.asarray(times, dtype=np.float64)
    return np.interp(pos, np.arange(len(t)), t) if np.all(np.isfinite(t)) else np.full(len(pos), np.nan)


def leads(ind: pd.DataFrame, cfg: LeadConfig = LeadConfig(), error: str = ERROR) -> pd.DataFrame:
    """Lead of every indicator over the error, per seed, share and time unit (epochs, updates).

    Columns: seed, indicator, standardize, share, unit, t_indicator, t_error, lead,
    status ("ok", or which curve had no lead time and why), and the indicator's
    net_change, noise and overshoot.
    """
    rows = []
    for seed, g in ind.groupby("seed", sort=True):
        times = g.drop_duplicates("epoch").sort_values("epoch")[["epoch", "updates"]]
        units = {"epochs": times.epoch.to_numpy(), "updates": times.updates.to_numpy(dtype=np.float64)}
        if np.isnan(units["updates"]).all():  # activations without an update count
            del units["updates"]
        curves = {key: c.sort_values("epoch").value.to_numpy() for key, c in g.groupby(["indicator", "standardize"])}
        err_key = [k for k in curves if k[0] == error]
        if len(err_key) != 1:
            raise ValueError(f"seed {seed}: expected one {error!r} curve, found {len(err_key)}")
        err_pos, err_reason, _ = share_positions(curves[err_key[0]], cfg.shares, cfg)
        for (name, standardize), v in curves.items():
            if name == error:
                continue
            if len(v) != len(times):
                raise ValueError(f"seed {seed}: {name} has {len(v)} snapshots, expected {len(times)}")
            pos, reason, diag = share_positions(v, cfg.shares, cfg)
            status = "ok" if reason == err_reason == "ok" else (
                f"indicator {reason}" if reason != "ok" else f"error {err_reason}")
            for unit, t in units.items():
                t_ind, t_err = at_position(t, pos), at_position(t, err_pos)
                for q, a, b in zip(cfg.shares, t_ind, t_err):
                    rows.append(dict(seed=seed, indicator=name, standardize=standardize, share=q, unit=unit,
                                     t_indicator=a, t_error=b, lead=b - a, status=status, **diag))
    return pd.DataFrame(rows)


def lead_summary(lead: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per (indicator, standardize, share, unit) over seeds: n, n_valid, mean lead with a t-interval,
    median, share of valid seeds where the indicator leads (lead > 0) with a Wilson interval, and a
    two-sided sign-test p-value (leads vs lags, ties dropped)."""
    from scipy import stats

    rows = []
    z = stats.norm.ppf(0.5 + confidence / 2)
    for key, g in lead.groupby(["indicator", "standardize", "share", "unit"], sort=True):
        d = g.lead.dropna().to_numpy()
        n = len(d)
        mean = float(d.mean()) if n else np.nan
        sd = float(d.std(ddof=1)) if n > 1 else np.nan
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n) if n > 1 else np.nan
        wins, losses = int((d > 0).sum()), int((d < 0).sum())
        frac = wins / n if n else np.nan
        if n:
            centre = (frac + z * z / (2 * n)) / (1 + z * z / n)
            w = z / (1 + z * z / n) * np.sqrt(frac * (1 - frac) / n + z * z / (4 * n * n))
        else:
            centre = w = np.nan
        p = stats.binomtest(wins, wins + losses).pvalue if wins + losses else np.nan
        reasons = g.status[g.status != "ok"].value_counts()
        rows.append(dict(
            zip(("indicator", "standardize", "share", "unit"), key), n=len(g), n_valid=n, mean=mean, sd=sd,
            ci_low=mean - half, ci_high=mean + half, median=float(np.median(d)) if n else np.nan,
            share_leading=frac, share_leading_low=centre - w, share_leading_high=centre + w, sign_p=p,
            no_lead_reasons="; ".join(f"{r}: {c}" for r, c in reasons.items()),
        ))
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
