"""Stage ``weather_train``: train one Elman network on the weather data; save activity snapshots.

Writes ``activations.npz`` (format in the :mod:`rnninfo.elman` docstring),
the training table (one row per snapshot: fractional ``epoch``, ``update``,
learning rate, momentum, errors, all-parameter gradient statistics) and the
model's state dict. Logs one line per snapshot.

Training runs compiled (numba; :func:`rnninfo.elman.train_seed`): the
authors' regime at paper scale takes ~2.5 CPU seconds per seed. Numba caches
the machine code in ``src/rnninfo/__pycache__`` (or its user cache when that
is read-only); the first job after a change of ``elman.py`` compiles it, ~4
CPU seconds more. Importing torch to write ``model.pt`` costs ~2 s.
"""

from __future__ import annotations

import argparse
import io

from rnninfo.io import atomic_path, parse_json_arg, save_npz, write_tsv


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli weather_train", description=__doc__)
    ap.add_argument("--seed", type=int, required=True, help="network seed (weather.seeds)")
    ap.add_argument("--params", required=True, help="JSON: the weather config (data + training keys) and root seed")
    ap.add_argument("--activations", required=True, help="output .npz")
    ap.add_argument("--log", dest="train_log", required=True, help="output training table, one row per snapshot (.tsv)")
    ap.add_argument("--model", required=True, help="output state dict (.pt)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    params = parse_json_arg(args.params)

    from rnninfo.elman import ElmanConfig, activations_arrays, train_seed
    from rnninfo.weather_data import DataConfig, load_weather

    data = load_weather(DataConfig.from_params(params))
    cfg = ElmanConfig.from_params({**params, "threads": args.threads})
    print(f"weather_train seed {args.seed}: {len(data.x_train)} train / {len(data.x_test)} test windows, "
          f"inputs {data.input_names}, {cfg}", flush=True)
    res = train_seed(data, cfg, args.seed, log=lambda line: print(line, flush=True))
    log = res.log.copy()
    log.insert(0, "seed", args.seed)
    last = log.iloc[-1]
    print(f"epoch {last.epoch:g} (update {int(last['update'])}): train MSE {last.train_mse:.4f}, "
          f"test MSE {last.test_mse:.4f}; {len(log)} snapshots; trained in {res.seconds:.1f} s", flush=True)

    save_npz(args.activations, **activations_arrays(data, res, args.seed))
    write_tsv(log, args.train_log)
    # via a buffer: torch.save names the zip's inner folder after the file, and the
    # temporary file's random name would make the bytes differ between runs
    import torch

    buf = io.BytesIO()
    torch.save(res.model.state_dict(), buf)
    with atomic_path(args.model, suffix=".pt") as tmp:
        tmp.write_bytes(buf.getvalue())
    return 0
