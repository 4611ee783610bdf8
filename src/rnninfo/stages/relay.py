"""Stage `relay`: relay information of every seed, concept and time point of one condition.

For each seed's trace, each concept c and each analysed step t: X_in = the
concept's label bit, X_out = the sign of the network's output for c at each
sample's readout step (t_end, training regime), Y = the hidden (or LSTM cell)
state at step t binarised per node. Writes five tidy tables:

  greedy      one row per greedy removal step: the node that leaves and I_R of
              the set (of `size` nodes) it leaves from
  shares      one row per node: its relay share (information lost when it
              left), its removal rank, whether it was constant at t, the
              permutation p-value of I_R(all) at (network, concept, t), the
              share threshold of the step (from the null) and ``significant``
              (p <= alpha and share > threshold)
  exhaustive  one row per set size at the steps in ``exhaustive_steps``: the
              best set of all 2^N, the greedy set, the greedy shortfall (bits)
  null        one row per (network, concept, t): I_R(all), its permutation
              null (mean, 95th percentile), add-one p, null-corrected value,
              I(X_in; X_out), occupied joint states / n and a bias flag (null
              mean > 10% of I(X_in; X_out)); the per-node share null's 95th
              percentile of the network and of the condition's step (pooled
              over seeds and concepts: the default share threshold)
  ceiling     one row per (network, concept, t) in the dynamics window: Pearson
              r between the share vectors of two disjoint halves of the test
              samples (`rnninfo.traces.split_halves`), the noise ceiling of the
              step-to-step correlations of Fig. 8

Analysed steps: 0 .. the longest readout of the training regime, extended to
the end of the dynamics window (so that every regime covers the same window;
the traces run to the longest evaluation delay) or every traced step
(``horizon: full``). Permutations: one seeded set per network
(`rnninfo.relay.permutations`, stream [root_seed, 4, seed]) shared by its steps
and concepts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rnninfo import relay
from rnninfo.dynamics import pearson, window_bounds
from rnninfo.io import parse_json_arg, with_defaults, write_tsv
from rnninfo.tasks import CONCEPTS
from rnninfo.traces import read_trace, split_halves
from rnninfo.stages._condition import condition_parser, parse_condition


DEFAULTS = {
    "binarize": "median",
    "state": "hidden",
    "horizon": "training",
    "constant_atol": 1e-6,
    "exhaustive": True,
    "exhaustive_steps": "n_info",
    "null_perm": 200,
    "null_share_perm": 2,
    "alpha": 0.05,
    "window_start": 1,
    "window_end": None,
    "root_seed": 0,
}
NULL_STREAM = 4  # permutations apart from every other random stream (rnninfo.traces uses 2 and 3)

# Every relay table starts with the network and concept it describes.
KEY_COLUMNS = ["task", "arch", "delay", "seed", "concept", "concept_name"]
GREEDY_COLUMNS = [*KEY_COLUMNS, "t", "rank", "size", "node", "info"]
SHARE_COLUMNS = [
    *KEY_COLUMNS,
    "onset",
    "n_info",
    "t",
    "node",
    "rank",
    "share",
    "constant",
    "p",
    "share_threshold",
    "significant",
]
EXHAUSTIVE_COLUMNS = [
    *KEY_COLUMNS,
    "onset",
    "t",
    "size",
    "best_nodes",
    "best_info",
    "greedy_nodes",
    "greedy_info",
    "shortfall",
    "optimal",
    "same_set",
]
NULL_COLUMNS = [
    *KEY_COLUMNS,
    "onset",
    "n_info",
    "t",
    "info_all",
    "null_mean",
    "null_q95",
    "p",
    "corrected",
    "mi_io",
    "occupancy",
    "biased",
    "share_q95",
    "share_threshold",
]
CEILING_COLUMNS = [*KEY_COLUMNS, "onset", "t", "r_split"]


def relay_params(raw: dict) -> dict:
    """Stage parameters with defaults filled in and checked."""
    p = with_defaults(raw, DEFAULTS, "relay")
    if p["binarize"] not in ("median", "kmeans"):
        raise SystemExit(f"relay: binarize must be 'median' or 'kmeans', got {p['binarize']!r}")
    if p["state"] not in ("hidden", "cell"):
        raise SystemExit(f"relay: state must be 'hidden' or 'cell', got {p['state']!r}")
    if p["horizon"] not in ("training", "full"):
        raise SystemExit(f"relay: horizon must be 'training' or 'full', got {p['horizon']!r}")
    if not (isinstance(p["constant_atol"], (int, float)) and p["constant_atol"] >= 0):
        raise SystemExit(f"relay: constant_atol must be a number >= 0, got {p['constant_atol']!r}")
    steps = p["exhaustive_steps"]
    if not (steps in ("n_info", "all") or (isinstance(steps, list) and all(_is_int(v) and v >= 0 for v in steps))):
        raise SystemExit(f"relay: exhaustive_steps must be 'n_info', 'all' or a list of steps >= 0, got {steps!r}")
    for key, lo in (("null_perm", 1), ("null_share_perm", 0), ("window_start", 0), ("root_seed", 0)):
        if not (_is_int(p[key]) and p[key] >= lo):
            raise SystemExit(f"relay: {key} must be an integer >= {lo}, got {p[key]!r}")
    if p["null_share_perm"] > p["null_perm"]:
        raise SystemExit(f"relay: null_share_perm ({p['null_share_perm']}) exceeds null_perm ({p['null_perm']})")
    if not (p["window_end"] is None or (_is_int(p["window_end"]) and p["window_end"] >= 0)):
        raise SystemExit(f"relay: window_end must be null or an integer >= 0, got {p['window_end']!r}")
    if not (isinstance(p["alpha"], (int, float)) and 0 < p["alpha"] < 1):
        raise SystemExit(f"relay: alpha must be in (0, 1), got {p['alpha']!r}")
    return p


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def load_trace(path: str, state: str) -> dict:
    """Read and check one trace file; returns the arrays the analysis needs."""
    tr = read_trace(path, "relay", state)
    onsets = np.asarray(tr.get("concept_onsets", np.zeros(3, dtype=np.int64)), dtype=np.int64)
    return dict(
        states=tr["states"], state=tr["state"], y=tr["y"], outputs=tr["outputs"],
        t_end=tr["t_end"], n_info=int(tr["n_info"]), onsets=onsets,
    )


def analysed_steps(tr: dict, params: dict) -> int:
    """Number of steps analysed from 0: the training horizon extended to the window's end."""
    T = tr["states"].shape[1]
    if params["horizon"] == "full":
        return T
    end = window_bounds(tr["n_info"], tr["onsets"], params["window_start"], params["window_end"], T)[1]
    return min(T, max(int(tr["t_end"].max()) + 1, end + 1))


