"""Stage ``weather_mi``: information measures of one trained weather network.

From ``activations.npz`` and the training table of one seed: every neuron's MI
with the input and the ground truth at the last snapshot (Figs 5-7), the layer
MIs (raw and standardised: ``standardize`` column), TSE complexity (each
``weather.tse.estimator``), errors and gradient statistics at every snapshot
(Figs 8-13, long format: seed, epoch, updates, indicator, standardize, value;
see ``rnninfo.weather_info``), and the network's test error in original units.
"""

from __future__ import annotations

import argparse

from rnninfo.io import load_npz, parse_json_arg, read_tsv, write_tsv


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli weather_mi", description=__doc__)
    ap.add_argument("--activations", required=True)
    ap.add_argument("--training", required=True, help="training table of the same seed (one row per snapshot)")
    ap.add_argument("--params", required=True, help="JSON: the weather config (analysis keys) and root seed")
    ap.add_argument("--neuron-mi", required=True, help="output .tsv")
    ap.add_argument("--indicators", required=True, help="output .tsv")
    ap.add_argument("--test-error", required=True, help="output .tsv")
    args = ap.parse_args(argv)

    from rnninfo.weather_info import InfoConfig, elman_test_error, neuron_mi, training_indicators

    cfg = InfoConfig.from_params(parse_json_arg(args.params))
    acts = load_npz(args.activations)
    seed = int(acts["seed"])
    log = read_tsv(args.training)
    print(f"weather_mi seed {seed}: {cfg}", flush=True)
    write_tsv(elman_test_error(acts, seed), args.test_error)
    write_tsv(neuron_mi(acts, cfg, seed), args.neuron_mi)
    write_tsv(training_indicators(acts, log, cfg, seed), args.indicators)
    return 0
