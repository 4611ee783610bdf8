"""rnninfo on a network of your own: train a small 2-layer GRU, then open it up.

Task (not one of the papers'): two binary cues arrive on their own input
channels, "colour" at step 1 and "shape" at step 4, while a third channel
carries noise throughout; after 10 steps the network reports both cues (±1).
The network is a 2-layer GRU with 32 units per layer (batch_first) and a linear
readout at every step, trained on the last step only.

Then, in a handful of lines:
  trace = rnninfo.record(model, x)                       every unit of both layers, every step
  relays = rnninfo.relay_table(trace, y, ...)            which units relay each cue (with a permutation null)
  rnninfo.knockout(model, x, nodes=..., time=...)        silence the top relay units vs random units
  rnninfo.pca_table(trace, y, t=...)                     PCA while units are removed in relay / supervised / random order
  rnninfo.flow_table(trace, units=...)                   information flow between inputs, units and outputs

Run:  python examples/own_gru.py [--out DIR]   (under a minute on 2 CPU cores; writes DIR/own_gru.png)
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import torch

import rnninfo

T, COLOUR_STEP, SHAPE_STEP = 10, 1, 4


def make_data(n: int, rng: np.random.Generator):
    """x [n, T, 3] float32 and y [n, 2] of ±1 (colour, shape)."""
    y = rng.choice([-1.0, 1.0], size=(n, 2))
    x = np.zeros((n, T, 3), dtype=np.float32)
    x[:, COLOUR_STEP, 0] = y[:, 0]
    x[:, SHAPE_STEP, 1] = y[:, 1]
    x[:, :, 2] = rng.normal(size=(n, T))  # a distractor channel
    return x, y


class CueNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.GRU(3, 32, num_layers=2, batch_first=True)
        self.readout = torch.nn.Linear(32, 2)

    def forward(self, x):  # x [batch, T, 3] -> [batch, T, 2]
        return self.readout(self.encoder(x)[0])


def train(seed: int = 0, steps: int = 300) -> CueNet:
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    model = CueNet()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        x, y = make_data(64, rng)
        loss = torch.nn.functional.mse_loss(model(torch.from_numpy(x))[:, -1], torch.from_numpy(y).float())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=".", help="folder for own_gru.png")
    ap.add_argument("--steps", type=int, default=300, help="training steps")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)  # small matrices: one thread is fastest

    model = train(steps=args.steps)
    x, y = make_data(1000, np.random.default_rng(1))  # held-out test set
    est, ev = slice(0, 500), slice(500, 1000)  # relay order on one half, knockouts scored on the other
    print("accuracy (colour, shape):", rnninfo.accuracy(model(torch.from_numpy(x[ev])).detach().numpy(), y[ev]))

    # 1. Record: trace.hidden is [batch, T, 64]: layer 0's 32 units, then layer 1's (trace.units names them).
    trace = rnninfo.record(model, x[est])

    # 2. Relays after both cues (step 5) and at the answer (step 9). 64 binarised units give almost one
    #    state per sample, so the plug-in estimate would be mostly bias: restrict to the 32 units with the
    #    most single-unit information about each cue (still more states than 500 samples fill: relay_table
    #    warns; read the bias-corrected I_R and p).
    relays = rnninfo.relay_table(trace, y[est], times=[5, 9], n_perm=100, names=["colour", "shape"], top_k=32)
    top = relays[(relays.t == 5) & relays.analysed].sort_values("share").groupby("concept_name").tail(3)
    print(top[["concept_name", "unit", "share", "p", "corrected"]].to_string(index=False))

    # 3. Knockouts from step 5 on: the 24 top relay units of "shape" vs 20 random sets of 24.
    shape = relays[(relays.concept == 1) & (relays.t == 5) & relays.analysed].sort_values("rank")
    chosen = shape["node"].to_numpy()[-24:].tolist()
    hit = rnninfo.accuracy(rnninfo.knockout(model, x[ev], nodes=chosen, time=5), y[ev])[1]
    rng = np.random.default_rng(2)
    rand = [rnninfo.accuracy(rnninfo.knockout(model, x[ev], nodes=rng.choice(64, 24, replace=False).tolist(),
                                              time=5), y[ev])[1] for _ in range(20)]
    print(f"shape accuracy: top-24 relay units out {hit:.3f}; random 24 out {np.mean(rand):.3f} "
          f"(5-95%: {np.quantile(rand, 0.05):.3f}-{np.quantile(rand, 0.95):.3f})")

    # 4. PCA of layer 1 at step 5 while units are removed in three orders (shape only).
    layer1 = rnninfo.Trace(hidden=trace.hidden[:300, :, 32:])
    answers = trace.outputs[:300, -1, 1] > 0  # the network's answer for shape
    pca = rnninfo.pca_table(layer1, y[:300, 1], t=5, answers=answers, n_random=3, names=["shape"])
    sil = pca[(pca.metric == "silhouette") & (pca.removed == 24)].groupby("order")["value"].mean()
    print("silhouette of shape after removing 24 of 32 units:", sil.round(3).to_dict())

    # 5. Flow (paper B) between 4 units of each layer and the 2 outputs, on 100 sequences: is layer 0
    #    upstream of layer 1? (The cue inputs are mostly 0, i.e. duplicated samples, which KSG refuses.)
    part = rnninfo.Trace(hidden=trace.hidden[:100], outputs=trace.outputs[:100], units=trace.units)
    edges, nodes = rnninfo.flow_table(part, include=("hidden", "output"), units=[0, 1, 2, 3, 32, 33, 34, 35],
                                      n_surrogates=30, p_method="normal")
    nodes["group"] = nodes["name"].str.split(":").str[0]
    print("mean flow rank:", nodes.groupby("group")["rank"].mean().round(2).to_dict(),
          f"({int(edges.edge.sum())} significant edges of {len(edges)})")

    fig3, _ = rnninfo.plot_relay(relays, t=5)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig3.savefig(out / "own_gru.png", dpi=100)
    print(f"wrote {out / 'own_gru.png'}")
    return 0


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        raise SystemExit(main())