def exhaustive_steps(tr: dict, params: dict, horizon: int) -> set[int]:
    steps = params["exhaustive_steps"]
    if not params["exhaustive"]:
        return set()
    if steps == "all":
        return set(range(horizon))
    if steps == "n_info":
        return {min(int(tr["n_info"]), horizon - 1)}
    return {int(t) for t in steps if t < horizon}


def _bits(states: np.ndarray, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Binarised states and constant nodes of every step at once: states (n, T, N) ->
    bits (n, T, N), constant (T, N); each (step, node) column on its own, as one step at a time."""
    n, T, n_nodes = states.shape
    s = states.reshape(n, T * n_nodes).astype(np.float64)
    atol = float(params["constant_atol"])
    constant = (s.max(axis=0) - s.min(axis=0)) <= atol
    bits = relay.binarize(s, params["binarize"], constant="zero", atol=atol)
    return bits.reshape(n, T, n_nodes), constant.reshape(T, n_nodes)


def analyse_seed(tr: dict, params: dict, seed: int, compiled: bool = True) -> tuple[list, list, list, list, list]:
    """Rows of the five tables for one seed (without the condition columns).

    Share rows end with p (their significance columns are filled in by `run`,
    which pools the share null over the condition's seeds). ``compiled``: the
    null and greedy searches as numba loops (False: the numpy reference; the
    bench compares both).
    """
    states, y, out, t_end = tr["states"], tr["y"], tr["outputs"], tr["t_end"]
    n, T, n_nodes = states.shape
    horizon = analysed_steps(tr, params)
    ex_steps = exhaustive_steps(tr, params, horizon)
    if ex_steps and n_nodes > relay.MAX_EXHAUSTIVE_NODES:
        raise SystemExit(
            f"relay: {n_nodes} nodes; the exhaustive search handles at most "
            f"{relay.MAX_EXHAUSTIVE_NODES} (set relay.exhaustive: false)"
        )
    lo_win, hi_win = window_bounds(tr["n_info"], tr["onsets"], params["window_start"], params["window_end"], T)
    x_in = (y > 0).astype(np.uint8)  # (n, 3)
    x_out = (out[np.arange(n), t_end, :] > 0).astype(np.uint8)  # answer at each sample's readout
    perms = relay.permutations(n, params["null_perm"], [params["root_seed"], NULL_STREAM, seed])  # (P, n)
    half_a, half_b = split_halves(n, seed, params["root_seed"])
    all_bits, all_constant = _bits(states[:, :horizon], params)  # (n, horizon, N), (horizon, N)
    # each half binarised on its own, as an independent replicate of the analysis would be
    half_bits = [_bits(states[h, :horizon], params)[0] for h in (half_a, half_b)]
    g_rows, s_rows, e_rows, n_rows, c_rows = [], [], [], [], []
    for t in range(horizon):
        bits, constant = all_bits[:, t], all_constant[t]
        bits_a, bits_b = half_bits[0][:, t], half_bits[1][:, t]
        # every concept's null, observed greedy and share-null greedy runs in one batch
        nulls = relay.relay_nulls(
            bits, x_in, x_out, perms=perms, n_share_perm=params["null_share_perm"], compiled=compiled
        )
        live = [c for c in range(3) if lo_win[c] <= t <= hi_win]
        if live:  # split-half ceiling: both halves of every concept in the window, one batch
            o, i = relay.greedy_orders(
                np.stack([bb for _ in live for bb in (bits_a, bits_b)]),
                np.stack([x_in[h, c] for c in live for h in (half_a, half_b)]),
                np.stack([x_out[h, c] for c in live for h in (half_a, half_b)]),
                compiled=compiled,
            )
            split = {c: [relay.relay_shares(o[2 * k + h], i[2 * k + h]) for h in range(2)] for k, c in enumerate(live)}
        for c in range(3):
            onset = int(tr["onsets"][c])
            nul = nulls[c]
            order, info = list(nul.order), list(nul.info)  # the greedy search, run with the null's
            if t in ex_steps:
                table = relay.interaction_table(bits, x_in[:, c], x_out[:, c])
                order, info = relay.greedy_from_table(table)  # equal to the above (tested); consistent with table
            share = relay.relay_shares(order, info)
            rank = np.empty(n_nodes, dtype=np.int64)
            rank[order] = np.arange(n_nodes)
            for k, (node, v) in enumerate(zip(order, info)):
                g_rows.append((c, t, k, n_nodes - k, node, v))
            for node in range(n_nodes):
                s_rows.append(
                    (c, onset, tr["n_info"], t, node, int(rank[node]), share[node], int(constant[node]), nul.p)
                )
            n_rows.append(
                (c, onset, tr["n_info"], t, nul.observed, nul.null_mean, nul.null_q95, nul.p, nul.corrected,
                 nul.mi_io, nul.occupancy, int(nul.biased), nul.share_q95, nul.share_null.reshape(-1))
            )
            if c in live:
                c_rows.append((c, onset, t, pearson(*split[c])))
            if t in ex_steps:
                best_mask, best_info = relay.best_per_size(table)
                for size in range(1, n_nodes + 1):
                    greedy_set = tuple(sorted(order[n_nodes - size :]))
                    g_info = info[n_nodes - size]
                    b_nodes = relay.mask_nodes(best_mask[size - 1], n_nodes)
                    # both come from the same table, so the shortfall is >= 0 exactly
                    shortfall = float(best_info[size - 1] - g_info)
                    e_rows.append(
                        (
                            c,
                            onset,
                            t,
                            size,
                            _fmt(b_nodes),
                            best_info[size - 1],
                            _fmt(greedy_set),
                            g_info,
                            shortfall,
                            int(shortfall <= relay.TIE_TOL),
                            int(b_nodes == greedy_set),
                        )
                    )
    return g_rows, s_rows, e_rows, n_rows, c_rows


def _fmt(nodes) -> str:
    return ",".join(str(j) for j in nodes)


def run(task: str, arch: str, delay: str, seeds: list[int], traces: list[str], params: dict):
    """All five tables of one condition as DataFrames."""
    if task not in CONCEPTS:
        raise SystemExit(f"relay: unknown task {task!r} (expected one of {sorted(CONCEPTS)})")
    names = CONCEPTS[task]
    greedy, shares, exh, null, ceiling = [], [], [], [], []
    for seed, path in zip(seeds, traces):
        tr = load_trace(path, params["state"])
        g, s, e, nl, ce = analyse_seed(tr, params, seed)
        head = lambda rows: [(task, arch, delay, seed, r[0], names[r[0]]) + tuple(r[1:]) for r in rows]  # noqa: E731
        greedy += head(g)
        shares += head(s)
        exh += head(e)
        null += head(nl)
        ceiling += head(ce)
        n_biased = sum(r[11] for r in nl)
        print(
            f"seed {seed}: {len(s) // (3 * tr['states'].shape[2])} time points, state {tr['state']}; "
            f"{n_biased} of {len(nl)} (concept, step) cells with null mean > "
            f"{relay.BIAS_WARN_FRACTION:.0%} of I(X_in; X_out)",
            flush=True,
        )
    null_df = pd.DataFrame([r[:-1] for r in null], columns=NULL_COLUMNS[:-1])
    # the share threshold of a step: 95th percentile of the per-node share null
    # pooled over the condition's seeds and concepts at that step
    pooled: dict[int, list] = {}
    for r in null:
        pooled.setdefault(r[NULL_COLUMNS.index("t")], []).append(r[-1])
    thr = {t: (float(np.quantile(np.concatenate(v), 0.95)) if sum(len(a) for a in v) else np.nan) for t, v in pooled.items()}
    null_df["share_threshold"] = null_df["t"].map(thr)
    shares_df = pd.DataFrame(shares, columns=SHARE_COLUMNS[:-2])
    shares_df["share_threshold"] = shares_df["t"].map(thr)
    shares_df["significant"] = (
        (shares_df["p"] <= params["alpha"]) & (shares_df["share"] > shares_df["share_threshold"])
    ).astype(int)
    return (
        pd.DataFrame(greedy, columns=GREEDY_COLUMNS),
        shares_df,
        pd.DataFrame(exh, columns=EXHAUSTIVE_COLUMNS),
        null_df,
        pd.DataFrame(ceiling, columns=CEILING_COLUMNS),
    )


def main(argv: list[str]) -> int:
    ap = condition_parser("relay", __doc__)
    ap.add_argument("--traces", nargs="+", required=True, help="one trace .npz per seed")
    ap.add_argument("--greedy", required=True, help="output TSV")
    ap.add_argument("--shares", required=True, help="output TSV")
    ap.add_argument("--exhaustive", required=True, help="output TSV (header only if relay.exhaustive is false)")
    ap.add_argument("--null", required=True, help="output TSV")
    ap.add_argument("--ceiling", required=True, help="output TSV")
    ap.add_argument("--params", default="{}", help="JSON: the config's relay section")
    args = parse_condition(ap, argv, "traces")
    for p in args.traces:
        if not Path(p).is_file():
            raise SystemExit(f"relay: trace {p} does not exist")
    params = relay_params(parse_json_arg(args.params))
    tables = run(args.task, args.arch, args.delay, args.seeds, args.traces, params)
    for df, path in zip(tables, (args.greedy, args.shares, args.exhaustive, args.null, args.ceiling)):
        write_tsv(df, path)
    return 0
