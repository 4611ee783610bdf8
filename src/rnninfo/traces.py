"""State traces: what every trained network does on held-out sequences.

One forward pass per network on test sequences as long as the longest
evaluation delay (trailing blank steps cannot change earlier states, so a
shorter delay's answer is the output at an earlier step). A trace holds

    x        float32 (n, T, d)   inputs
    y        float32 (n, 3)      targets +-1
    outputs  float32 (n, T, 3)   tanh outputs after every step
    hidden   float32 (n, T, H)   hidden state after every step
    cell     float32 (n, T, H)   LSTM cell state (LSTM only)
    t_end    int64   (n,)        readout step under the training regime
    n_info   int64   ()          informative steps (memory 10, block 5)
    concept_onsets int64 (3,)    first step showing each concept
    eval_delays    int64 (E,)    evaluation delays
    eval_readout   int64 (E,)    readout step of each evaluation delay

with T = n_info + max(max(eval_delays), longest training delay).
"""

from __future__ import annotations

import numpy as np

from rnninfo.tasks import RANDOM_DELAYS, TaskParams, concept_onsets, make_task, max_delay, n_info_steps, parse_delay

# Keeps held-out draws apart from training draws (rnninfo.train uses stream 1).
# torch is imported only where a network runs, so readers of traces stay light.
TEST_STREAM = 2
# Float32 states, stored uncompressed in trace files (they barely compress); the rest is deflated.
STATES = ("outputs", "hidden", "cell")
# Test samples per forward pass: small buffers that stay in cache and in the allocator's reuse
# (one pass over all samples at once spent most of its time on fresh pages).
CHUNK = 250


def test_set(task: str, delay, seed: int, root_seed: int, n_test: int, eval_delays, params: TaskParams):
    """A seed's held-out sequences: (x, y, t_end) with t_end of the training regime."""
    rng = np.random.default_rng([root_seed, TEST_STREAM, seed])
    n_info = n_info_steps(task, params)
    longest = max(max(eval_delays), max_delay(delay))
    x, y, _ = make_task(task, n_test, longest, rng, params)
    delay = parse_delay(delay)
    if delay == "random":
        delays = rng.choice(np.asarray(RANDOM_DELAYS), size=n_test)
    else:
        delays = np.full(n_test, delay)
    return x, y, (n_info + delays - 1).astype(np.int64)


def record_traces(
    task: str,
    arch: str,
    delay,
    seeds: list[int],
    state_dicts: list[dict],
    root_seed: int,
    n_test: int,
    eval_delays: list[int],
    params: TaskParams,
) -> list[dict[str, np.ndarray]]:
    """Traces of every seed of one condition, computed as one ensemble pass."""
    import torch

    from rnninfo.models import Ensemble

    sets = [test_set(task, delay, s, root_seed, n_test, eval_delays, params) for s in seeds]
    x = torch.from_numpy(np.stack([s[0] for s in sets]))  # (S, n, T, d)
    ensemble = Ensemble(arch, state_dicts)
    run = {}  # name -> (S, n, T, .) float32, filled chunk by chunk
    with torch.no_grad():
        for i in range(0, x.shape[1], CHUNK):
            for name, value in ensemble(x[:, i : i + CHUNK]).items():
                if name not in run:
                    run[name] = np.empty((*x.shape[:2], *value.shape[2:]), dtype=np.float32)
                run[name][:, i : i + CHUNK] = value.numpy()
    n_info = n_info_steps(task, params)
    eval_delays = np.asarray(sorted(eval_delays), dtype=np.int64)
    traces = []
    for k, (xs, ys, t_end) in enumerate(sets):
        trace = dict(
            x=xs.astype(np.float32, copy=False),
            y=ys.astype(np.float32, copy=False),
            outputs=run["outputs"][k],
            hidden=run["hidden"][k],
            t_end=t_end,
            n_info=np.int64(n_info),
            concept_onsets=concept_onsets(task, params),
            eval_delays=eval_delays,
            eval_readout=n_info + eval_delays - 1,
        )
        if "cell" in run:
            trace["cell"] = run["cell"][k]
        traces.append(trace)
    return traces


def read_trace(path, stage: str = "trace", state: str = "hidden") -> dict[str, np.ndarray]:
    """Read a trace file and check it; errors name the stage, the file and what is wrong.

    Returns the file's arrays plus ``states`` (the ``cell`` states when
    ``state == "cell"`` and the file has them, else ``hidden``) and ``state``,
    the name of what ``states`` holds.
    """
    from rnninfo.io import load_npz

    try:
        # a missing, truncated or foreign file, or one without these arrays: named, with the remedy
        tr = load_npz(path, keys=("x", "y", "hidden", "outputs", "t_end", "n_info"))
    except SystemExit as err:
        raise SystemExit(f"{stage}: trace {err}") from None
    key = "cell" if state == "cell" and "cell" in tr else "hidden"
    states, x, y, out, t_end = tr[key], tr["x"], tr["y"], tr["outputs"], tr["t_end"]
    if states.ndim != 3:
        raise SystemExit(f"{stage}: {path}: {key} must be (n, T, H), got shape {states.shape}")
    n, T, _ = states.shape
    if n < 2:
        raise SystemExit(f"{stage}: {path}: need at least 2 samples, got {n}")
    if x.ndim != 3 or x.shape[:2] != (n, T):
        raise SystemExit(f"{stage}: {path}: x must be ({n}, {T}, d), got {x.shape}")
    if y.shape != (n, 3):
        raise SystemExit(f"{stage}: {path}: y must be ({n}, 3), got {y.shape}")
    if out.shape != (n, T, 3):
        raise SystemExit(f"{stage}: {path}: outputs must be ({n}, {T}, 3), got {out.shape}")
    if t_end.shape != (n,) or not np.issubdtype(t_end.dtype, np.integer):
        raise SystemExit(f"{stage}: {path}: t_end must be {n} integers, got {t_end.dtype} {t_end.shape}")
    if t_end.min() < 0 or t_end.max() >= T:
        raise SystemExit(f"{stage}: {path}: t_end outside 0..{T - 1}")
    for name, arr in ((key, states), ("x", x), ("outputs", out), ("y", y)):
        if not np.isfinite(arr).all():
            raise SystemExit(f"{stage}: {path}: {name} contains NaN or inf")
    return {**tr, "states": states, "state": key}


# Keeps the estimation / evaluation split apart from every other random stream.
SPLIT_STREAM = 3


def split_halves(n: int, seed: int, root_seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint halves of ``n`` samples: (estimate, evaluate), each sorted.

    Relay orders are estimated on the first half; knockout accuracy and PCA
    scores are measured on the second, so no score reuses the samples that chose
    the nodes (no double dipping). Split-half noise ceilings use both halves.
    The split is a seeded permutation: the same (n, seed, root_seed) gives the
    same halves.
    """
    if n < 4:
        raise ValueError(f"split_halves: need at least 4 samples, got n={n}")
    perm = np.random.default_rng([root_seed, SPLIT_STREAM, seed]).permutation(n)
    half = n // 2
    return np.sort(perm[:half]), np.sort(perm[half : 2 * half])
